"""`dictate serve --log-format json`: one JSON object a line, and never a key in it."""

from __future__ import annotations

import json
import logging

from app.commands.logformat import JsonFormatter, TextFormatter, redact


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("app.engine.server", logging.INFO, __file__, 1, message, args, None)


def test_keys_are_redacted_in_every_form_a_request_carries_them() -> None:
    lines = [
        "GET /v1/realtime?model=m&authorization=Bearer%20sk-123 HTTP/1.1",
        "Authorization: Bearer sk-123",
        "Sec-WebSocket-Protocol: realtime, openai-insecure-api-key.sk-123, openai-beta",
        "authorization=sk-123&model=m",
    ]
    for line in lines:
        hidden = redact(line)
        assert "sk-123" not in hidden and "[redacted]" in hidden, hidden
    assert redact("session sess_1 opened (openai/whisper-tiny.en)") == (
        "session sess_1 opened (openai/whisper-tiny.en)"
    )


def test_json_lines_have_the_fields_and_no_key() -> None:
    line = JsonFormatter().format(_record("refused %s", "Bearer sk-999"))
    entry = json.loads(line)
    assert set(entry) == {"time", "level", "logger", "message"}
    assert entry["level"] == "info" and entry["logger"] == "app.engine.server"
    assert entry["time"].endswith("Z") and "sk-999" not in line
    text = TextFormatter("%(message)s").format(_record("Authorization: Bearer sk-999"))
    assert "sk-999" not in text
