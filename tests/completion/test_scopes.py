"""Names a completion makes local and reads before binding them (data-driven, tests/data/scopes/)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from daima.completion.scopes import locals_read_before_bound

DATA = Path(__file__).parent.parent / "data" / "scopes" / "python.json"
CASES = json.loads(DATA.read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_locals_read_before_bound(case: dict[str, object], splice_marked: Callable[[str], Any]) -> None:
    spliced = splice_marked(str(case["document"]))
    found = locals_read_before_bound(spliced.tree, spliced.start_byte, spliced.end_byte)
    assert found == case["read_first"]


def test_without_a_tree_nothing_is_found() -> None:
    assert locals_read_before_bound(None, 0, 10) == []
