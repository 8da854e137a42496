"""Name resolution: which names a completion reads that do not exist at the cursor (data-driven)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daima.completion.names import unresolved_names, visible_names

CASES = json.loads((Path(__file__).parent.parent / "data" / "names" / "python.json").read_text("utf-8"))[
    "cases"
]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_unresolved(case: dict[str, object]) -> None:
    document = str(case["document"])
    cursor = document.index("▮")
    text = document.replace("▮", "")
    visible = visible_names(text, cursor, cursor, "python")
    assert unresolved_names(str(case["completion"]), visible, "python") == case["unresolved"]


def test_languages_without_a_checker_report_nothing() -> None:
    assert unresolved_names("return nothingHere;", set(), "javascript") == []
