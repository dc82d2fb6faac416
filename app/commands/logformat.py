"""Log lines for `dictate serve`: text for people, JSON objects for log collectors.

A key must never reach a log: the JSON formatter writes only the fields listed here, and both
formats pass each message through `redact`, which hides bearer tokens and `authorization=`
query values should some library ever log a request line or a header.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time

_SECRET = re.compile(
    r"(?i)(bearer\s+|authorization=(?:bearer(?:\s|%20|\+))?|openai-insecure-api-key\.)[^\s&,;\"']+"
)


def redact(text: str) -> str:
    return _SECRET.sub(r"\1[redacted]", text)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(log_format: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
