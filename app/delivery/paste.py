"""X11 paste: the text on the clipboard, Ctrl+V (Ctrl+Shift+V in a terminal), and the user's
clipboard back only after the paste was consumed.

`xclip -verbose` owns the clipboard while the text is pasted and says on stderr each time an
app has fetched it; the user's clipboard is put back once the target has fetched the text and
asked nothing more for a moment, so a slow app never pastes the old clipboard.
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import subprocess
import threading
import time

from app.delivery import xtest

SETTLE_S = 0.3  # no further request for this long after the first: the paste is done


def available() -> bool:
    return bool(shutil.which("xclip") and shutil.which("xdotool"))


def read_clipboard() -> str | None:
    try:
        done = subprocess.run(["xclip", "-o", "-selection", "clipboard"], capture_output=True,
                              text=True, timeout=3, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _own(text: str, loops: int) -> subprocess.Popen[str]:
    argv = ["xclip", "-loops", str(loops), "-selection", "clipboard", "-verbose", "-i"]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write(text)
    proc.stdin.close()
    return proc


def paste(text: str, *, terminal: bool, restore: bool = True, timeout: float = 3) -> str | None:
    """Pastes into the focused window; returns None when the target fetched the text, or why
    not (the text then stays on the clipboard)."""
    previous = read_clipboard() if restore else None
    owner = _own(text, loops=1000)
    requests: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert owner.stderr is not None
        for line in owner.stderr:
            if "Waiting for selection request" in line:
                requests.put(line)

    threading.Thread(target=read, daemon=True).start()
    with contextlib.suppress(queue.Empty):  # the first line: xclip owns the clipboard now
        requests.get(timeout=timeout)
    problem = xtest.key("ctrl+shift+v" if terminal else "ctrl+v")
    served = 0
    deadline = time.monotonic() + timeout
    while problem is None:
        try:
            requests.get(timeout=SETTLE_S if served else max(0.0, deadline - time.monotonic()))
            served += 1
        except queue.Empty:
            break
    owner.terminate()
    owner.wait(3)
    if problem is None and not served:
        problem = "the window did not take the paste"
    if problem is None and previous is not None:
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            subprocess.run(
                ["xclip", "-selection", "clipboard", "-i"],
                input=previous,
                text=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=3,
                check=False,
            )  # fmt: skip  (xclip forks and serves it from then on)
    return problem
