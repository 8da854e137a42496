"""Names a completion makes local and reads before binding them (data-driven, tests/data/scopes/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daima.completion.scopes import locals_read_before_bound
from daima.completion.syntax import SpliceChecker

DATA = Path(__file__).parent.parent / "data" / "scopes" / "python.json"
CASES = json.loads(DATA.read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_locals_read_before_bound(case: dict[str, object]) -> None:
    document = str(case["document"])
    start, end = document.index("⟦"), document.index("⟧")
    completion = document[start + 1 : end]
    checker = SpliceChecker(document[:start] + document[end + 1 :], start, start, "python")
    assert checker.parses(completion)
    hole_end = checker.hole_byte + len(completion.encode("utf-8"))
    found = locals_read_before_bound(checker.spliced_tree(completion), checker.hole_byte, hole_end)
    assert found == case["read_first"]


def test_without_a_tree_nothing_is_found() -> None:
    assert locals_read_before_bound(None, 0, 10) == []
