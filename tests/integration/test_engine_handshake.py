"""Conformance cases 1-5, 21 and 28 of PROTOCOL.md: who may connect, and how."""

from __future__ import annotations

from urllib.parse import quote

from tests.conftest import Engine
from tests.speech import TEXTS, pcm, silence, wer
from tests.wire import RawSession, handshake_error

MODEL = "model=openai/whisper-tiny.en"


def test_valid_connection_gets_session_created_first_with_the_model(engine: Engine) -> None:
    s = RawSession(engine.url, engine.token)
    assert s.created is not None
    assert s.created["type"] == "session.created"
    assert s.created["session"]["model"] == "openai/whisper-tiny.en"
    assert s.created["session"]["id"]
    s.close()


def test_missing_and_wrong_keys_are_refused_with_401(engine: Engine) -> None:
    status, body = handshake_error(engine.url, MODEL)
    assert (status, body["error"]["code"]) == (401, "missing_api_key")
    status, body = handshake_error(engine.url, MODEL, ["Authorization: Bearer nope"])
    assert (status, body["error"]["code"]) == (401, "invalid_api_key")
    status, body = handshake_error(engine.url, f"{MODEL}&authorization=Bearer%20nope")
    assert (status, body["error"]["code"]) == (401, "invalid_api_key")


def test_key_by_subprotocol_only_is_accepted_and_a_subprotocol_selected(engine: Engine) -> None:
    s = RawSession(
        engine.url,
        engine.token,
        auth_in_header=False,
        subprotocols=[
            "realtime",
            f"openai-insecure-api-key.{engine.token}",
            "openai-beta.realtime-v1",
        ],
    )
    assert s.created is not None and s.created["type"] == "session.created"
    assert s.ws.getsubprotocol() == "realtime"
    s.close()


def test_key_by_query_only_is_accepted(engine: Engine) -> None:
    s = RawSession(
        engine.url,
        engine.token,
        {"authorization": f"Bearer {engine.token}"},
        auth_in_header=False,
    )
    assert s.created is not None and s.created["type"] == "session.created"
    s.close()


def test_unknown_model_names_the_available_ones_and_missing_model_is_refused(
    engine: Engine,
) -> None:
    auth = [f"Authorization: Bearer {engine.token}"]
    status, body = handshake_error(engine.url, "model=openai/whisper-huge-v9", auth)
    assert status == 400
    assert body["error"]["code"] == "model_not_available"
    assert "openai/whisper-tiny.en" in body["error"]["message"]
    status, body = handshake_error(engine.url, "model=openai/whisper-large-v3", auth)
    assert (status, body["error"]["code"]) == (400, "model_not_available")
    status, body = handshake_error(engine.url, "input_audio_format=pcm_s16le_16000", auth)
    assert status == 400 and body["error"]["code"] == "missing_model"


def test_unsupported_format_is_refused_and_missing_format_means_16k(engine: Engine) -> None:
    auth = [f"Authorization: Bearer {engine.token}"]
    status, body = handshake_error(engine.url, f"{MODEL}&input_audio_format=mp3", auth)
    assert status == 400 and "unsupported format" in body["error"]["message"]
    s = RawSession(engine.url, engine.token, {"input_audio_format": None})  # type: ignore[dict-item]
    s.stream(pcm("fox") + silence(0.3), pace=None)
    _, text = s.commit_and_wait()
    assert wer(TEXTS["fox"], text) <= 0.35
    s.close()


def test_audio_sent_before_session_created_is_read_is_transcribed(engine: Engine) -> None:
    s = RawSession(engine.url, engine.token, {"turn_detection": "none"}, wait_created=False)
    s.stream(pcm("meeting"), pace=None)
    _events, text = s.commit_and_wait()
    assert s.seen[0]["type"] == "session.created"
    assert wer(TEXTS["meeting"], text) <= 0.2
    s.close()


def test_browser_origin_is_refused(engine: Engine) -> None:
    auth = [f"Authorization: Bearer {engine.token}", "Origin: http://evil.example"]
    status, body = handshake_error(engine.url, MODEL, auth)
    assert status == 403 and body["error"]["code"] == "origin_not_allowed"


def test_invalid_vad_parameter_is_refused_at_the_handshake(engine: Engine) -> None:
    auth = [f"Authorization: Bearer {engine.token}"]
    status, body = handshake_error(engine.url, f"{MODEL}&threshold={quote('lots')}", auth)
    assert status == 400 and "threshold" in body["error"]["message"]
