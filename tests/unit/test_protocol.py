"""The wire format: what each side writes, and how leniently the client reads."""

from __future__ import annotations

import base64
import json

import pytest

from app.realtime import protocol as p


def test_client_messages_round_trip() -> None:
    for message in (
        p.AppendAudio(b"\x01\x02\x03\x04"),
        p.Commit(),
        p.Clear(),
        p.SessionUpdate({"turn_detection": None, "language": "de"}),
        p.Echo(5, {"x": 1}),
    ):
        assert p.decode_client_message(p.encode_client_message(message)) == message


@pytest.mark.parametrize(
    ("frame", "event_type"),
    [
        ("not json", "unknown"),
        ("[]", "unknown"),
        ('{"no": "type"}', "unknown"),
        ('{"type": "input_audio_buffer.append"}', "input_audio_buffer.append"),
        ('{"type": "input_audio_buffer.append", "audio": "@@"}', "input_audio_buffer.append"),
        ('{"type": "session.update", "session": 3}', "session.update"),
        ('{"type": "conversation.item.create"}', "conversation.item.create"),
    ],
)
def test_unusable_client_frames_name_the_offending_event(frame: str, event_type: str) -> None:
    with pytest.raises(p.ProtocolError) as caught:
        p.decode_client_message(frame)
    assert caught.value.event_type == event_type


def test_all_three_session_update_spellings_decode_the_same() -> None:
    for name in p.SESSION_UPDATE_NAMES:
        frame = json.dumps({"type": name, "session": {"language": "en"}})
        assert p.decode_client_message(frame) == p.SessionUpdate({"language": "en"})


def test_server_events_round_trip() -> None:
    events: list[p.ServerEvent] = [
        p.SessionCreated("sess_1", "openai/whisper-tiny.en"),
        p.TranscriptDelta("item_1", "hello there"),
        p.TranscriptCompleted("item_1", "Hello there.", 1.5, 2.25),
        p.AudioCommitted("item_2"),
        p.TranscriptFailed("bad", "invalid_request", event_type="input_audio_buffer.append"),
        p.EchoResponse(3, [1, 2]),
    ]
    for event in events:
        assert p.decode_server_event(p.encode_server_event(event)) == event


def test_reading_is_lenient() -> None:
    delta = p.decode_server_event(
        '{"type": "conversation.item.input_audio_transcription.delta", "item_id": "i",'
        ' "transcript": "old style"}'
    )
    assert delta == p.TranscriptDelta("i", "old style")
    error = p.decode_server_event('{"type": "error", "message": "top level"}')
    assert isinstance(error, p.TranscriptFailed) and error.message == "top level" and error.fatal
    assert isinstance(p.decode_server_event("{oops"), p.UnknownEvent)
    assert isinstance(p.decode_server_event('{"type": "rate_limits.updated"}'), p.UnknownEvent)


def test_a_failed_with_event_type_is_not_fatal() -> None:
    frame = p.encode_server_event(p.TranscriptFailed("x", event_type="input_audio_buffer.append"))
    event = p.decode_server_event(frame)
    assert isinstance(event, p.TranscriptFailed) and not event.fatal


def test_url_appends_realtime_and_carries_the_session_choices() -> None:
    url = p.realtime_url("wss://api.together.ai/v1", "openai/whisper-large-v3", language="de")
    assert url.startswith("wss://api.together.ai/v1/realtime?model=openai%2Fwhisper-large-v3")
    assert "input_audio_format=pcm_s16le_16000" in url and "language=de" in url
    manual = p.realtime_url("ws://127.0.0.1:1/v1/realtime", "m", turn_detection=None)
    assert manual.count("/realtime") == 1 and "turn_detection=none" in manual


def test_turn_detection_merges_known_fields_and_rejects_bad_values() -> None:
    merged = p.TurnDetection().merged({"min_silence_duration_ms": "1500", "other": 1})
    assert merged.min_silence_duration_ms == 1500 and merged.threshold == 0.3
    with pytest.raises(ValueError):
        p.TurnDetection().merged({"threshold": 7})
    with pytest.raises(ValueError):
        p.TurnDetection().merged({"speech_pad_ms": "soon"})
    for bad in (float("inf"), float("nan"), -1, 1e9):
        with pytest.raises(ValueError):
            p.TurnDetection().merged({"min_silence_duration_ms": bad})


def test_append_encodes_raw_pcm_as_base64() -> None:
    frame = json.loads(p.encode_client_message(p.AppendAudio(b"\x00\x01")))
    assert base64.b64decode(frame["audio"]) == b"\x00\x01"
