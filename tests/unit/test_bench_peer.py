"""The streaming benchmark's peer (bench.peer), without WhisperLiveKit itself: its messages
read as committed and partial text with arrival stamps, and the reasons it is skipped."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from bench import peer
from bench.common import side_by_side


def state(
    lines: list[tuple[int, str | None]], buffer: str = "", remaining: float = 0.0
) -> dict[str, Any]:
    """One of the server's state messages (`FrontData.to_dict()`)."""
    return {
        "status": "active_transcription" if lines or buffer else "no_audio_detected",
        "lines": [
            {"speaker": s, "text": t, "start": "0:00:00.00", "end": "0:00:01.00"} for s, t in lines
        ],
        "buffer_transcription": buffer,
        "buffer_diarization": "",
        "buffer_translation": "",
        "remaining_time_transcription": remaining,
        "remaining_time_transcription_processing": 0.0,
        "remaining_time_transcription_policy": 0.0,
        "remaining_time_diarization": 0,
    }


STAMPED: list[tuple[float, dict[str, Any]]] = [
    (100.00, {"type": "config", "useAudioWorklet": True, "mode": "full"}),
    (100.05, state([])),
    (101.20, state([], " We walked")),
    (101.25, state([], " We walked", remaining=0.1)),  # only the clock moved: no update
    (102.40, state([(1, " We walked along")], " the river on.")),
    (103.10, state([(1, " We walked along the river")], " on a cold")),
    (103.60, state([(1, " We walked along the river"), (-2, None)], "")),
    (104.30, state([(1, " We walked along the river"), (-2, None), (1, " on a cold morning.")])),
    (104.35, {"type": "ready_to_stop"}),
]


def test_state_messages_become_committed_and_partial_text_with_their_arrival() -> None:
    ups = peer.updates(STAMPED)
    assert [(u.at, u.final, u.partial) for u in ups] == [
        (100.05, "", ""),
        (101.20, "", "We walked"),
        (102.40, "We walked along", "the river on."),
        (103.10, "We walked along the river", "on a cold"),
        (103.60, "We walked along the river", ""),
        (104.30, "We walked along the river on a cold morning.", ""),
    ]
    assert ups[2].shown == "We walked along the river on."
    assert peer.final_text(ups) == "We walked along the river on a cold morning."
    assert peer.ready_at(STAMPED) == 104.35
    assert peer.errors(STAMPED) == []
    assert peer.errors([(1.0, {"type": "error", "error": "unsupported language"})]) == [
        "unsupported language"
    ]


def test_latencies_are_measured_from_the_stream_start_and_the_end_of_the_audio() -> None:
    ups = peer.updates(STAMPED)
    started, ended = 100.0, 103.5
    assert peer.final_after(ups, ended) == pytest.approx(0.8)
    assert peer.first_text_after(ups, started) == pytest.approx(1.2)
    assert math.isnan(peer.final_after([], ended))
    # word ends (s of audio) of "we walked along the river on a cold morning"
    ends = [0.3, 0.6, 0.9, 1.0, 1.4, 1.6, 1.7, 2.0, 2.5]
    lags = peer.partial_lags(ups, started, ended, ends)
    # 2 words shown at 1.20 s, 6 at 2.40 s, 8 at 3.10 s, 5 at 3.60 s; the final at 4.30 s
    # (after the end of the audio) is not a partial
    assert lags == pytest.approx([1.2 - 0.6, 2.4 - 1.6, 3.1 - 2.0, 3.6 - 1.4])


def test_the_server_command_is_the_one_the_issue_asks_for() -> None:
    cmd = peer.server_command(Path("/v"), "/models/tiny.en", 8123)
    assert cmd[0] == "/v/bin/whisperlivekit-server"
    joined = " ".join(cmd[1:])
    assert "--backend faster-whisper --backend-policy localagreement" in joined
    assert "--model_dir /models/tiny.en --pcm-input --lan en" in joined
    assert cmd[-2:] == ["--warmup-file", ""]
    assert "--host 127.0.0.1 --port 8123" in joined


def _script(path: Path, body: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def test_a_peer_that_cannot_be_installed_is_skipped_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # an interpreter whose `-m venv DIR` makes a venv with a pip that finds nothing
    python = _script(
        tmp_path / "python",
        'mkdir -p "$3/bin"\n'
        "printf '#!/bin/sh\\necho Looking in indexes: https://pypi.org/simple\\n"
        "echo ERROR: No matching distribution found for torch==2.13.0\\nexit 1\\n'"
        ' > "$3/bin/pip"\nchmod +x "$3/bin/pip"\n',
    )
    got = peer.column(
        b"",
        "",
        0.0,
        [],
        short=b"",
        dictations=[],
        venv=tmp_path / "work" / "whisperlivekit-venv",
        python=python,
    )
    assert got is None
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("WhisperLiveKit: installing torch==2.13.0, then whisperlivekit==")
    assert out[-1] == (
        "WhisperLiveKit: skipped, `pip install torch==2.13.0` failed (exit 1): "
        "ERROR: No matching distribution found for torch==2.13.0"
    )
    assert (tmp_path / "work" / "whisperlivekit-venv-install.log").exists()


def test_no_python_to_make_the_venv_is_a_reason_too(tmp_path: Path) -> None:
    said: list[str] = []
    got = peer.column(
        b"",
        "",
        0.0,
        [],
        short=b"",
        dictations=[],
        venv=tmp_path / "venv",
        python=str(tmp_path / "no-such-python"),
        say=said.append,
    )
    assert got is None
    assert said[-1].startswith("WhisperLiveKit: skipped, `no-such-python -m venv <venv>` failed:")
    assert "No such file or directory" in said[-1]


def test_a_server_that_exits_at_start_is_a_reason(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _script(
        venv / "bin" / peer.SERVER,
        "echo \"ModuleNotFoundError: No module named 'torch'\"\nexit 1\n",
    )
    with pytest.raises(peer.Unavailable) as caught, peer.served(venv, "/models/tiny.en"):
        pass
    assert str(caught.value) == (
        "whisperlivekit-server exited with code 1: ModuleNotFoundError: No module named 'torch'"
    )


def test_the_peer_is_a_column_beside_the_engine() -> None:
    rows = [("partial lag p95, 1 session", "300 ms", "<= 1000 ms", "True"), ("RSS", "1", "", "")]
    text = side_by_side(
        "T", rows, {"offline decode": {}, "WLK": {"partial lag p95, 1 session": "2 s"}}
    )
    lines = text.splitlines()
    assert [c.strip() for c in lines[2].split("|")[1:-1]] == [
        "metric",
        "engine",
        "offline decode",
        "WLK",
        "target",
        "ok",
    ]
    assert len({len(line) for line in lines[2:]}) == 1  # aligned
    assert [c.strip() for c in lines[4].split("|")[1:-1]] == [
        "partial lag p95, 1 session",
        "300 ms",
        "-",
        "2 s",
        "<= 1000 ms",
        "True",
    ]


def test_the_buffer_resets_that_lose_words_are_counted_from_the_server_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    assert peer.resets(log) == 0 and peer.resets(None) == 0
    log.write_text(
        "WARNING:whisperlivekit.warmup:Warmup file unavailable. Skipping ASR warmup.\n"
        "WARNING:whisperlivekit.local_agreement.online_asr:No ASR output for 16.54s. "
        "Resetting buffer to prevent freezing.\n"
        "WARNING:whisperlivekit.local_agreement.online_asr:No ASR output for 31.86s. "
        "Resetting buffer to prevent freezing.\n"
    )
    assert peer.resets(log) == 2
