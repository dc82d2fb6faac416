"""Cleanup against an OpenAI-compatible server on loopback (tests/llm_server.py), through the
real `openai` client: applied when the answer is a cleanup, and for every bad answer, HTTP
error, dead server or late answer the rendered text is kept with the reason, in time."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.words import Words
from app.delivery.xtest import Window
from app.dictation.cleanup import Cleanup, CleanupOptions
from app.dictation.finalize import Final, finalize
from app.dictation.options import DictationOptions
from app.dictation.run import DictationRun, clean_again
from app.dictation.target import Target, TargetCapture
from app.storage.history import History
from tests.llm_server import LLMServer
from tests.scripted_recognizer import ScriptedRecognizer, backend
from tests.speech import silence

SAID = ["um so I I think we should move the meeting to Friday afternoon"]
RENDERED = "so I think we should move the meeting to Friday afternoon"  # no capital, no "."
CLEANED = "So I think we should move the meeting to Friday afternoon."


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with LLMServer() as running:
        yield running


def clean(
    server: LLMServer, model: str, *, stream: bool = True, timeout: float = 4.0,
    one_line: bool = False,
) -> tuple[Final, float]:  # fmt: skip
    options = CleanupOptions(provider="custom", url=server.url, model=model, stream=stream,
                             timeout_s=timeout, api_key="sk-test")  # fmt: skip
    step = Cleanup(options, one_line=one_line)
    started = time.monotonic()
    final = finalize(SAID, Words(), [step])
    return final, time.monotonic() - started


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("model", ["clean", "think", "preamble"])
def test_a_cleanup_is_applied_and_every_stage_kept(server: LLMServer, model: str,
                                                   stream: bool) -> None:  # fmt: skip
    final, _ = clean(server, model, stream=stream)
    assert (final.raw, final.rendered) == (SAID[0], RENDERED)
    assert final.text == final.cleaned == CLEANED and final.delivered == "cleaned"
    assert final.note == ""
    asked = server.requests[-1]
    assert asked["auth"] == "Bearer sk-test" and bool(asked.get("stream")) is stream
    assert asked["temperature"] == 0
    assert f"<transcript>\n{RENDERED}\n</transcript>" == asked["messages"][-1]["content"]


BAD = {  # the reasons each may be given (a drafted email is "too few of the words said")
    "answer": ("answered", "too few of the words said", "far longer"),
    "refuse": ("refused",),
    "summary": ("far shorter", "too few of the words said"),
    "empty": ("no text",),
    "401": ("refused the key (HTTP 401)",),
    "429": ("limiting requests (HTTP 429)",),
    "500": ("an error (HTTP 500)",),
}


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("model", sorted(BAD))
def test_a_bad_answer_falls_back_to_the_rendered_text_with_its_reason(
    server: LLMServer, model: str, stream: bool
) -> None:
    final, took = clean(server, model, stream=stream)
    assert final.text == RENDERED and final.cleaned == "" and final.delivered == "rendered"
    assert final.note.startswith("cleanup not used: ")
    assert any(why in final.note for why in BAD[model])
    assert "\n" not in final.note and RENDERED not in final.note  # one line, not the text
    assert took < 4.0


def test_several_lines_where_one_line_was_typed_fall_back(server: LLMServer) -> None:
    final, _ = clean(server, "lines", one_line=True)
    assert final.text == RENDERED and "one line" in final.note
    assert clean(server, "clean", one_line=True)[0].text == CLEANED  # one line: used


@pytest.mark.parametrize("stream", [True, False])
def test_a_slow_model_costs_no_more_than_the_timeout(server: LLMServer, stream: bool) -> None:
    server.first_token_s = 6.0
    final, took = clean(server, "clean", stream=stream, timeout=1.0)
    assert final.text == RENDERED and "no answer within 1 s" in final.note
    assert 0.9 <= took < 1.0 + 1.0  # the timeout, plus a margin for a busy machine


def test_a_dead_server_falls_back_at_once() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    step = Cleanup(CleanupOptions(provider="custom", url=f"http://127.0.0.1:{port}/v1",
                                  model="clean", timeout_s=3.0))  # fmt: skip
    started = time.monotonic()
    final = finalize(SAID, Words(), [step])
    assert final.text == RENDERED and f"no cleanup server answers at http://127.0.0.1:{port}" in (
        final.note)  # fmt: skip
    assert time.monotonic() - started < 3.0


def test_the_key_comes_from_the_environment_when_not_given(
    server: LLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DICTATE_LLM_API_KEY", "sk-from-env")
    step = Cleanup(CleanupOptions(provider="custom", url=server.url, model="clean"))
    assert finalize(SAID, Words(), [step]).text == CLEANED
    assert server.requests[-1]["auth"] == "Bearer sk-from-env"


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    kept = History(tmp_path / "history.sqlite3")
    yield kept
    kept.close()


def run_once(server: LLMServer, history: History, model: str, wm_class: str = "gedit") -> int:
    options = DictationOptions(cleanup=CleanupOptions(provider="custom", url=server.url,
                                                      model=model))  # fmt: skip
    window = Window(id="1", name="a window", wm_class=wm_class, pid=0)
    run = DictationRun(1, backend(), Held, lambda _e: None, history, options,
                       connect=ScriptedRecognizer(SAID).open_client,
                       target=TargetCapture.known(Target(window)))  # fmt: skip
    run.open()
    return run.finish().row


class Held:
    def start(self, sink: object) -> None:
        sink(silence(0.3))  # type: ignore[operator]

    def stop(self) -> None:
        pass


def test_history_keeps_the_raw_the_rendered_and_the_cleaned_text(
    server: LLMServer, history: History
) -> None:
    assert DictationOptions(cleanup=CleanupOptions()).hold_commits  # nothing out before it
    row = history.get(run_once(server, history, "clean"))
    assert row is not None
    assert (row.raw, row.rendered, row.cleaned, row.text) == (SAID[0], RENDERED, CLEANED, CLEANED)
    assert row.delivered == "cleaned" and row.other == RENDERED and row.note == ""
    history.set_delivered(row.id, "rendered")  # "deliver the other"
    again = history.get(row.id)
    assert again is not None and again.text == RENDERED and again.other == CLEANED

    bad = history.get(run_once(server, history, "refuse"))
    assert bad is not None and (bad.text, bad.rendered, bad.cleaned) == (RENDERED, RENDERED, "")
    assert bad.delivered == "rendered" and "refused" in bad.note


def test_a_terminal_target_asks_for_one_line(server: LLMServer, history: History) -> None:
    row = history.get(run_once(server, history, "lines", wm_class="xterm"))
    assert row is not None and row.text == RENDERED and "one line" in row.note


def test_clean_again_from_the_history_keeps_both_texts(server: LLMServer, history: History) -> None:
    row = run_once(server, history, "refuse")
    failed = clean_again(history, row, CleanupOptions(provider="custom", url=server.url,
                                                      model="500"))  # fmt: skip
    kept = history.get(row)
    assert kept is not None and kept.text == RENDERED and "HTTP 500" in kept.note
    assert failed.note == kept.note

    clean_again(history, row, CleanupOptions(provider="custom", url=server.url, model="clean"))
    again = history.get(row)
    assert again is not None and (again.text, again.cleaned, again.note) == (CLEANED, CLEANED, "")
    assert (again.raw, again.rendered, again.other) == (SAID[0], RENDERED, RENDERED)
