"""The measurement the refcount tests rely on sees a leak: a call that drops a reference to
None it never took (as a faulty extension's `return Py_None;` does) moves the count by one
per call, and `assert_small` fails on it."""

from __future__ import annotations

import pytest

from tests.native.refcounts import assert_small, measure


def test_a_call_that_drops_a_reference_to_none_is_seen() -> None:
    drift = measure("""
import ctypes, json
from tests.native.refcounts import singleton_drift
leak = lambda: ctypes.pythonapi.Py_DecRef(ctypes.py_object(None))
print(json.dumps({"leak": singleton_drift(leak, 500), "none": singleton_drift(lambda: None, 500)}))
""")  # fmt: skip
    assert drift["leak"][0] <= -500
    assert_small(drift["none"], 500, "a plain lambda")
    with pytest.raises(AssertionError, match="moved by"):
        assert_small(drift["leak"], 500, "the faulty call")
