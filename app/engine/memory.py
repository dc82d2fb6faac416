"""The engine's memory policy on glibc: no allocator churn while decoding, trimmed when idle.

`app.platform.allocator` makes every allocation of 128 KiB and more an mmap of its own and
gives memory back once 128 KiB sit free at the top of a heap, so that RSS stays flat. For
the engine that costs: CTranslate2 allocates and frees megabytes of activations at every
decoder step, and each of those became a fresh mmap whose pages fault in zeroed, or a heap
trimmed and grown again. Measured on 2 cores, one stream of continuous speech: the engine used
62 % of a core with those values, 46 % with a 1 MiB mmap threshold and a 32 MiB trim
threshold, for the same decodes. So while decodes run their buffers stay in the heap, and
the freed memory goes back to the system when the engine is idle (`trim`, called by the
scheduler once no decode has run for `IDLE_TRIM_S`) and after a session ends. Arenas stay
at two (the allocator's setting): decode threads do not each get their own. Variables the
user sets (`MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`) win, as they do there.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from typing import Any

log = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
SETTINGS = (
    ("MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, 1 << 20),
    ("MALLOC_TRIM_THRESHOLD_", M_TRIM_THRESHOLD, 32 << 20),
)
IDLE_TRIM_S = 2.0  # no decode for this long: give freed memory back

_libc: Any = None


def _glibc() -> Any:
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        try:
            lib = ctypes.CDLL(None)
            _libc = lib if hasattr(lib, "mallopt") and hasattr(lib, "malloc_trim") else False
        except OSError:
            _libc = False
    return _libc or None


def tune_for_decoding() -> list[str]:
    """Apply the engine's thresholds (once a model is loaded); returns what was set."""
    libc = _glibc()
    if libc is None:
        return []
    applied = []
    for variable, parameter, value in SETTINGS:
        if variable in os.environ:
            continue
        if libc.mallopt(ctypes.c_int(parameter), ctypes.c_int(value)) == 1:
            applied.append(f"{variable}={value}")
    return applied


def trim() -> bool:
    """Give the memory that is free in the heaps back to the system (a few ms)."""
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.malloc_trim(ctypes.c_size_t(0)))
