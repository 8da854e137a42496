"""Single-line vs block decisions, data-driven over tests/data/mode/cases.json (many languages)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daima.completion.mode import decide_mode
from daima.completion.prompt import parse_tree
from daima.text import TextDocument

CASES = json.loads((Path(__file__).parents[1] / "data" / "mode" / "cases.json").read_text("utf-8"))


def check(language: str, source: str, expected: str, max_lines: int = 8) -> None:
    offset = source.index("▮")
    document = TextDocument("file:///t", source.replace("▮", ""), language_id=language)
    tree = parse_tree(document, language)
    if language != "plaintext":
        assert tree is not None, f"no grammar for {language}"
    mode = decide_mode(document, offset, language_id=language, tree=tree, max_lines=max_lines)
    assert mode.kind == expected, mode.reason
    assert mode.max_lines == (max_lines if expected == "block" else 1)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_mode(case: dict) -> None:
    check(case["language"], case["source"], case["mode"], case.get("max_lines", 8))
