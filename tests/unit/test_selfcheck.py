"""`dictate --self-check` fails loudly when any check fails."""

from __future__ import annotations

import pytest

from app.commands import selfcheck


def test_a_failing_check_is_named_and_the_exit_code_is_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> str:
        raise RuntimeError("no model here")

    monkeypatch.setattr(selfcheck, "CHECKS", [("engine", broken), ("audio", lambda: "fine")])
    assert selfcheck.run() == 1
    out = capsys.readouterr().out.splitlines()
    assert out == ["FAIL engine: no model here", "ok   audio: fine", "1 check(s) failed"]
