"""Soak benchmark (issue 16): thirty dictations in a row through the real app and `dictate ptt`.

Run: `.venv/bin/python -m bench.soak [N]` (needs Xvfb, xclip and PulseAudio, as the suite
does). The app runs on Xvfb with the virtual microphone and the embedded engine; the table
gives release -> text on the clipboard, RSS over the run, and the reference counts of the
interpreter's singletons at start and exit (a leaking C extension makes them fall).
"""

from __future__ import annotations

import sys

from bench.common import pct, table
from tests.soak.driver import PHRASES, SoakDriver
from tests.virtual_mic import VirtualMic
from tests.xvfb import start_xvfb


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    from app.audio import devices

    display, xvfb = start_xvfb()
    mic = VirtualMic(48000, speakers=True)
    mic.start()
    devices.refresh()
    driver = SoakDriver(display, mic)
    try:
        driver.start()
        for i in range(count):
            driver.dictate(PHRASES[i % len(PHRASES)])
        driver.quit()
    finally:
        driver.cleanup()
        mic.stop()
        xvfb.terminate()
    result = driver.result
    delivered = [d.delivered_s * 1000 for d in result.dictations]
    rss = [d.rss_mb for d in result.dictations]
    start, end = result.singletons_start, result.singletons_exit
    marks = [i for i in (1, 10, count) if i <= count]
    rows = [
        ("dictations delivered", f"{len(delivered)} / {count}", f"{count}", ""),
        ("release -> clipboard p50", f"{pct(delivered, 50):.0f} ms", "", ""),
        ("release -> clipboard p95", f"{pct(delivered, 95):.0f} ms", "", ""),
        ("release -> clipboard max", f"{max(delivered):.0f} ms", "<= 1000 ms", ""),
        *((f"RSS at dictation {i}", f"{rss[i - 1]:.0f} MB", "", "") for i in marks),
        *(
            (f"refcount of {k}, start -> exit", f"{start[k]} -> {end.get(k, '?')}", "", "")
            for k in ("None", "True", "False")
        ),
        ("exit code", str(result.exit_code), "0", ""),
    ]
    print(table(f"Soak: {count} dictations through dictate ptt (Xvfb, virtual mic)", rows))


if __name__ == "__main__":
    main()
