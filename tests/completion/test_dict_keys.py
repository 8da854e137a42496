"""Dict entries a completion writes whose key the dict literal already has (tests/data/dict_keys)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daima.completion.dict_keys import duplicate_keys
from daima.completion.syntax import SpliceChecker

DATA = Path(__file__).parent.parent / "data" / "dict_keys" / "python.json"
CASES = json.loads(DATA.read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_duplicate_keys(case: dict[str, object]) -> None:
    document = str(case["document"])
    start, end = document.index("⟦"), document.index("⟧")
    completion = document[start + 1 : end]
    checker = SpliceChecker(document[:start] + document[end + 1 :], start, start, "python")
    assert checker.parses(completion)
    hole_end = checker.hole_byte + len(completion.encode("utf-8"))
    assert duplicate_keys(checker.spliced_tree(completion), checker.hole_byte, hole_end) == case["duplicates"]


def test_without_a_tree_there_are_no_duplicates() -> None:
    assert duplicate_keys(None, 0, 10) == []
