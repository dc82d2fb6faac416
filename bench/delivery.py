"""Delivery benchmark (issue 15): the real app dictating through the input method into a GTK entry.

Run: `.venv/bin/python -m bench.delivery [N]` (needs what tests/delivery needs: Xvfb, openbox,
dbus-launch, ibus-daemon, the system python3 with gi, PulseAudio). The app runs as its own
process with `dictate ptt`, the virtual microphone and the embedded engine; each dictation is
three phrases with pauses, so segments settle while the user still speaks. The app and the
entry stamp their events with CLOCK_MONOTONIC, the same clock in both processes:

- segment in the app -> its text in the entry (the engine process, ibus-daemon, GTK);
- final text in the app -> last word in the entry (what delivery adds over the final's arrival);
- `dictate ptt stop` run -> last word in the entry (what the user waits for after release);
- the overlay: show() asked -> shown.
"""

from __future__ import annotations

import re
import sys
import time
from functools import partial

from bench.common import pct, table
from tests.delivery.desktop import Desktop, Entry
from tests.soak.driver import SoakDriver
from tests.speech import pcm, silence
from tests.virtual_mic import VirtualMic
from tests.waiting import wait_until

PHRASES = ("fox", "weather", "meeting")


def stamps(lines: list[str], prefix: str) -> list[float]:
    return [float(m.group(1)) for x in lines if (m := re.match(rf"{prefix} @([\d.]+)", x))]


def first_text_after(entry: Entry, t: float) -> float | None:
    times = [float(str(e["t"])) for e in entry.events if "text" in e and float(str(e["t"])) >= t]
    return min(times) if times else None


def ok(ms: float) -> str:
    return "yes" if ms <= 50 else "NO"


def overlay_hidden(lines: list[str]) -> bool:
    shown = sum(x.startswith("overlay shown") for x in lines)
    return shown == sum(x == "overlay hidden" for x in lines)


def delivered_since(app: SoakDriver, since: int) -> bool:
    """The app logged a delivery after its first `since` lines."""
    return any(x.startswith("delivered:") for x in app.log.lines[since:])


def preedit_at(entry: Entry, word: str) -> float | None:
    return next((float(str(e["t"])) for e in entry.events if e.get("preedit") == word), None)


def switch_costs(desktop: Desktop, entry: Entry, rounds: int = 20) -> dict[str, list[float]]:
    """The engine on its own: begin (Dictate's engine made active) -> it has the focus, a
    preedit -> shown in the entry, end -> the user's engine back."""
    import queue

    from app.delivery.ibus import IBusSession

    events: queue.Queue[tuple[float, dict[str, object]]] = queue.Queue()
    session = IBusSession(lambda e: events.put((time.monotonic(), e)))
    assert session.start(env=desktop.env) is None
    costs: dict[str, list[float]] = {"focus": [], "preedit": [], "back": []}

    def until(name: str) -> float:
        while True:
            t, event = events.get(timeout=10)
            if event.get("event") == name:
                return t

    try:
        for i in range(rounds):
            t0 = time.monotonic()
            session.send("begin")
            costs["focus"].append((until("focus") - t0) * 1000)
            word = f"word{i}"
            t1 = time.monotonic()
            session.send("preedit", word)
            seen = wait_until(partial(preedit_at, entry, word), 10, word)
            costs["preedit"].append((seen - t1) * 1000)
            t2 = time.monotonic()
            session.send("end")
            costs["back"].append((until("ended") - t2) * 1000)
    finally:
        session.stop()
    return costs


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    from app.audio import devices

    desktop = Desktop()
    mic = VirtualMic(48000, speakers=True)
    mic.start()
    devices.refresh()
    driver = SoakDriver(desktop.display, mic)
    for key in ("HOME", "DBUS_SESSION_BUS_ADDRESS", "XDG_CONFIG_HOME"):
        driver.env[key] = desktop.env[key]
    (driver.home / "config").mkdir(parents=True, exist_ok=True)
    (driver.home / "config" / "settings.json").write_text(
        '{"settings": {"auto_copy": false, "first_run_done": true}}'
    )
    segment_ms: list[float] = []
    final_ms: list[float] = []
    release_ms: list[float] = []
    arrival_ms: list[float] = []  # `ptt stop` run -> the final text in the app
    try:
        entry = desktop.entry()
        desktop.ibus_cmd("engine", "xkb:us::eng")
        switch = switch_costs(desktop, entry)  # before the app registers its own engine
        driver.start()
        driver.log.wait_line("delivery method: input method", 20)
        desktop.activate("EntryTest")
        entry.events.clear()
        for _ in range(count):
            lines = len(driver.log.lines)
            speech = silence(0.6) + pcm(PHRASES[0]) + silence(1.4) + pcm(PHRASES[1])
            speech += silence(1.4) + pcm(PHRASES[2]) + silence(0.3)  # the last one on release
            driver.ptt("start")
            mic.play(speech)
            wait_until(lambda: mic.idle, 60, "the speech to be played")
            stop = time.monotonic()
            driver.ptt("stop")
            wait_until(partial(delivered_since, driver, lines), 20, "the delivery")
            new = driver.log.lines[lines:]
            for t in stamps(new, "segment committed"):
                seen = first_text_after(entry, t)
                if seen is not None:
                    segment_ms.append((seen - t) * 1000)
            # The final's arrival: the first commit after the release, or the final text.
            final = min([t for t in stamps(new, "segment committed") if t > stop]
                        + stamps(new, "final text"))  # fmt: skip
            texts = [e for e in entry.events if "text" in e]
            last = float(str(texts[-1]["t"]))
            final_ms.append((last - final) * 1000)
            arrival_ms.append((final - stop) * 1000)
            release_ms.append((last - stop) * 1000)
            entry.events.clear()
            wait_until(lambda: overlay_hidden(driver.log.lines), 10, "the overlay to fade")
        overlay = [float(m.group(1)) for x in driver.log.lines
                   if (m := re.match(r"overlay shown in ([\d.]+) ms", x))]  # fmt: skip
        driver.quit()
    finally:
        driver.cleanup()
        mic.stop()
        desktop.stop()
    rows = [
        ("engine switch: begin -> focus p50", f"{pct(switch['focus'], 50):.1f} ms", "", "n=20"),
        ("engine switch: begin -> focus p95", f"{pct(switch['focus'], 95):.1f} ms", "", ""),
        ("preedit -> entry p50", f"{pct(switch['preedit'], 50):.1f} ms", "", ""),
        ("preedit -> entry p95", f"{pct(switch['preedit'], 95):.1f} ms", "", ""),
        ("end -> user's engine back p50", f"{pct(switch['back'], 50):.1f} ms", "", ""),
        ("segment -> entry p50", f"{pct(segment_ms, 50):.1f} ms", "", f"n={len(segment_ms)}"),
        (
            "segment -> entry p95",
            f"{pct(segment_ms, 95):.1f} ms",
            "<= 50 ms",
            ok(pct(segment_ms, 95)),
        ),
        ("final text -> last word p50", f"{pct(final_ms, 50):.1f} ms", "", f"n={len(final_ms)}"),
        (
            "final text -> last word p95",
            f"{pct(final_ms, 95):.1f} ms",
            "<= 50 ms",
            ok(pct(final_ms, 95)),
        ),
        ("`ptt stop` run -> last word p50", f"{pct(release_ms, 50):.0f} ms", "", ""),
        ("`ptt stop` run -> last word p95", f"{pct(release_ms, 95):.0f} ms", "", ""),
        ("`ptt stop` run -> final text in the app p50", f"{pct(arrival_ms, 50):.0f} ms", "", ""),
        ("overlay show p50", f"{pct(overlay, 50):.1f} ms", "", f"n={len(overlay)}"),
        ("overlay show max", f"{max(overlay or [float('nan')]):.1f} ms", "", ""),
    ]
    print(table(f"Delivery through the input method: {count} dictations (Xvfb, openbox)", rows))


if __name__ == "__main__":
    main()
