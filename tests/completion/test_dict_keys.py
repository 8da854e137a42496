"""Dict entries a completion writes whose key the dict literal already has (tests/data/dict_keys)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from daima.completion.dict_keys import duplicate_keys

DATA = Path(__file__).parent.parent / "data" / "dict_keys" / "python.json"
CASES = json.loads(DATA.read_text("utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_duplicate_keys(case: dict[str, object], splice_marked: Callable[[str], Any]) -> None:
    spliced = splice_marked(str(case["document"]))
    assert duplicate_keys(spliced.tree, spliced.start_byte, spliced.end_byte) == case["duplicates"]


def test_without_a_tree_there_are_no_duplicates() -> None:
    assert duplicate_keys(None, 0, 10) == []
