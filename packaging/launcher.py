"""The frozen program's entry point: the same `dictate` command as the installed wheel's."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
