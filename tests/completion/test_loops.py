"""Loops a completion leaves endless or whose variable it reuses (data-driven, tests/data/loops/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daima.completion.loops import endless_loops, reused_loop_names
from daima.completion.syntax import SpliceChecker

DATA = Path(__file__).parent.parent / "data" / "loops" / "python.json"
CASES = json.loads(DATA.read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_endless_loops(case: dict[str, object]) -> None:
    document = str(case["document"])
    start, end = document.index("⟦"), document.index("⟧")
    completion = document[start + 1 : end]
    text = document[:start] + document[end + 1 :]
    checker = SpliceChecker(text, start, start, "python")
    assert checker.parses(completion)
    hole_end = checker.hole_byte + len(completion.encode("utf-8"))
    assert endless_loops(checker.spliced_tree(completion), checker.hole_byte, hole_end) == case["endless"]


def test_without_a_tree_nothing_is_endless() -> None:
    assert endless_loops(None, 0, 10) == []


REUSED = json.loads((DATA.parent / "reused.json").read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", REUSED, ids=[c["name"] for c in REUSED])
def test_reused_loop_names(case: dict[str, object]) -> None:
    document = str(case["document"])
    start, end = document.index("⟦"), document.index("⟧")
    completion = document[start + 1 : end]
    checker = SpliceChecker(document[:start] + document[end + 1 :], start, start, "python")
    assert checker.parses(completion)
    hole_end = checker.hole_byte + len(completion.encode("utf-8"))
    assert reused_loop_names(checker.spliced_tree(completion), checker.hole_byte, hole_end) == case["reused"]
