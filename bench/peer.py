"""WhisperLiveKit as a peer in the streaming benchmark (issue 10).

`column()` installs WhisperLiveKit on demand into a venv of its own under the benchmark's work
folder (`bench/.work/whisperlivekit-venv`, never the project's venv): PyTorch first, pinned so
that a local CPU build is taken where there is one, then the pinned `whisperlivekit`. It then
starts `whisperlivekit-server` on a loopback port with the same tiny.en files as our engine
(faster-whisper backend, LocalAgreement policy, raw PCM input, English, no warm-up download),
streams the benchmark's audio to its `/asr` WebSocket and returns the figures that
`bench.streaming` prints beside our engine's. When it cannot be installed or started it says
why in one line and returns None, and the benchmark goes on without it.

The wire, as read in WhisperLiveKit's `basic_server.py` and `audio_processor.py`: with
`--pcm-input` every binary frame is 16 kHz mono s16le PCM; an empty binary frame ends the
audio. The server first sends `{"type": "config", ...}`, then about every 50 ms the whole
state (`"lines"`: the committed text, a list of {speaker, text, start, end} where speaker -2 is
a silence; `"buffer_transcription"`: the not yet committed tail), and once everything has been
transcribed after the end of the audio, `{"type": "ready_to_stop"}`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import websocket

from bench.common import ROOT, pct, tree_cpu_seconds, tree_rss_mb
from tests.speech import chunks, normalize, pcm, silence, wer

NAME = "WhisperLiveKit"
WORK = ROOT / "bench" / ".work"
VENV = WORK / "whisperlivekit-venv"
# PyTorch goes in first, so that whisperlivekit's `torch>=2.0` is met and pip fetches no other
# build: a local CPU wheel of this version is taken where pip has one (a plain newer torch from
# PyPI would bring gigabytes of CUDA libraries).
TORCH = "torch==2.13.0"
VERSION = "0.2.26"
PACKAGE = f"whisperlivekit=={VERSION}"
SERVER = "whisperlivekit-server"
INSTALL_TIMEOUT_S = 1800
START_TIMEOUT_S = 180


class Unavailable(Exception):
    """The peer cannot be installed or started; the message says why."""


# --- installing ---------------------------------------------------------------------------


def installed_version(venv: Path = VENV) -> str | None:
    if not (venv / "bin" / SERVER).exists():
        return None
    probe = "from importlib.metadata import version; print(version('whisperlivekit'))"
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def _why(log: Path) -> str:
    """The line of a pip log that says what went wrong (the last error, else the last line)."""
    lines = [x.strip() for x in log.read_text(errors="replace").splitlines() if x.strip()]
    errors = [x for x in lines if x.startswith("ERROR")]
    return (errors or lines or ["no output"])[-1]


def install(
    venv: Path = VENV, python: str = sys.executable, say: Callable[[str], None] = print
) -> str:
    """WhisperLiveKit's version, installed first if it is not there yet."""
    version = installed_version(venv)
    if version == VERSION:
        return version
    venv.parent.mkdir(parents=True, exist_ok=True)
    log = venv.parent / f"{venv.name}-install.log"
    say(f"{NAME}: installing {TORCH}, then {PACKAGE}, into {venv} (once; log in {log})")
    pip = str(venv / "bin" / "pip")
    steps = [
        [python, "-m", "venv", str(venv)],
        [pip, "install", TORCH],
        [pip, "install", PACKAGE],
    ]
    with log.open("w") as out:
        for step in steps:
            what = " ".join(Path(step[0]).name.split() + step[1:]).replace(str(venv), "<venv>")
            try:
                done = subprocess.run(
                    step,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=INSTALL_TIMEOUT_S,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise Unavailable(f"`{what}` failed: {exc}") from exc
            if done.returncode:
                out.flush()
                raise Unavailable(f"`{what}` failed (exit {done.returncode}): {_why(log)}")
    version = installed_version(venv)
    if not version:
        raise Unavailable(f"installed, but {venv / 'bin' / SERVER} does not run")
    return version


# --- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_command(venv: Path, model_dir: str, port: int) -> list[str]:
    return [
        str(venv / "bin" / SERVER),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--backend",
        "faster-whisper",
        "--backend-policy",
        "localagreement",
        "--model_dir",
        model_dir,
        "--pcm-input",
        "--lan",
        "en",
        "--warmup-file",
        "",
    ]


def server_log(venv: Path) -> Path:
    return venv.parent / f"{venv.name}-server.log"


def resets(log: Path | None) -> int:
    """How often the server has logged so far that it threw its audio buffer away: after
    LocalAgreement confirms nothing for a while (15 s by default), it resets the buffer to
    keep up, and the words in it are lost."""
    if log is None or not log.exists():
        return 0
    return log.read_text(errors="replace").count("Resetting buffer")


def _tail(log: Path, n: int = 3) -> str:
    lines = [x.strip() for x in log.read_text(errors="replace").splitlines() if x.strip()]
    return " | ".join(lines[-n:]) or "no output"


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
            return bool(json.loads(r.read()).get("ready"))
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def served(venv: Path, model_dir: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`whisperlivekit-server` on a free loopback port; yields (its /asr URL, the process)
    once its /health says ready."""
    port = free_port()
    log = server_log(venv)
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            server_command(venv, model_dir, port),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=venv.parent,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise Unavailable(f"{SERVER} exited with code {proc.returncode}: {_tail(log)}")
            if _ready(port):
                break
            if time.monotonic() > deadline:
                raise Unavailable(f"{SERVER} not ready after {START_TIMEOUT_S} s: {_tail(log)}")
            time.sleep(0.5)
        yield f"ws://127.0.0.1:{port}/asr", proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


# --- its messages -------------------------------------------------------------------------


@dataclass(frozen=True)
class Update:
    """The text as shown after one message that changed it."""

    at: float  # arrival, time.monotonic()
    final: str  # committed: the `lines`, joined
    partial: str  # not yet committed: `buffer_transcription`

    @property
    def shown(self) -> str:
        return " ".join(x for x in (self.final, self.partial) if x)


def _words(text: Any) -> str:
    return " ".join(text.split()) if isinstance(text, str) else ""


def committed(message: dict[str, Any]) -> str:
    lines = message.get("lines") or []
    return " ".join(
        t for line in lines if line.get("speaker") != -2 and (t := _words(line.get("text")))
    )


def updates(stamped: list[tuple[float, dict[str, Any]]]) -> list[Update]:
    """The state messages that changed the text, in order (the server repeats the whole
    state about every 50 ms, changed or not)."""
    out: list[Update] = []
    for at, message in stamped:
        if "lines" not in message:
            continue  # config, ready_to_stop, error
        u = Update(at, committed(message), _words(message.get("buffer_transcription")))
        if not out or (u.final, u.partial) != (out[-1].final, out[-1].partial):
            out.append(u)
    return out


def errors(stamped: list[tuple[float, dict[str, Any]]]) -> list[str]:
    return [
        str(m.get("error") or m)
        for _, m in stamped
        if m.get("type") == "error" or m.get("status") == "error"
    ]


def ready_at(stamped: list[tuple[float, dict[str, Any]]]) -> float | None:
    return next((at for at, m in stamped if m.get("type") == "ready_to_stop"), None)


def final_text(ups: list[Update]) -> str:
    return ups[-1].shown if ups else ""


def final_after(ups: list[Update], ended: float) -> float:
    """Seconds from the end of the audio to the last change of the text."""
    return ups[-1].at - ended if ups else float("nan")


def first_text_after(ups: list[Update], started: float) -> float:
    return next((u.at - started for u in ups if u.shown), float("nan"))


def partial_lags(
    ups: list[Update], started: float, ended: float, word_ends: list[float]
) -> list[float]:
    """Like `bench.streaming.partial_lags`: for each update, seconds from the audio time of
    its newest word (by the offline word timings) to its arrival; the update that completes
    the text after the end of the audio is the final, not a partial."""
    if ups and ups[-1].at >= ended:
        ups = ups[:-1]
    lags = []
    for u in ups:
        n = len(normalize(u.shown).split())
        if 0 < n <= len(word_ends):
            lags.append(u.at - started - word_ends[n - 1])
    return lags


# --- a session ----------------------------------------------------------------------------


class PeerSession:
    """One /asr connection; a reader thread stamps every message."""

    def __init__(self, url: str) -> None:
        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.ws.settimeout(None)  # `finish` bounds the wait
        self.stamped: list[tuple[float, dict[str, Any]]] = []
        self.done = threading.Event()
        self.started = self.ended = 0.0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            while True:
                data = self.ws.recv()
                if not data:
                    break
                message = json.loads(data)
                self.stamped.append((time.monotonic(), message))
                if message.get("type") == "ready_to_stop":
                    break
        except Exception:
            pass  # closed
        finally:
            self.done.set()

    def stream(self, audio: bytes, pace: float | None = 1.0) -> None:
        """Binary frames of 100 ms; `pace` 1.0 is real time, None as fast as possible."""
        self.started = time.monotonic()
        sent = 0.0
        for piece in chunks(audio, 100):
            self.ws.send_binary(piece)
            sent += len(piece) / 32000
            if pace:
                delay = self.started + sent / pace - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

    def finish(self, timeout: float) -> list[Update]:
        """End the audio (an empty frame), wait for `ready_to_stop`; the text updates."""
        self.ended = time.monotonic()
        self.ws.send_binary(b"")
        self.done.wait(timeout)
        with contextlib.suppress(Exception):
            self.ws.close()
        if ready_at(self.stamped) is None:
            raise TimeoutError(f"no ready_to_stop {timeout:.0f} s after the end of the audio")
        if errors(self.stamped):
            raise RuntimeError(f"{NAME} reported: {errors(self.stamped)[0]}")
        return updates(self.stamped)


def _wait_for(audio: bytes) -> float:
    return max(120.0, 6 * len(audio) / 32000)


def streamed(url: str, audio: bytes, pace: float | None) -> tuple[PeerSession, list[Update]]:
    s = PeerSession(url)
    s.stream(audio, pace)
    return s, s.finish(_wait_for(audio))


def dictation(url: str, name: str) -> tuple[float, float]:
    """(end of audio -> final text, speech start -> first text), as `bench.streaming`'s
    dictations: the audio ends 150 ms after the word."""
    lead = 0.5
    s, ups = streamed(url, silence(lead) + pcm(name) + silence(0.15), 1.0)
    return final_after(ups, s.ended), first_text_after(ups, s.started) - lead


def concurrent(url: str, audio: bytes, n: int) -> list[tuple[PeerSession, list[Update]]]:
    results: list[Any] = [None] * n
    failures: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = streamed(url, audio, 1.0)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    return results


# --- the column ---------------------------------------------------------------------------


def _record(s: PeerSession, ups: list[Update]) -> dict[str, Any]:
    return {
        "audio_end_s": round(s.ended - s.started, 3),
        "updates": [[round(u.at - s.started, 3), u.final, u.partial] for u in ups],
    }


def measure(
    url: str,
    pid: int,
    audio: bytes,
    reference: str,
    offline_wer: float,
    word_ends: list[float],
    short: bytes,
    dictations: list[str],
    sessions: int,
    record: Path | None = None,
    log: Path | None = None,
) -> dict[str, str]:
    """The figures, keyed by `bench.streaming`'s row names; `record` gets every stream's text
    updates (seconds from its start), to look at; the server's `log` tells its buffer resets."""
    seconds = len(audio) / 32000

    def ms(v: float) -> str:
        return f"{v * 1000:.0f} ms"

    def points(w: float, lost: int) -> str:
        return f"{(w - offline_wer) * 100:+.1f} points" + (f" ({lost} resets)" if lost else "")

    cpu0, reset0 = tree_cpu_seconds(pid), resets(log)
    paced, paced_ups = streamed(url, audio, 1.0)
    cpu_one, reset1 = (tree_cpu_seconds(pid) - cpu0) / seconds * 100, resets(log)
    fast, fast_ups = streamed(url, audio, None)
    reset2 = resets(log)
    finals, firsts = zip(*(dictation(url, n) for n in dictations), strict=True)
    cpu0 = tree_cpu_seconds(pid)
    many = concurrent(url, short, sessions)
    cpu_many = (tree_cpu_seconds(pid) - cpu0) / (len(short) / 32000) * 100 / sessions
    rss = tree_rss_mb(pid)
    lags_many = [x for s, ups in many for x in partial_lags(ups, s.started, s.ended, word_ends)]
    behind = max(final_after(ups, s.ended) for s, ups in many)
    during = [len([u for u in ups if u.at < s.ended]) for s, ups in many]  # while streaming
    flowing = sum(1 for n in during if n >= 5)
    if record:
        runs = {"paced": (paced, paced_ups), "full speed": (fast, fast_ups)}
        runs.update({f"concurrent {i + 1}": run for i, run in enumerate(many)})
        record.write_text(json.dumps({k: _record(*run) for k, run in runs.items()}, indent=1))
    paced_wer = wer(reference, final_text(paced_ups))
    fast_wer = wer(reference, final_text(fast_ups))
    lags1 = partial_lags(paced_ups, paced.started, paced.ended, word_ends)
    return {
        "streamed WER - offline, paced": points(paced_wer, reset1 - reset0),
        "streamed WER - offline, full speed": points(fast_wer, reset2 - reset1),
        "commit -> completed p50": ms(pct(list(finals), 50)),
        "commit -> completed p95": ms(pct(list(finals), 95)),
        "speech start -> first delta p50": ms(pct(list(firsts), 50)),
        "partial lag p95, 1 session": ms(pct(lags1, 95)),
        f"partial lag p95, {sessions} sessions": ms(pct(lags_many, 95)),
        f"sessions of {sessions} with deltas flowing": (
            f"{flowing} (updates in speech: {', '.join(map(str, during))})"
        ),
        f"end of audio -> final text, paced, 1 / {sessions} sessions": (
            f"{final_after(paced_ups, paced.ended) * 1000:.0f} / {behind * 1000:.0f} ms"
        ),
        f"engine CPU per real-time stream, 1 / {sessions}": f"{cpu_one:.0f} / {cpu_many:.0f} %",
        "engine RSS after the runs": f"{rss:.0f} MB",
    }


def column(
    audio: bytes,
    reference: str,
    offline_wer: float,
    word_ends: list[float],
    *,
    short: bytes,
    dictations: list[str],
    sessions: int = 4,
    venv: Path = VENV,
    python: str = sys.executable,
    say: Callable[[str], None] = print,
) -> tuple[str, dict[str, str]] | None:
    """(header, {row name: value}) of WhisperLiveKit run on `audio` (paced and at full speed),
    the `dictations`, and `sessions` streams of `short` at once; None, after one line saying
    why, when it cannot be installed, started or measured."""
    try:
        version = install(venv, python, say)
        from app.engine.models import resolve

        model_dir = str(resolve("openai/whisper-tiny.en").path)
        with served(venv, model_dir) as (url, proc):
            port = urlsplit(url).port or 0
            command = shlex.join([SERVER, *server_command(venv, model_dir, port)[1:]])
            say(f"{NAME} {version}: {command}")
            values = measure(
                url,
                proc.pid,
                audio,
                reference,
                offline_wer,
                word_ends,
                short,
                dictations,
                sessions,
                venv.parent / f"{venv.name}-sessions.json",
                server_log(venv),
            )
    except Exception as exc:
        reason = str(exc) if isinstance(exc, Unavailable) else f"{type(exc).__name__}: {exc}"
        say(f"{NAME}: skipped, {reason}")
        return None
    return f"{NAME} {version}", values
