"""Literal values a completion assigns and then misused by the code after it (tests/data/value_kinds)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from daima.completion.value_kinds import misused_values

DATA = Path(__file__).parent.parent / "data" / "value_kinds" / "python.json"
CASES = json.loads(DATA.read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_misused_values(case: dict[str, object], splice_marked: Callable[[str], Any]) -> None:
    spliced = splice_marked(str(case["document"]))
    found = misused_values(spliced.tree, spliced.start_byte, spliced.end_byte, spliced.scopes)
    assert [str(misuse) for misuse in found] == case["misused"]


def test_without_a_tree_nothing_is_misused() -> None:
    assert misused_values(None, 0, 10, None) == []
