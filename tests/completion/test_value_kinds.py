"""Literal values a completion assigns and then misused by the code after it (tests/data/value_kinds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daima.completion.syntax import SpliceChecker
from daima.completion.value_kinds import misused_values

DATA = Path(__file__).parent.parent / "data" / "value_kinds" / "python.json"
CASES = json.loads(DATA.read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_misused_values(case: dict[str, object]) -> None:
    document = str(case["document"])
    start, end = document.index("⟦"), document.index("⟧")
    completion = document[start + 1 : end]
    checker = SpliceChecker(document[:start] + document[end + 1 :], start, start, "python")
    assert checker.parses(completion)
    hole_end = checker.hole_byte + len(completion.encode("utf-8"))
    found = misused_values(checker.spliced_tree(completion), checker.hole_byte, hole_end)
    assert [str(misuse) for misuse in found] == case["misused"]


def test_without_a_tree_nothing_is_misused() -> None:
    assert misused_values(None, 0, 10) == []
