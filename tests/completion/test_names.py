"""Name resolution: which names a completion reads that do not exist at the cursor (data-driven)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daima.completion.names import unresolved_names, visible_names

DATA = Path(__file__).parent.parent / "data" / "names"
CASES = [
    {"language": file.stem, **case}
    for file in sorted(DATA.glob("*.json"))
    for case in json.loads(file.read_text("utf-8"))["cases"]
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['language']}: {c['name']}" for c in CASES])
def test_unresolved(case: dict[str, object]) -> None:
    document = str(case["document"])
    language = str(case["language"])
    cursor = document.index("▮")
    text = document.replace("▮", "")
    visible = visible_names(text, cursor, cursor, language)
    line_before = text[text.rfind("\n", 0, cursor) + 1 : cursor]
    line_after = text[cursor:].split("\n", 1)[0]
    completion = str(case["completion"])
    found = unresolved_names(completion, visible, language, line_before=line_before, line_after=line_after)
    assert found == case["unresolved"]


def test_there_are_cases_for_python_and_the_script_languages() -> None:
    assert {c["language"] for c in CASES} >= {"python", "javascript", "typescript", "javascriptreact"}


def test_languages_without_a_checker_report_nothing() -> None:
    assert unresolved_names("return nothingHere;", set(), "go") == []
