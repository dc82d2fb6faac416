"""A file's uplink (`return_audio=False`): the audio is in the file, so the client keeps only
what the server has not confirmed, and commits long silence so that memory does not grow with a
recording's length. Every interleaving of the two modes is in test_uplink.py's property."""

from __future__ import annotations

from app.realtime.protocol import AppendAudio
from tests.unit.test_uplink import SECOND, drain, numbered, uplink


def test_a_file_keeps_only_the_audio_not_confirmed() -> None:
    """`return_audio=False`: confirmed audio is let go of; the result's audio is empty."""
    up = uplink(return_audio=False)
    up.append(numbered(0, 64_000))  # 4 s
    drain(up)
    up.on_completed("vad", 0.0, 3.0)
    assert up.base == 3 * SECOND and bytes(up.audio) == numbered(48_000, 16_000)
    assert up.end == 4 * SECOND and up.kept_audio() == b""
    up.append(numbered(64_000, 16_000))
    frames = drain(up)
    assert frames[0].start == 4 * SECOND and frames[0].message == AppendAudio(
        numbered(64_000, 4000)
    )
    assert up.new_connection() == 3 * SECOND  # a drop replays from what is still kept
    replayed = b"".join(f.message.audio for f in drain(up) if isinstance(f.message, AppendAudio))
    assert replayed == numbered(48_000, 32_000)
    kept = uplink()
    kept.append(numbered(0, 64_000))
    drain(kept)
    kept.on_completed("vad", 0.0, 3.0)
    assert kept.base == 0 and kept.kept_audio() == numbered(0, 64_000)


def test_a_file_commits_long_silence_so_that_it_can_be_let_go_of() -> None:
    """No words, so no `completed` would ever confirm anything: after 30 s ending in a quiet
    second, with nothing open, the uplink commits, and the empty answer confirms it all."""
    up = uplink(return_audio=False)
    up.append(bytes(29 * SECOND))
    assert not up.commit_silence("")  # not long enough yet
    up.append(bytes(SECOND))
    assert not up.commit_silence("some live words")  # a segment is open
    assert up.commit_silence("") and up.ledger.pending == [30 * SECOND]
    up.append(bytes(40 * SECOND))
    assert not up.commit_silence("")  # one at a time: the last is not answered
    drain(up)
    up.on_committed("item")
    up.on_completed("item", 0.0, 30.0)
    assert up.base == 30 * SECOND and len(up.audio) == 40 * SECOND
    assert up.commit_silence("") and up.ledger.pending == [70 * SECOND]
    loud = uplink(return_audio=False)
    loud.append(bytes(29 * SECOND) + numbered(0, 16_000))  # ends in sound: no cut there
    assert not loud.commit_silence("")
    app = uplink()  # the app keeps all the audio: it never commits on its own
    app.append(bytes(60 * SECOND))
    assert not app.commit_silence("")
