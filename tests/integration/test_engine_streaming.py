"""Conformance cases 6-17, 19 and 22 of PROTOCOL.md: segmentation, partials and commits.

Tolerances: tiny.en on espeak-ng's robotic voice gets most words right, not all; word
error rates are checked against the fixture's text with the bound stated in each test.
"""

from __future__ import annotations

from tests.conftest import Engine
from tests.speech import TEXTS, pcm, silence, wer
from tests.wire import COMPLETED, DELTA, RawSession, completed_texts


def test_vad_finalizes_speech_before_any_commit_and_keeps_the_socket_open(
    engine: Engine,
) -> None:
    s = RawSession(engine.url, engine.token)
    s.stream(pcm("weather") + silence(1.0), pace=1.0)
    events = s.until(COMPLETED, 15)
    deltas = [e for e in events if e["type"] == DELTA]
    assert deltas, "no partial text while the speech was streaming"
    completed = events[-1]
    assert wer(TEXTS["weather"], completed["transcript"]) <= 0.25
    # Case 7: every delta is the whole text so far of that item, and the last one agrees.
    assert all(d["item_id"] == completed["item_id"] for d in deltas)
    assert deltas[-1]["delta"] == completed["transcript"]
    assert len(deltas[0]["delta"].split()) <= len(deltas[-1]["delta"].split())
    # Still open: an echo is answered.
    s.send({"type": "echo", "echo_id": 7, "payload": "still there"})
    answer = s.until("echo.response", 5)[-1]
    assert answer["echo_id"] == 7 and answer["payload"] == "still there"
    s.close()


def test_two_utterances_become_two_ordered_segments(engine: Engine) -> None:
    s = RawSession(engine.url, engine.token)
    s.stream(pcm("fox") + silence(1.0) + pcm("meeting") + silence(1.0), pace=1.0)
    first = s.until(COMPLETED, 15)
    second = s.until(COMPLETED, 15)
    a, b = first[-1], second[-1]
    assert a["item_id"] != b["item_id"]
    assert wer(TEXTS["fox"], a["transcript"]) <= 0.35
    assert wer(TEXTS["meeting"], b["transcript"]) <= 0.2
    second_deltas = [e["delta"] for e in second if e["type"] == DELTA]
    assert all(e["item_id"] == b["item_id"] for e in second if e["type"] == DELTA)
    assert not any("fox" in d.lower() or "lazy" in d.lower() for d in second_deltas)
    s.close()


def test_long_continuous_speech_is_split_into_segments_of_about_five_seconds(
    engine: Engine,
) -> None:
    s = RawSession(engine.url, engine.token)
    s.stream(pcm("long"), pace=None)
    events, text = s.commit_and_wait(60)
    done = [e for e in events if e["type"] == COMPLETED and e["transcript"]]
    assert len(done) >= 3
    assert all(e["duration"] <= 5.0 + 0.25 + 0.25 + 0.1 for e in done)  # max + both pads
    assert wer(TEXTS["long"], text) <= 0.3
    s.close()


def test_a_click_and_ten_seconds_of_silence_yield_no_text(engine: Engine) -> None:
    s = RawSession(engine.url, engine.token)
    rng = __import__("numpy").random.default_rng(1)
    click = (rng.normal(0, 9000, 2400).clip(-32768, 32767)).astype("<i2").tobytes()
    s.stream(silence(1.0) + click + silence(10.0), pace=None)
    events, text = s.commit_and_wait()
    assert text == ""
    assert not [e for e in events if e["type"] == DELTA]
    s.close()


def test_manual_mode_completes_nothing_before_the_commit_then_everything(
    engine: Engine,
) -> None:
    s = RawSession(engine.url, engine.token, {"turn_detection": "none"})
    s.stream(pcm("fox") + silence(1.0) + pcm("meeting") + silence(0.8), pace=2.0)
    assert not [e for e in s.drain() if e["type"] == COMPLETED]
    events, text = s.commit_and_wait()
    assert len(completed_texts(events)) == 1
    assert wer(TEXTS["fox"] + " " + TEXTS["meeting"], text) <= 0.25
    s.close()


def test_session_update_with_null_turn_detection_switches_to_manual(engine: Engine) -> None:
    s = RawSession(engine.url, engine.token)
    s.send({"type": "transcription_session.updated", "session": {"turn_detection": None}})
    updated = s.until("transcription_session.updated", 5)[-1]
    assert updated["session"]["turn_detection"] is None
    s.stream(pcm("fox") + silence(1.0) + pcm("weather") + silence(0.8), pace=None)
    events, text = s.commit_and_wait()
    assert len(completed_texts(events)) == 1
    assert wer(TEXTS["fox"] + " " + TEXTS["weather"], text) <= 0.3
    s.close()


def _segments_for_pause(s: RawSession, pause: float) -> int:
    s.stream(pcm("fox") + silence(pause) + pcm("meeting"), pace=None)
    events, _ = s.commit_and_wait()
    return len([t for t in completed_texts(events) if t])


def test_longer_min_silence_by_update_or_query_changes_where_segments_end(
    engine: Engine,
) -> None:
    # Two ~3 s utterances and a pause are longer than the default 5 s maximum, which would
    # split them at the pause anyway: raise that limit too.
    s = RawSession(engine.url, engine.token)
    longer = {"min_silence_duration_ms": 1500, "max_speech_duration_s": 15}
    s.send({"type": "session.update", "session": {"turn_detection": longer}})
    updated = s.until("transcription_session.updated", 5)[-1]
    assert updated["session"]["turn_detection"]["min_silence_duration_ms"] == 1500
    assert updated["session"]["turn_detection"]["threshold"] == 0.3  # omitted: default
    assert _segments_for_pause(s, 1.0) == 1
    assert _segments_for_pause(s, 2.0) == 2
    s.close()
    q = RawSession(
        engine.url, engine.token, {"min_silence_duration_ms": "1500", "max_speech_duration_s": "15"}
    )
    assert _segments_for_pause(q, 1.0) == 1
    assert _segments_for_pause(q, 2.0) == 2
    q.close()


def test_every_spelling_of_session_update_is_accepted(engine: Engine) -> None:
    s = RawSession(engine.url, engine.token)
    for name in ("transcription_session.update", "session.update", "transcription_session.updated"):
        s.send({"type": name, "session": {"language": "en"}})
        answer = s.until("transcription_session.updated", 5)[-1]
        assert answer["session"]["language"] == "en"
    assert not [e for e in s.seen if e["type"] in (COMPLETED, "error")]
    s.close()


def test_commit_mid_speech_finalizes_at_once_and_later_audio_is_a_new_segment(
    engine: Engine,
) -> None:
    s = RawSession(engine.url, engine.token)
    speech = pcm("five")
    half = len(speech) // 2 // 2 * 2
    s.stream(speech[:half], pace=None)
    events, first = s.commit_and_wait()
    first_id = [e for e in events if e["type"] == COMPLETED][-1]["item_id"]
    assert first.split(), "the commit finalized nothing"
    s.stream(speech[half:] + silence(1.0), pace=None)
    events, second = s.commit_and_wait()
    ids = {e["item_id"] for e in events if e["type"] == COMPLETED}
    assert first_id not in ids
    assert wer(TEXTS["five"], first + " " + second) <= 0.35
    s.close()


def test_commits_on_an_empty_buffer_are_each_answered_with_empty_text(engine: Engine) -> None:
    s = RawSession(engine.url, engine.token)
    s.commit()
    s.commit()
    events = s.until(COMPLETED, 5) + s.until(COMPLETED, 5)
    done = [e for e in events if e["type"] == COMPLETED]
    assert [e["transcript"] for e in done] == ["", ""]
    assert done[0]["item_id"] != done[1]["item_id"]
    s.send({"type": "echo", "echo_id": 1})
    s.until("echo.response", 5)
    assert not [
        e
        for e in s.seen
        if e["type"] in ("error", "conversation.item.input_audio_transcription.failed")
    ]
    s.close()


def test_cleared_audio_never_appears_in_a_transcript(engine: Engine) -> None:
    s = RawSession(engine.url, engine.token, {"turn_detection": "none"})
    s.stream(pcm("fox"), pace=None)
    s.send({"type": "input_audio_buffer.clear"})
    s.stream(pcm("meeting"), pace=None)
    _events, text = s.commit_and_wait()
    assert wer(TEXTS["meeting"], text) <= 0.2
    assert "fox" not in " ".join(completed_texts(s.seen)).lower()
    s.close()


def test_odd_byte_counts_do_not_shift_the_samples(engine: Engine) -> None:
    s = RawSession(engine.url, engine.token, {"turn_detection": "none"})
    data = pcm("weather")
    pieces = [data[i : i + 3201] for i in range(0, len(data), 3201)]  # odd sizes
    for piece in pieces:
        s.append(piece)
    _events, text = s.commit_and_wait()
    assert wer(TEXTS["weather"], text) <= 0.25
    s.close()


def test_audio_sent_at_full_speed_gives_the_paced_transcript(engine: Engine) -> None:
    audio = pcm("meeting") + silence(1.0) + pcm("fox") + silence(1.0)
    paced = RawSession(engine.url, engine.token)
    paced.stream(audio, pace=2.0)
    _, paced_text = paced.commit_and_wait()
    fast = RawSession(engine.url, engine.token)
    fast.stream(audio, pace=None)
    _, fast_text = fast.commit_and_wait()
    assert wer(paced_text, fast_text) <= 0.1
    paced.close()
    fast.close()
