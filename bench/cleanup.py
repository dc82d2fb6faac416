"""Cleanup benchmark (issue 24): the latency cleanup adds, and the guard's verdicts.

Run: `.venv/bin/python -m bench.cleanup [--runs N]`. Latency: a dictation's final text made
by `finalize()` with and without the cleanup step, against the OpenAI-compatible test server
on loopback (tests/llm_server.py) whose first token comes after 150 ms and after 600 ms and
then a token every 10 ms (about 100 tokens/s, a fast hosted model), streamed and as one
JSON answer, through the real `openai` client: the added latency is release -> cleaned text
minus release -> rendered text. Guard: every pair of tests/data/cleanup_corpus.json judged;
the target is no bad answer delivered and at most 5 % of the good cleanups rejected.
"""

from __future__ import annotations

import argparse
import json
import time

import bench.common  # noqa: F401  (puts the checkout on sys.path)
from app.core.words import Words
from app.dictation.cleanup import Cleanup, CleanupOptions
from app.dictation.finalize import finalize
from app.dictation.guard import judge
from bench.common import grid, pct
from tests.llm_server import LLMServer
from tests.speech import DATA

SAID = [
    "um so I I think we should move the weekly meeting to Friday afternoon because half",
    "the team is out on Thursday and uh we still need to go through the budget",
]  # 30 words: a typical push-to-talk dictation


def latency(runs: int) -> str:
    rows: list[tuple[str, ...]] = []
    words = Words()
    for first in (0.150, 0.600):
        for stream in (True, False):
            with LLMServer(first_token_s=first, token_s=0.010) as server:
                step = Cleanup(CleanupOptions(provider="custom", url=server.url, model="clean",
                                              stream=stream, timeout_s=4.0))  # fmt: skip
                finalize(SAID, words, [step])  # warm: imports, first connection
                added, notes = [], 0
                for _ in range(runs):
                    started = time.perf_counter()
                    plain = finalize(SAID, words)
                    rendered_at = time.perf_counter()
                    cleaned = finalize(SAID, words, [step])
                    done = time.perf_counter()
                    added.append((done - rendered_at) * 1000)
                    notes += bool(cleaned.note)
                    assert plain.text and (rendered_at - started) < 0.05
            mode = "SSE stream" if stream else "JSON"
            rows.append((f"{first * 1000:.0f} ms", mode, str(runs), f"{pct(added, 50):.0f}",
                         f"{pct(added, 95):.0f}", str(notes)))  # fmt: skip
    head = ("first token", "answer", "runs", "added p50 ms", "added p95 ms", "fell back")
    return grid("Added latency of cleanup (release -> cleaned text)", head, rows)


def guard() -> str:
    pairs = json.loads((DATA / "cleanup_corpus.json").read_text(encoding="utf-8"))["pairs"]
    rows: list[tuple[str, ...]] = []
    groups: dict[str, list[bool]] = {}
    for pair in pairs:
        ok = judge(pair["transcript"], pair["answer"], style=pair["style"],
                   one_line=pair.get("one_line", False)).ok  # fmt: skip
        key = "good cleanup" if pair["kind"] == "good" else f"bad: {pair['what']}"
        groups.setdefault(key, []).append(ok)
    for key, oks in sorted(groups.items()):
        kept = sum(oks)
        verdict = f"{kept} kept" if key == "good cleanup" else f"{kept} delivered"
        share = kept / len(oks) if key == "good cleanup" else (len(oks) - kept) / len(oks)
        rows.append((key, str(len(oks)), verdict, f"{share:.0%}"))
    good = groups.pop("good cleanup")
    bad = [ok for oks in groups.values() for ok in oks]
    rows.append(("all bad answers", str(len(bad)), f"{sum(bad)} delivered",
                 f"{(len(bad) - sum(bad)) / len(bad):.0%}"))  # fmt: skip
    rows.append(("good rejected", str(len(good)), f"{len(good) - sum(good)} rejected",
                 f"{(len(good) - sum(good)) / len(good):.1%}"))  # fmt: skip
    head = ("pairs", "count", "verdict", "right")
    return grid(f"The guard's verdicts on {len(pairs)} (transcript, answer) pairs", head, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(latency(args.runs))
    print()
    print(guard())


if __name__ == "__main__":
    main()
