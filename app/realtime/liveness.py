"""When the sender pings, gives a silent connection up, or closes an idle one.

websocket-client sends no pings of its own, and a dead peer (a laptop that slept, a balancer
that forgot us) shows only as silence: without a rule, a dictation would wait for its cap
instead of reconnecting. A connection kept open through a long pause holds one of the
server's sessions until its idle timeout (PROTOCOL.md 4), so an idle one is closed, and it
reopens when audio comes. Pure, with the time passed in, so the rules are tested without
waiting; the client calls it under its lock.
"""

from __future__ import annotations

from typing import Literal

from app.realtime.config import ClientConfig

Due = Literal["gone", "idle", "ping"]


class Liveness:
    def __init__(self, config: ClientConfig, now: float) -> None:
        self.ping_interval_s = config.ping_interval_s
        self.ping_timeout_s = config.ping_timeout_s
        self.idle_close_s = config.idle_close_s
        self.last_heard = 0.0  # the latest frame of any kind from the server
        self.last_ping = 0.0
        self.last_audio_at = now  # the latest audio (or wake-up) from the caller

    def opened(self, now: float) -> None:
        """A fresh connection counts as heard and pinged."""
        self.last_heard = self.last_ping = now

    def due(self, now: float, *, needed: bool) -> Due | None:
        """What the connection needs now; `needed`: audio to send or a commit to hear back.

        `gone` when nothing came for a ping interval plus the ping timeout (a pong counts),
        `idle` when no audio came for `idle_close_s` and nothing is `needed`, `ping` when the
        interval since the last ping has passed.
        """
        if now - self.last_heard > self.ping_interval_s + self.ping_timeout_s:
            return "gone"
        if now - self.last_audio_at >= self.idle_close_s and not needed:
            return "idle"
        if now - self.last_ping >= self.ping_interval_s:
            return "ping"
        return None
