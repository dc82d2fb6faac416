"""The user's words: vocabulary parsing and its prompt, the rules file format."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.words import (
    Rule,
    RulesError,
    format_rules,
    parse_rules,
    parse_vocabulary,
    rules_from_pairs,
    vocabulary_prompt,
)


def test_vocabulary_entries_are_split_trimmed_and_deduplicated() -> None:
    assert parse_vocabulary(" Siobhan, Nguyen;\nKubernetes ,, siobhan\n  Dervla  Quinn ") == [
        "Siobhan", "Nguyen", "Kubernetes", "Dervla Quinn",
    ]  # fmt: skip


def test_the_prompt_keeps_the_users_order_and_says_what_was_cut() -> None:
    short = vocabulary_prompt(["Siobhan", "Nguyen"])
    assert short.prompt == "Glossary: Siobhan, Nguyen." and short.note == ""
    names = [f"Name{i:03d}" for i in range(200)]
    cut = vocabulary_prompt(names)
    assert 0 < cut.kept < 200 and len(cut.prompt) <= 600
    assert cut.prompt.startswith("Glossary: Name000, Name001,")
    assert cut.dropped == tuple(names[cut.kept :])
    assert f"first {cut.kept} entries" in cut.note and "Name" in cut.note
    assert vocabulary_prompt([]).prompt == ""


def test_a_rules_file_reads_comments_escapes_and_equals_signs() -> None:
    text = "# mine\n\nmy email = jane@example.com\nmy address = Jane\\nMain St\nx = a=b\\\\n\n"
    assert parse_rules(text) == [
        Rule("my email", "jane@example.com"),
        Rule("my address", "Jane\nMain St"),
        Rule("x", "a=b\\n"),
    ]


@pytest.mark.parametrize("line", ["no equals sign", " = nothing said", "a<b = c"])
def test_a_bad_line_is_named(line: str) -> None:
    with pytest.raises(RulesError, match="line 2"):
        parse_rules("ok = fine\n" + line)


said = st.from_regex(r"[a-z][a-z' -]{0,15}[a-z]", fullmatch=True).map(lambda s: " ".join(s.split()))
written = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), whitelist_characters="\n"),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.builds(Rule, said, written.map(str.strip)), max_size=10))
def test_export_then_import_gives_the_same_rules(rules: list[Rule]) -> None:
    assert parse_rules(format_rules(rules)) == rules


def test_stored_pairs_skip_malformed_entries() -> None:
    pairs = [["btw", "by the way"], ["", "x"], ["a"], "bad", [1, 2]]
    assert rules_from_pairs(pairs) == (Rule("btw", "by the way"),)
    assert rules_from_pairs("nope") == ()
