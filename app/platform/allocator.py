"""glibc's allocator, tuned for a long-running process that decodes audio on many threads.

With the defaults the app's RSS grew by 4 to 9 MB with every dictation and never came back
(328 MB after one dictation, 476 MB after thirty), without a leak: heaptrack saw the heap
peak at 190 MB and 3.8 MB never freed. The growth was freed memory kept by the allocator.
glibc raises its mmap threshold each time a large block is freed, so the megabyte-sized
buffers of every decode (mel features, encoder output) move from mmap, which returns them
to the system on free, into the heap arenas of whichever thread freed them, where they
fragment; each new thread (a microphone stream, a connection) may get an arena of its own.
A fixed mmap threshold, a trim threshold and two arenas keep RSS flat (see bench.soak).
The variables `MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_` and `MALLOC_ARENA_MAX`, set
by a user, win over these values. Once a model loads, the engine (`app.engine.memory`) raises
the two thresholds for the whole process, the app with its embedded engine included, and
trims instead when decoding pauses: per-decode mmaps cost a third of the engine's CPU.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

SETTINGS = (
    ("MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, 128 * 1024),
    ("MALLOC_TRIM_THRESHOLD_", M_TRIM_THRESHOLD, 128 * 1024),
    ("MALLOC_ARENA_MAX", M_ARENA_MAX, 2),
)


def tune() -> list[str]:
    """Apply the settings on glibc (early, before threads start); returns what was set."""
    if not sys.platform.startswith("linux"):
        return []
    try:
        # The process's own symbols: no library search at every start of every command.
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return []
    applied = []
    for variable, parameter, value in SETTINGS:
        if variable in os.environ:
            continue
        if mallopt(ctypes.c_int(parameter), ctypes.c_int(value)) == 1:
            applied.append(f"{variable}={value}")
    return applied
