"""The IBus engine on its own, for `bench/desktops.py`: run as the desktop's user (ibus-daemon
talks only to its own user), it starts Dictate's engine the way the app does and, N times:
`begin` (Dictate's engine made active) until it has the focus, a preedit sent (its send time
printed, so the caller can find it on the screen and answer), `end` until the user's engine is
back. One JSON object a line on stdout, times on CLOCK_MONOTONIC (the same in every process).

Run: `python -m bench.ibus_switch N`, answering each `preedit` line with a line on stdin.
"""

from __future__ import annotations

import json
import queue
import sys
import time

from app.delivery.ibus import IBusSession


def say(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    events: queue.Queue[tuple[float, dict[str, object]]] = queue.Queue()
    session = IBusSession(lambda e: events.put((time.monotonic(), e)))
    problem = session.start()
    if problem:
        say(problem=problem)
        return 1

    def until(name: str) -> float:
        while True:
            t, event = events.get(timeout=10)
            if event.get("event") == name and (name != "focus" or event.get("in")):
                return t

    try:
        for i in range(rounds):
            t0 = time.monotonic()
            session.send("begin")
            say(focus_ms=(until("focus") - t0) * 1000)
            word = f"word{i}"
            say(preedit=word, t=time.monotonic())
            session.send("preedit", word)
            sys.stdin.readline()  # the caller saw it in the window
            t2 = time.monotonic()
            session.send("end")
            say(back_ms=(until("ended") - t2) * 1000)
    finally:
        session.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
