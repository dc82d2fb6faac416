"""The frozen program's entry point: the same `dictate` command as the installed wheel's."""

import os
import sys

# A windowed program on Windows (Dictate.exe) starts with no console: sys.stdout and
# sys.stderr are None there, and the first write or flush would raise.
if sys.stdout is None:
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (open for the process's lifetime)
if sys.stderr is None:
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115

from app.cli import main  # after the streams exist

if __name__ == "__main__":
    sys.exit(main())
