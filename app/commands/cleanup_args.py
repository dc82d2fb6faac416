"""`--cleanup [STYLE]` and its `--llm-*` flags for `dictate transcribe` and `dictate listen`.

Off unless `--cleanup` is given, whatever the app's settings say, so a script's output does
not change under it. The provider, URL, model and timeout are the app's settings unless a
flag says otherwise (`--llm-url` alone means another OpenAI-compatible server); the key is
`--llm-api-key`, else $DICTATE_LLM_API_KEY, else the keyring (Together's: the same key as its
transcription).
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from app.dictation.cleanup import STYLES, CleanupOptions


def add_arguments(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("cleanup by a language model (default: off)")
    group.add_argument(
        "--cleanup",
        nargs="?",
        const="clean",
        choices=[s for s in STYLES if s != "own"],
        metavar="STYLE",
        help="clean the final text with a language model; STYLE: clean (default), verbatim, "
        "message, email or notes. The cleaned text is printed; when it cannot be used the "
        "text as heard is printed and the reason goes to stderr",
    )
    group.add_argument("--llm-url", help="an OpenAI-compatible server, e.g. "
                       "http://localhost:11434/v1 (default: the provider in Settings)")  # fmt: skip
    group.add_argument("--llm-model", help="the model (default: the one in Settings)")
    group.add_argument(
        "--llm-api-key",
        metavar="KEY",
        help="default: $DICTATE_LLM_API_KEY or the key in the keyring. Prefer the "
        "environment: a command line is visible to other users",
    )
    group.add_argument("--llm-timeout", type=float, metavar="S", help="seconds (default 4)")


def cleanup_from(args: argparse.Namespace) -> CleanupOptions | None:
    """The cleanup the flags ask for, with the app's settings for what they leave out."""
    style = getattr(args, "cleanup", None)
    if not style or style == "verbatim":
        return None
    from app import paths
    from app.dictation.options import cleanup_settings
    from app.storage import settings as settings_store

    saved = settings_store.load(paths.config_dir())
    base = cleanup_settings(saved, "custom" if args.llm_url else None, style)
    return replace(base, url=args.llm_url or base.url, model=args.llm_model or base.model,
                   timeout_s=args.llm_timeout or base.timeout_s,
                   api_key=args.llm_api_key)  # fmt: skip
