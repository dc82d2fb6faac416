"""The client's side of the commit race, replayed exactly with a socket that answers a commit
on the receiver thread before its `send` returns (our local engine often does)."""

from __future__ import annotations

import json
import threading
import time

from app.realtime.client import RealtimeClient
from app.realtime.config import ClientConfig
from tests.scripted_recognizer import FakeSocket
from tests.speech import silence


class InstantSocket(FakeSocket):
    """`send` of a commit hands the answers to the receiver and returns only after the
    receiver has handled them: the order in which the stall happened, every time."""

    def __init__(self) -> None:
        super().__init__("m")
        self.handled = threading.Event()
        self._waiting_for_handling = False
        self.commits = 0

    def send(self, frame: str) -> None:
        if json.loads(frame)["type"] != "input_audio_buffer.commit":
            return
        self.commits += 1
        item = f"item_{self.commits}"
        self.handled.clear()
        self._waiting_for_handling = True
        self.frames.put(json.dumps({"type": "input_audio_buffer.committed", "item_id": item}))
        self.frames.put(
            json.dumps(
                {
                    "type": "conversation.item.input_audio_transcription.completed",
                    "item_id": item,
                    "transcript": "words",
                }
            )
        )
        assert self.handled.wait(5), "the receiver never handled the answer"

    def recv_data(self, control_frame: bool = False) -> tuple[int, bytes]:
        if self._waiting_for_handling and self.frames.empty():
            self._waiting_for_handling = False
            self.handled.set()  # both answers were handled: let `send` return
        return super().recv_data(control_frame)


def test_finish_returns_at_once_when_the_answer_beats_the_send() -> None:
    sockets: list[InstantSocket] = []

    def connect(_url: str, _headers: list[str], _timeout: float) -> InstantSocket:
        sockets.append(InstantSocket())
        return sockets[-1]

    config = ClientConfig(url="ws://scripted/v1", model="m", finish_cap_s=5, commit_ack=True)
    client = RealtimeClient(config, connect=connect)
    client.start()
    client.send_audio(silence(0.3))
    started = time.monotonic()
    result = client.finish()
    waited = time.monotonic() - started
    assert result.error is None and result.text == "words"
    assert sockets[0].commits == 1
    assert waited < 1.0, f"finish waited {waited:.2f} s for an answer it already had"
