"""The log a user can send us: warnings, errors and crashes, never audio and never keys.

`install` adds a rotating file (`dictate.log`, 1 MB, three old files kept) to the root
logger at WARNING (`dictate --log-level info` adds the app's own progress lines, never the
libraries' chatter: `bench/` and the soak test read those lines, so keep their words
stable), routes uncaught exceptions of every thread there, and arms
`faulthandler` on `crash.log`: a native crash (a segfault, an abort in a C extension's
deallocator) writes every thread's Python stack there before the process dies. The next
start moves that report into the log, so "Copy diagnostics" carries it. Secrets are
masked by a filter on the handler: bearer tokens, key query parameters, the key
subprotocol, and every value registered with `redact`.
"""

from __future__ import annotations

import faulthandler
import logging
import re
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import IO

LOG_NAME = "dictate.log"
CRASH_NAME = "crash.log"
MAX_BYTES = 1_000_000
BACKUPS = 3

_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[^\s'\"]+"),
    re.compile(r"(?i)((?:api[_-]?key|token|key)=)[^&\s'\"]+"),
    re.compile(r"(openai-insecure-api-key\.)[^\s,'\"]+"),
)
_secrets: set[str] = set()
_crash_file: IO[str] | None = None
_handler: logging.Handler | None = None
_app_level: int | None = None  # the app's loggers' level before `install` lowered it
APP_LOGGER = "app"  # every module's logger is `logging.getLogger(__name__)`: under this one


def redact(secret: str | None) -> None:
    """Never write this value to the log (an API key the app holds)."""
    if secret and len(secret) >= 4:
        _secrets.add(secret)


def mask(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, "***")
    for pattern in _PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


class _Redact(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


def install(directory: Path, level: int = logging.WARNING) -> Path:
    """Start writing the log under `directory`; returns the log's path. Below WARNING,
    `level` applies to the app's own loggers only."""
    global _crash_file, _handler, _app_level
    uninstall()
    path = directory / LOG_NAME
    handler = RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
    )
    handler.setLevel(level)
    app = logging.getLogger(APP_LOGGER)
    if app.getEffectiveLevel() > level:
        _app_level = app.level
        app.setLevel(level)
    handler.addFilter(_Redact())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    logging.getLogger().addHandler(handler)
    _handler = handler
    crash = directory / CRASH_NAME
    _report_previous_crash(crash)
    _crash_file = crash.open("w", encoding="utf-8")
    faulthandler.enable(_crash_file, all_threads=True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    return path


def uninstall() -> None:
    """At a clean exit: nothing crashed, so the crash report stays empty. Undoes `install`."""
    global _crash_file, _handler, _app_level
    if _crash_file is not None:
        faulthandler.disable()
        _crash_file.close()
        _crash_file = None
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
        _handler = None
    if _app_level is not None:
        logging.getLogger(APP_LOGGER).setLevel(_app_level)
        _app_level = None
    sys.excepthook = sys.__excepthook__
    threading.excepthook = threading.__excepthook__


def tail(path: Path, lines: int) -> list[str]:
    """The last `lines` lines of a log (reads at most its last 256 kB)."""
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 256_000))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]


def _report_previous_crash(crash: Path) -> None:
    try:
        report = crash.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return
    if report:
        logging.getLogger("dictate.crash").error("the previous run crashed:\n%s", report)


def _log_uncaught(
    kind: type[BaseException], value: BaseException, traceback: TracebackType | None
) -> None:
    logging.getLogger("dictate").critical("uncaught exception", exc_info=(kind, value, traceback))
    sys.__excepthook__(kind, value, traceback)


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or args.exc_type is SystemExit:
        return
    logging.getLogger("dictate").critical(
        "uncaught exception in thread %s",
        args.thread.name if args.thread else "?",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
    threading.__excepthook__(args)
