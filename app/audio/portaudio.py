"""PortAudio is not thread-safe: every call that touches its global state goes through here.

Opening, starting, stopping and closing streams and listing devices from several threads at
once crashes it: the soak test's app died with a segmentation fault in
`check_input_settings` while two start/stop sounds were opening output streams on other
threads. `LOCK` serializes those calls across the microphone, the device list and the
sounds. Stream callbacks run on PortAudio's own threads and never take it.
"""

from __future__ import annotations

import threading
from typing import Any

from app.core.errors import AudioInputError

LOCK = threading.RLock()


def sounddevice() -> Any:
    """The `sounddevice` module, or a clear error when the PortAudio library is missing."""
    try:
        import sounddevice
    except OSError as exc:  # PortAudio itself is missing
        raise AudioInputError(
            "audio is unavailable: the PortAudio library is not installed "
            "(Debian/Ubuntu: sudo apt-get install libportaudio2)"
        ) from exc
    return sounddevice
