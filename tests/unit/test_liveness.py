"""When the sender pings, gives a silent connection up, or closes an idle one."""

from __future__ import annotations

from app.realtime.config import ClientConfig
from app.realtime.liveness import Liveness

CONFIG = ClientConfig(
    url="ws://x/v1", model="m", ping_interval_s=10, ping_timeout_s=5, idle_close_s=60
)


def test_a_ping_goes_every_interval_while_the_server_answers() -> None:
    live = Liveness(CONFIG, now=0.0)
    live.opened(0.0)
    assert live.due(9.9, needed=True) is None
    assert live.due(10.0, needed=True) == "ping"
    live.last_ping = live.last_heard = 10.0  # pinged, and the pong came
    assert live.due(15.0, needed=True) is None


def test_a_server_silent_for_an_interval_and_the_timeout_is_gone() -> None:
    live = Liveness(CONFIG, now=0.0)
    live.opened(0.0)
    live.last_ping = 10.0  # pinged; no pong, no frame
    assert live.due(15.0, needed=True) is None
    assert live.due(15.1, needed=True) == "gone"
    assert live.due(15.1, needed=False) == "gone"  # gone outranks idle


def test_an_idle_connection_closes_only_when_nothing_is_left_to_send_or_hear() -> None:
    live = Liveness(CONFIG, now=0.0)
    live.opened(50.0)
    live.last_audio_at = 1.0
    assert live.due(61.0, needed=False) == "idle"
    assert live.due(61.0, needed=True) == "ping"  # a commit's answer is still to come
    live.last_audio_at = 60.0  # audio came: not idle any more
    assert live.due(61.0, needed=False) == "ping"
