"""Cleanup in the real app, through the input method into a GTK entry of another process: the
live words stay preedit at the caret for the whole dictation and the cleaned final replaces
them in one commit; the history keeps the text as heard beside the cleaned one."""

from __future__ import annotations

import contextlib
import sqlite3

import pytest

from app.delivery.ibus.caret import fit
from tests.delivery.desktop import Desktop, needs_desktop, needs_ibus
from tests.delivery.test_ime_app import app_on, delivered_line, desktop
from tests.llm_server import LLMServer, tidy
from tests.speech import TEXTS, pcm, silence, wer
from tests.virtual_mic import VirtualMic
from tests.waiting import wait_until

pytestmark = [needs_desktop, needs_ibus]
__all__ = ["desktop"]  # the fixture, shared with test_ime_app


@pytest.mark.timeout(180)
def test_preedit_for_the_whole_dictation_then_one_commit_of_the_cleaned_text(
    desktop: Desktop, mic: VirtualMic
) -> None:
    with LLMServer(first_token_s=0.15) as server:
        driver = app_on(desktop, mic, auto_copy=False, cleanup=True, cleanup_provider="custom",
                        cleanup_urls={"custom": server.url},
                        cleanup_models={"custom": "ampersand"})  # fmt: skip
        try:
            driver.start()
            assert driver.log.wait_line("delivery method:", 20) == "delivery method: input method"
            entry = desktop.entry("EntryTest")
            desktop.type("abc ")
            wait_until(lambda: entry.text == "abc ", 10, "keys typed before the dictation")
            before, lines = len(entry.events), len(driver.log.lines)
            driver.ptt("start")
            mic.play(silence(0.6) + pcm("long") + silence(0.3))  # several segments
            wait_until(lambda: mic.idle, 60, "the speech to be played")
            during = entry.events[before:]
            driver.ptt("stop")
            line = delivered_line(driver, lines)
            assert line.startswith("delivered: True input method"), line
            cleaned = driver.newest_text()
            # Mid-sentence after "abc ": the text goes on in lower case (the caret's context).
            expected = "abc " + fit("abc ", cleaned)
            wait_until(lambda: entry.text == expected, 10, f"{expected!r} in the entry")

            assert any(e.get("preedit") for e in during), f"no live words: {during}"
            assert not [e for e in during if "text" in e], "text committed before the end"
            commits = [e["text"] for e in entry.events[before:] if "text" in e]
            assert commits == [expected], commits  # one commit, the cleaned text
            assert entry.preedits[-1] == ""
            assert wer(TEXTS["long"], cleaned) <= 0.5, cleaned
            with contextlib.closing(
                sqlite3.connect(
                    f"file:{driver.home / 'data' / 'history.sqlite3'}?mode=ro", uri=True
                )
            ) as db:
                rendered, kept, note = db.execute(
                    "SELECT rendered, cleaned, note FROM dictations ORDER BY id DESC LIMIT 1"
                ).fetchone()  # fmt: skip
            assert (kept, note) == (cleaned, "") and " & " in cleaned
            assert cleaned == tidy(rendered).replace(" and ", " & ")
            assert len(server.requests) == 1
        finally:
            driver.cleanup()


@pytest.mark.timeout(180)
def test_typing_in_continuous_mode_types_only_the_cleaned_text_at_the_end(
    desktop: Desktop, mic: VirtualMic
) -> None:
    with LLMServer() as server:
        driver = app_on(desktop, mic, auto_copy=False, delivery="typing", continuous=True,
                        cleanup=True, cleanup_provider="custom",
                        cleanup_urls={"custom": server.url},
                        cleanup_models={"custom": "ampersand"})  # fmt: skip
        try:
            driver.start()
            assert driver.log.wait_line("delivery method:", 20) == "delivery method: typing"
            entry = desktop.entry("EntryTest")
            wait_until(entry.ready, 10, "the entry to have the focus")
            before, lines = len(entry.events), len(driver.log.lines)
            driver.ptt("start")
            mic.play(silence(0.6) + pcm("long") + silence(0.3))
            wait_until(lambda: mic.idle, 60, "the speech to be played")
            during = entry.events[before:]
            driver.ptt("stop")
            line = delivered_line(driver, lines)
            assert line.startswith("delivered: True typing"), line
            cleaned = driver.newest_text()
            assert " & " in cleaned
            wait_until(lambda: entry.text == cleaned, 20, f"{cleaned!r} typed")
            assert not [e for e in during if "text" in e], "typed before the cleaned text"
        finally:
            driver.cleanup()
