"""A server's random key can be passed as `--api-key KEY`: it never looks like an option."""

from __future__ import annotations

from app.commands.transcribe import add_backend_arguments
from app.engine.config import random_token


def test_random_keys_never_begin_with_a_dash_and_parse_as_values() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_backend_arguments(parser)
    keys = {random_token() for _ in range(2000)}
    assert len(keys) == 2000 and all(len(k) == 40 for k in keys)
    for key in keys:
        assert parser.parse_args(["--api-key", key]).api_key == key
