"""Loops a completion leaves endless or whose variable it reuses (data-driven, tests/data/loops/)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from daima.completion.loops import endless_loops, reused_loop_names

DATA = Path(__file__).parent.parent / "data" / "loops" / "python.json"
CASES = json.loads(DATA.read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_endless_loops(case: dict[str, object], splice_marked: Callable[[str], Any]) -> None:
    spliced = splice_marked(str(case["document"]))
    assert (
        endless_loops(spliced.tree, spliced.start_byte, spliced.end_byte, spliced.scopes) == case["endless"]
    )


def test_without_a_tree_nothing_is_endless() -> None:
    assert endless_loops(None, 0, 10, None) == []


REUSED = json.loads((DATA.parent / "reused.json").read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", REUSED, ids=[c["name"] for c in REUSED])
def test_reused_loop_names(case: dict[str, object], splice_marked: Callable[[str], Any]) -> None:
    spliced = splice_marked(str(case["document"]))
    assert (
        reused_loop_names(spliced.tree, spliced.start_byte, spliced.end_byte, spliced.scopes)
        == case["reused"]
    )
