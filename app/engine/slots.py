"""Session slots: how many connections the engine has promised a session, and to whom.

`--max-sessions` is enforced by counting slots, and `/ready` reports them. A slot is claimed
by a handshake that passed every check and is tied to its TCP connection from that moment:
whatever the client does next (drops, resets, half-closes, never reads), the slot goes back
the moment the connection is lost, or when its session ends, whichever comes first.

Why a slot is an object and not an entry the handshake writes into a dict: the handshake
awaits (a model load, a recognizer from a worker thread) after claiming. The connection can
be lost during that await; its release then runs first, and a later `dict[key] = value`
would put the reservation back for a connection that no longer exists — a slot held for
good. Four dropped upgrades locked a `--max-sessions 4` engine that way. Here the code after
the await can only fill in the `Slot` it was given; once released, nothing brings it back.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from websockets.asyncio.server import ServerConnection

T = TypeVar("T")


@dataclass(eq=False)
class Slot(Generic[T]):
    """One connection's claim; `admitted` is what its handshake decided, for the session."""

    owner: Slots[T]
    key: Any
    admitted: T | None = None
    session: bool = False
    released: bool = False

    def release(self) -> None:
        """Give the slot back; again is harmless."""
        self.owner._release(self)


class Slots(Generic[T]):
    """The slots of one engine, by connection."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: dict[Any, Slot[T]] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def held(self) -> int:
        return len(self._held)

    @property
    def reserved(self) -> int:
        """Slots of handshakes that have not become sessions (yet)."""
        return sum(1 for slot in self._held.values() if not slot.session)

    @property
    def full(self) -> bool:
        return len(self._held) >= self.limit

    def claim(self, connection: ServerConnection, admitted: T | None = None) -> Slot[T]:
        """A slot for `connection`, released when the connection is lost. The caller checks
        `full` first, with no await in between; a connection claims at most once."""
        key = connection.id
        if key in self._held:
            raise RuntimeError(f"connection {key} already holds a slot")
        slot = Slot(self, key, admitted)
        self._held[key] = slot
        self._idle.clear()
        lost = connection.connection_lost_waiter
        if lost.done():  # gone before it was admitted: no slot at all
            slot.release()
        else:
            lost.add_done_callback(lambda _: slot.release())
        return slot

    def take(self, connection: ServerConnection) -> Slot[T] | None:
        """The slot of a connection that completed its upgrade, now a session's; None when
        it holds none (its handshake was not ours, or the connection is already gone)."""
        slot = self._held.get(connection.id)
        if slot is not None:
            slot.session = True
        return slot

    def _release(self, slot: Slot[T]) -> None:
        if slot.released:
            return
        slot.released = True
        if self._held.get(slot.key) is slot:
            del self._held[slot.key]
        if not self._held:
            self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until no slot is held, at most `timeout` seconds; True if none is."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)
        return not self._held
