"""Keep numpy's BLAS to one thread in the engine's process.

The engine's only BLAS call is the mel filter product of each decode's features, a few
milliseconds of work. OpenBLAS (numpy's wheels bundle it) runs it on a thread per core, and
those threads then spin waiting for the next call: on a 2-core machine that doubled the CPU
time of every decode (a 3 s clip: 254 ms of CPU for 155 ms of wall time; 141 ms with one
BLAS thread, same wall time) and took a core from the other decode worker. The variable
`OPENBLAS_NUM_THREADS` works only before numpy is loaded, which the engine does not
control (the app loads numpy long before), so the library is told at run time, through the
same call `threadpoolctl` makes. A variable set by the user wins.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

log = logging.getLogger(__name__)

_SETTERS = (
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)


def _loaded_openblas() -> list[str]:
    """Paths of the OpenBLAS libraries this process has loaded (Linux only)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return []
    return sorted(p for p in paths if p.startswith("/"))


def limit_blas_threads(threads: int = 1) -> int:
    """Tell every loaded OpenBLAS to use `threads` threads; returns how many were told."""
    if not sys.platform.startswith("linux") or "OPENBLAS_NUM_THREADS" in os.environ:
        return 0
    import numpy  # noqa: F401  (loads numpy's BLAS, so that it is found below)

    told = 0
    for path in _loaded_openblas():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _SETTERS:
            setter = getattr(lib, name, None)
            if setter is not None:
                setter(ctypes.c_int(threads))
                told += 1
                break
    log.debug("BLAS threads limited to %d in %d libraries", threads, told)
    return told
