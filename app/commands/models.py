"""`dictate models list | pull NAME | rm NAME | bench [NAME]`: the local model manager.

`list` works offline (the catalogue is data, the store is on disk). `pull` shows bytes and
rate as it goes; Ctrl-C cancels and keeps the part already fetched, so pulling again resumes.
`bench` says, for this machine, which installed models keep live text flowing.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.models.speed import Speed


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "models",
        help="list, pull, remove and benchmark local models",
        description=(
            "Manage the local engine's Whisper models. Pulled models go to the user data "
            "directory; downloads resume, are verified against the hub's hashes, respect "
            "HTTPS_PROXY and HF_ENDPOINT (a mirror), and are refused with HF_HUB_OFFLINE=1."
        ),
    )
    sub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    sub.add_parser("list", help="installed and available models").set_defaults(run=run_list)
    pull = sub.add_parser("pull", help="download a model (a catalogue name or org/repo)")
    pull.add_argument("name")
    pull.set_defaults(run=run_pull)
    rm = sub.add_parser("rm", help="delete a pulled model (and any partial download)")
    rm.add_argument("name")
    rm.set_defaults(run=run_rm)
    bench = sub.add_parser("bench", help="measure installed models on a bundled clip")
    bench.add_argument("name", nargs="?", help="one installed model (default: all)")
    bench.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    bench.set_defaults(run=run_bench)


def run_list(args: argparse.Namespace) -> int:
    from app.models import catalog, speed, store
    from app.models.download import human_bytes

    installed = {m.name: m for m in store.installed()}
    measured = speed.load()
    rows = [("MODEL", "STATUS", "SIZE", "LANGUAGES", "LICENCE", "SPEED HERE")]
    for entry in catalog.CATALOG:
        model = installed.pop(entry.name, None)
        if model is not None:
            status = "bundled" if model.bundled else "installed"
            size = human_bytes(model.size_bytes)
        else:
            partial = store.partial_dir(entry.name)
            status = "partial" if partial.exists() else "available"
            size = f"~{human_bytes(entry.download_bytes)}"
        rows.append(
            (entry.name, status, size, entry.languages, entry.licence, _speed(measured, entry.name))
        )
    for model in installed.values():
        langs = "English only" if model.english_only else "multilingual"
        rows.append(
            (
                model.name,
                "installed",
                human_bytes(model.size_bytes),
                langs,
                "see repo",
                _speed(measured, model.name),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print(f"\nmodels live in {store.root()}; `dictate models pull NAME` adds one")
    return 0


def _speed(measured: dict[str, Speed], name: str) -> str:
    found = measured.get(name)
    if found is None:
        return "-"
    return f"{found.rtf:.2f}x RT{'' if found.live_ok else ' (too slow for live)'}"


def run_pull(args: argparse.Namespace) -> int:
    from app.models import download

    shown = [0.0]
    tty = sys.stderr.isatty()

    def progress(p: download.Progress) -> None:
        now = time.monotonic()
        if now - shown[0] < (0.2 if tty else 2.0) and p.done < p.total:
            return
        shown[0] = now
        line = (
            f"{p.name}: {download.human_bytes(p.done)} of {download.human_bytes(p.total)} "
            f"({p.fraction:.0%}) at {download.human_bytes(p.rate)}/s"
        )
        sys.stderr.write(("\r" + line) if tty else line + "\n")
        sys.stderr.flush()

    try:
        pull = download.Pull(args.name, progress)
    except download.DownloadError as exc:
        sys.stderr.write(f"dictate models pull: {exc}\n")
        return 2
    try:
        model = pull.run()
    except KeyboardInterrupt:
        pull.cancel()
        sys.stderr.write(f"{_gap(shown)}cancelled: pulling again resumes where this stopped\n")
        return 130
    except download.DownloadError as exc:
        sys.stderr.write(f"{_gap(shown)}dictate models pull: {exc}\n")
        return 1
    sys.stderr.write(_gap(shown))
    print(f"installed {model.name} ({download.human_bytes(model.size_bytes)}) in {model.path}")
    return 0


def _gap(shown: list[float]) -> str:
    """A line break after a progress line rewritten in place, none when nothing was shown."""
    return "\n" if shown[0] and sys.stderr.isatty() else ""


def run_rm(args: argparse.Namespace) -> int:
    from app.models import store

    try:
        removed = store.remove(args.name)
    except ValueError as exc:
        sys.stderr.write(f"dictate models rm: {exc}\n")
        return 2
    if not removed:
        sys.stderr.write(f"dictate models rm: {args.name} is not installed\n")
        return 1
    print(f"removed {args.name}")
    return 0


def run_bench(args: argparse.Namespace) -> int:
    from app.engine.probe import measure
    from app.models import speed, store

    if args.name:
        model = store.get(args.name)
        if model is None:
            sys.stderr.write(f"dictate models bench: {args.name} is not installed\n")
            return 1
        models = [model]
    else:
        models = store.installed()
    for model in models:
        result, text = measure(model.name, args.device)
        speed.save(result)
        print(
            f"{result.verdict()} (loaded in {result.load_s:.2f} s on {result.device}; "
            f"heard {text!r})"
        )
    return 0
