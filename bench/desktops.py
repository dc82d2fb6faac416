"""Delivery on real desktops (issue 23): the real app dictating into a GTK entry on GNOME Shell
on Wayland and on sway, beside the Xvfb + openbox desktop of `bench/delivery.py`.

Run: `.venv/bin/python -m bench.desktops [N]` (needs what tests/desktops needs). Per desktop:
- `dictate ptt stop` run -> last word in the entry, p50 / p95 over N dictations of one phrase
  (the app as its own process, the virtual microphone, the embedded engine);
- the IBus engine on its own (`bench/ibus_switch.py`, 20 rounds): a preedit sent -> shown in
  the entry; `begin` -> Dictate's engine has the focus (switch in); `end` -> the user's engine
  back (switch out).
The app, the engine and the entry stamp their events with CLOCK_MONOTONIC, the same clock in
every process. Columns: IBus on Xvfb, IBus on GNOME (native Wayland GTK 4, GTK_IM_MODULE
unset), IBus on sway (GTK 3 with GTK_IM_MODULE=ibus), wtype on sway (GTK 3).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from bench.common import ROOT, grid, pct
from tests.delivery.desktop import Desktop, Entry
from tests.desktops.gnome import Gnome
from tests.desktops.session import PREFIX, Session
from tests.desktops.sway import Sway
from tests.soak.driver import SoakDriver
from tests.speech import pcm, silence
from tests.virtual_mic import VirtualMic
from tests.waiting import wait_until

PHRASE = "weather"
ROUNDS = 20


@dataclass
class Place:
    """One desktop and one way in: how to open the entry and the app there."""

    env: dict[str, str]
    prefix: tuple[str, ...]
    entry: Callable[[], Entry]
    app: Callable[[], SoakDriver]
    ibus: bool


def release_to_last_word(app: SoakDriver, mic: VirtualMic, entry: Entry, n: int) -> list[float]:
    times = []
    for _ in range(n):
        lines = len(app.log.lines)
        entry.events.clear()
        app.ptt("start")
        mic.play(silence(0.6) + pcm(PHRASE) + silence(0.3))
        wait_until(lambda: mic.idle, 60, "the speech to be played")
        stop = time.monotonic()
        app.ptt("stop")
        wait_until(partial(delivered_since, app, lines), 30,
                   f"the delivery: {app.log.lines[lines:]}")  # fmt: skip
        said = next(x for x in app.log.lines[lines:] if x.startswith("delivered:"))
        assert said.startswith("delivered: True"), said
        wait_until(lambda: any("text" in e for e in entry.events), 10, "the text")
        texts = [e for e in entry.events if "text" in e]
        times.append((float(str(texts[-1]["t"])) - stop) * 1000)
    return times


def delivered_since(app: SoakDriver, since: int) -> bool:
    """The app logged a delivery after its first `since` lines."""
    return any(x.startswith("delivered:") for x in app.log.lines[since:])


def preedit_at(entry: Entry, word: str) -> float | None:
    return next((float(str(e["t"])) for e in entry.events if e.get("preedit") == word), None)


def engine_costs(place: Place, entry: Entry) -> dict[str, list[float]]:
    probe = subprocess.Popen([*place.prefix, sys.executable, "-m", "bench.ibus_switch",
                              str(ROUNDS)], env=place.env, cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert probe.stdin is not None and probe.stdout is not None
    costs: dict[str, list[float]] = {"focus": [], "preedit": [], "back": []}
    for line in probe.stdout:
        said = json.loads(line)
        assert "problem" not in said, said
        if "focus_ms" in said:
            costs["focus"].append(said["focus_ms"])
        elif "back_ms" in said:
            costs["back"].append(said["back_ms"])
        elif "preedit" in said:
            word, sent = said["preedit"], said["t"]
            seen = wait_until(partial(preedit_at, entry, word), 10, word)
            costs["preedit"].append((seen - sent) * 1000)
            probe.stdin.write("seen\n")
            probe.stdin.flush()
    assert probe.wait(30) == 0
    return costs


def measure(place: Place, mic: VirtualMic, n: int) -> dict[str, str]:
    """The engine on its own first (before the app registers its own engine), then the app;
    a fresh entry for each, opened after the app's window so that it has the focus."""
    column: dict[str, str] = {}
    if place.ibus:
        entry = place.entry()
        try:
            costs = engine_costs(place, entry)
        finally:
            entry.close()
        for key, label in (("preedit", "preedit -> entry"), ("focus", "switch in: begin -> "
                           "focus"), ("back", "switch out: end -> user's engine")):  # fmt: skip
            column[f"{label} p50"] = f"{pct(costs[key], 50):.1f} ms"
            column[f"{label} p95"] = f"{pct(costs[key], 95):.1f} ms"
    app = place.app()
    try:
        app.log.wait_line("delivery method:", 30)  # the engine registered, or not
        entry = place.entry()
        release = release_to_last_word(app, mic, entry, n)
        entry.close()
        app.quit()
    finally:
        app.cleanup()
    column["`ptt stop` -> last word p50"] = f"{pct(release, 50):.0f} ms"
    column["`ptt stop` -> last word p95"] = f"{pct(release, 95):.0f} ms"
    return column


@contextmanager
def xvfb(mic: VirtualMic) -> Iterator[Place]:
    desktop = Desktop()
    desktop.ibus_cmd("engine", "xkb:us::eng")

    def app() -> SoakDriver:
        driver = SoakDriver(desktop.display, mic)
        for key in ("HOME", "DBUS_SESSION_BUS_ADDRESS", "XDG_CONFIG_HOME"):
            driver.env[key] = desktop.env[key]
        (driver.home / "config" / "settings.json").write_text(
            '{"settings": {"auto_copy": false, "first_run_done": true}}'
        )
        driver.start()
        return driver

    try:
        yield Place(desktop.env, (), desktop.entry, app, True)
    finally:
        desktop.stop()


def on(session: Session, mic: VirtualMic, gtk: int, im: str | None, delivery: str) -> Place:
    """GTK `gtk` entries (native Wayland) with the input module `im` (None: the desktop's),
    and the app delivering by `delivery`."""

    def entry() -> Entry:
        return session.entry(f"Bench{gtk}", gtk, im, GDK_BACKEND="wayland")

    def app() -> SoakDriver:
        return session.app(mic, "wayland", auto_copy=False, delivery=delivery)

    return Place(session.env, PREFIX, entry, app, delivery != "wayland typing")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    mic = VirtualMic(48000)
    mic.start()
    columns: dict[str, dict[str, str]] = {}
    try:
        with xvfb(mic) as place:
            columns["IBus, Xvfb"] = measure(place, mic, n)
        gnome = Gnome()
        try:
            here = on(gnome, mic, 4, None, "auto")
            columns["IBus, GNOME Wayland"] = measure(here, mic, n)
        finally:
            gnome.stop()
        sway = Sway()
        try:
            here = on(sway, mic, 3, "gtk-im-context-simple", "wayland typing")
            columns["wtype, sway"] = measure(here, mic, n)
            sway.start_ibus()
            columns["IBus, sway"] = measure(on(sway, mic, 3, "ibus", "auto"), mic, n)
        finally:
            sway.stop()
    finally:
        mic.stop()
    metrics = list(dict.fromkeys(m for c in columns.values() for m in c))
    rows = [(m, *(c.get(m, "-") for c in columns.values())) for m in metrics]
    title = f"Delivery on real desktops: {n} dictations of one phrase each, {ROUNDS} engine rounds"
    print(grid(title, ("metric", *columns), rows))


if __name__ == "__main__":
    main()
