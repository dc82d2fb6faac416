"""How the suite shares its workers (pytest-xdist, as scripts/test.sh runs it).

A unit of work is a file, so its module fixtures (an engine, a desktop, a built package)
start once. The folders that change the machine's own state are one unit, run in order on
one worker: the installed package (its IBus component file, /usr/bin/dictate) changes what
every ibus-daemon that the delivery and desktop tests start finds. The longest units go first
(that one, the soak, the engine's integration files), so no long file is left for the end
while the others idle.

The units are the scheduler's own scopes (`Units`): pytest-xdist's `loadgroup` marks a group
by rewriting `item._nodeid`, which pytest 9.2 no longer reads (`nodeid` comes from `_id`),
so its groups silently split and two workers built the package into one folder at once.
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

MACHINE_WIDE = ("delivery", "desktops", "packaging")
MACHINE_WIDE_UNIT = "machine-wide"
FIRST = ("soak", "integration")  # after the machine-wide unit, before everything else


def _folder(nodeid: str) -> str:
    """The folder under tests/ ("" for a file right in tests/)."""
    parts = nodeid.split("::", 1)[0].split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "tests" else ""


def unit(nodeid: str) -> str:
    """The unit of work a test belongs to: its file, or the machine-wide unit."""
    if _folder(nodeid) in MACHINE_WIDE:
        return MACHINE_WIDE_UNIT
    return nodeid.split("::", 1)[0]


def rank(nodeid: str) -> int:
    """Where a test's unit goes in the queue: lower first; equal ranks keep their order."""
    folder = _folder(nodeid)
    if folder in MACHINE_WIDE:
        return 0
    return 1 + FIRST.index(folder) if folder in FIRST else 1 + len(FIRST)


class Units(LoadScopeScheduling):  # type: ignore[misc]  # xdist ships no types
    """pytest-xdist's scope scheduling, with `unit` as the scope and the queue in the order
    of the collection (which the workers sort by `rank`)."""

    def _split_scope(self, nodeid: str) -> str:
        return unit(nodeid)
