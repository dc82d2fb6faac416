"""Your words benchmark (issue 12): names with and without the vocabulary, pipeline cost.

Run: `.venv/bin/python -m bench.words`. Speaks 20 sentences, each with a rare name, with
espeak-ng into a temporary directory, streams each through the local engine (tiny.en, the
same client path as `dictate transcribe`) with no prompt, with the names as a bare list, and
with the vocabulary prompt the app sends; then times the text pipeline on a 100-word
dictation with 200 rules.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import tempfile
import time
import wave
from pathlib import Path

import bench.common  # noqa: F401  (puts the checkout on sys.path)
from tests.speech import wer

NAMES = [
    "Siobhan", "Nguyen", "Saoirse", "Oluwaseun", "Xiomara", "Przemyslaw", "Thandiwe",
    "Kwabena", "Ngozi", "Tadhg", "Wojciech", "Zbigniew", "Caoimhe", "Padraig", "Yevgenia",
    "Giedre", "Anouk", "Lorcan", "Eoghan", "Chidubem",
]  # fmt: skip
TEMPLATES = [
    "Please send the report to {} before Friday.",
    "I had lunch with {} yesterday.",
    "{} will lead the meeting tomorrow.",
    "We asked {} to review the budget.",
]


def table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [head, ["-" * w for w in widths], *rows]
    return "\n".join(
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in lines
    )


def speak(text: str, path: Path) -> bytes:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path)], check=True)
    with wave.open(str(path)) as w:
        return bytes(w.readframes(w.getnframes()))


def names_accuracy(clips: list[tuple[str, str, bytes]], prompt: str | None) -> list[str]:
    """One session per sentence through the local engine; the transcripts."""
    from app.backends import choose_backend, realtime_client, stream_pcm

    backend = choose_backend("local")
    try:
        out = []
        for _name, _text, pcm in clips:
            client = realtime_client(backend.client_config(language="en", prompt=prompt))
            out.append(stream_pcm(client, pcm, realtime=False).text)
        return out
    finally:
        backend.close()


def name_right(name: str, text: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", text, re.IGNORECASE) is not None


def pipeline_timing() -> list[list[str]]:
    from app.core.text import render
    from app.core.words import Rule, Words

    rules = (
        *(Rule(f"trigger{i} word{i}", f"Replacement {i}") for i in range(198)),
        Rule("my address", "Jane Doe\n1 Main Street"),
        Rule("dictate ai", "Dictate AI"),
    )
    sentence = (
        "Um so I I think we should send my address to the dictate ai team, uh, "
        "before the new line manager trigger7 word7 arrives comma okay period"
    )
    # About 100 words in six segments, as a minute of dictation would be.
    segments = [sentence] * 2 + ["New paragraph."] + [sentence] * 2 + ["Scratch that."]
    words_count = len(" ".join(segments).split())
    rows = []
    for label, words in (
        ("200 rules, commands, fillers", Words(rules=rules)),
        ("+ spoken punctuation", Words(rules=rules, spoken_punctuation=True)),
        ("no rules, all off", Words(commands=False, remove_fillers=False)),
        ("200 rules + 20 names' near-misses", Words(rules=rules, vocabulary=tuple(NAMES))),
    ):
        started = time.perf_counter()
        render(segments, words)  # the first call compiles the rules (once per settings)
        first = time.perf_counter() - started
        times = []
        for _ in range(300):
            started = time.perf_counter()
            render(segments, words)
            times.append(time.perf_counter() - started)
        times.sort()
        rows.append([label, str(words_count), f"{first * 1000:.2f}",
                     f"{statistics.median(times) * 1000:.3f}",
                     f"{times[int(len(times) * 0.95)] * 1000:.3f}"])  # fmt: skip
    return rows


def main() -> None:
    print("Text pipeline per final (render of the whole dictation so far, 300 runs)")
    print(table(["settings", "words", "first ms", "median ms", "p95 ms"], pipeline_timing()))
    print()
    from app.core.near import correct_vocabulary
    from app.core.words import vocabulary_prompt

    with tempfile.TemporaryDirectory(prefix="words-bench-") as tmp:
        clips = []
        for i, name in enumerate(NAMES):
            text = TEMPLATES[i % len(TEMPLATES)].format(name)
            clips.append((name, text, speak(text, Path(tmp) / f"{i}.wav")))
    conditions = {
        "no vocabulary": None,
        "names as a bare list": ", ".join(NAMES),
        "vocabulary prompt (the app's)": vocabulary_prompt(NAMES).prompt,
    }
    rows = []
    detail: dict[str, list[str]] = {}
    for label, prompt in conditions.items():
        started = time.perf_counter()
        texts = names_accuracy(clips, prompt)
        elapsed = time.perf_counter() - started
        detail[label] = texts
        right = sum(name_right(n, t) for (n, _s, _p), t in zip(clips, texts, strict=True))
        # The vocabulary after recognition (core.near), as the app renders every final.
        fixed = [correct_vocabulary(t, tuple(NAMES)) for t in texts]
        corrected = sum(name_right(n, t) for (n, _s, _p), t in zip(clips, fixed, strict=True))
        pairs = zip(clips, texts, strict=True)
        sentence_wer = statistics.mean(wer(s, t) for (_n, s, _p), t in pairs)
        changed = sum(a != b for a, b in zip(texts, fixed, strict=True))
        rows.append([label, f"{right}/{len(NAMES)}",
                     f"{corrected}/{len(NAMES)} ({changed} changed)",
                     f"{1 - right / len(NAMES):.2f}", f"{sentence_wer:.3f}",
                     f"{elapsed:.1f}"])  # fmt: skip
    print("Names (tiny.en, int8 CPU, espeak-ng en-us 160 wpm, one session per sentence)")
    head = ["condition", "names right", "+ near-misses", "name WER", "sentence WER", "seconds"]
    print(table(head, rows))
    print()
    print("Per name: without -> with the vocabulary prompt")
    for (name, _s, _p), before, after in zip(
        clips, detail["no vocabulary"], detail["vocabulary prompt (the app's)"], strict=True
    ):
        mark = "ok" if name_right(name, after) else "--"
        print(f"  {mark} {name:<11} {before!r} -> {after!r}")


if __name__ == "__main__":
    main()
