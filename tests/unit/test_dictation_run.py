"""A dictation's run with an injected microphone and a scripted recognizer behind the real
client: the options taken at press, nothing said lost, the final from `finalize()`, saved."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.core.words import Rule, Words
from app.dictation.finalize import finalize
from app.dictation.options import DictationOptions
from app.dictation.run import DictationRun, MicOpened, RunEvent, retry
from app.realtime.events import SegmentCompleted, TextChanged
from app.storage.history import History
from tests.scripted_recognizer import ScriptedRecognizer, backend
from tests.speech import silence

SEGMENTS = ["Hello there.", "Um, the the report is late.", "Scratch that.",
            "The report is ready. New paragraph.", "Thanks btw."]  # fmt: skip
WORDS = Words(vocabulary=("Nguyen",), rules=(Rule("btw", "by the way"),))
EXPECTED = "Hello there. The report is ready.\n\nThanks by the way."


class HeldMicrophone:
    """Hands the run `before` at once (while no client exists yet) and `after` on stop."""

    def __init__(self, before: bytes, after: bytes) -> None:
        self.before, self.after = before, after
        self.sink: Callable[[bytes], None] | None = None

    def start(self, sink: Callable[[bytes], None]) -> None:
        self.sink = sink
        sink(self.before)

    def stop(self) -> None:
        assert self.sink is not None
        self.sink(self.after)


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    kept = History(tmp_path / "history.sqlite3")
    yield kept
    kept.close()


def test_a_run_streams_all_it_heard_and_saves_the_final_text(history: History) -> None:
    recognizer = ScriptedRecognizer(SEGMENTS)
    events: list[object] = []
    seen = threading.Lock()

    def post(payload: object) -> None:
        with seen:
            events.append(payload)

    options = DictationOptions(language="fr", words=WORDS, keep_audio=False)
    before, after = silence(0.4), silence(0.3)
    run = DictationRun(7, backend(), lambda: HeldMicrophone(before, after), post, history,
                       options, connect=recognizer.open_client)  # fmt: skip
    run.open()
    done = run.finish()

    assert done.number == 7 and done.result.error is None
    assert done.final == finalize(SEGMENTS, WORDS) and done.text == EXPECTED
    assert done.result.audio == before + after  # held before the client, sent after: all of it
    assert recognizer.languages() == ["fr"] and recognizer.prompts() == ["Glossary: Nguyen."]
    row = history.get(done.row)
    assert row is not None and (row.text, row.raw) == (EXPECTED, "\n".join(SEGMENTS))
    assert not row.has_audio  # not kept: the options said so at press
    told = [e.event for e in events if isinstance(e, RunEvent) and e.number == 7]
    assert isinstance(told[0], MicOpened)
    assert [e.text for e in told if isinstance(e, SegmentCompleted)] == SEGMENTS
    assert any(isinstance(e, TextChanged) and e.live for e in told)


def test_retry_gives_the_same_final_text_as_the_dictation() -> None:
    recognizer = ScriptedRecognizer(SEGMENTS)
    again = retry(backend(), silence(0.5), None, WORDS, connect=recognizer.open_client)
    assert again.result.error is None
    assert again.final == finalize(SEGMENTS, WORDS) and again.final.text == EXPECTED
    assert recognizer.languages() == [""]  # None: the recognizer detects it
