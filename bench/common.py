"""Shared by the benchmarks: a `dictate serve` subprocess, percentiles, process stats, tables."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TOKEN = "bench-token"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_percent(pid: int, seconds: float) -> float:
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds * 100


@contextmanager
def served(port: int = 18765, *extra: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`dictate serve` in a subprocess; yields (url, process) once it listens."""
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--token", TOKEN, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    url = ""
    for line in proc.stdout:
        if line.startswith("Dictate engine listening on "):
            url = line.split()[-1]
            break
    try:
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(15)


def table(title: str, rows: list[tuple[str, str, str, str]]) -> str:
    head = ("metric", "measured", "target", "ok")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    return "\n".join([f"### {title}", "", line, sep, *body])


def tree_pids(pid: int) -> list[int]:
    """`pid` and its descendants (a server may run its work in child processes)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def tree_cpu_seconds(pid: int) -> float:
    total = 0.0
    for p in tree_pids(pid):
        try:
            total += cpu_seconds(p)
        except (OSError, IndexError, ValueError):
            continue  # ended between the listing and the read
    return total


def tree_rss_mb(pid: int) -> float:
    total = 0.0
    for p in tree_pids(pid):
        try:
            total += rss_mb(p)
        except OSError:
            continue
    return total


def grid(title: str, head: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """`table` with any number of columns."""
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    return "\n".join([f"### {title}", "", line, sep, *body])


def side_by_side(
    title: str,
    rows: list[tuple[str, str, str, str]],
    columns: dict[str, dict[str, str]],
    first: str = "engine",
) -> str:
    """`table`'s rows (metric, measured, target, ok) with more measured columns after the
    first, each a {metric: value}; a metric a column does not have shows as '-'."""
    head = ("metric", first, *columns, "target", "ok")
    body = [(m, v, *(c.get(m, "-") for c in columns.values()), t, ok) for m, v, t, ok in rows]
    return grid(title, head, body)
