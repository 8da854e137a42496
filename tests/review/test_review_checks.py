"""Rule checks on snippets (every line counts as added): what is caught and what is left alone."""

from __future__ import annotations

import json

import pytest
from review_repos import DATA

from daima.review.checks import check_file, language_of
from daima.review.findings import ReviewResult
from daima.review.formats.common import Positions

SNIPPETS = json.loads((DATA / "snippets.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", SNIPPETS, ids=[c["name"] for c in SNIPPETS])
def test_snippet(case: dict[str, object]) -> None:
    code, path = str(case["code"]), str(case["path"])
    findings = check_file(path, code, set(range(1, code.count("\n") + 2)))
    assert [[f.line, f.rule_id] for f in findings] == case["expect"]
    if "fix" in case:
        fixed = Positions(ReviewResult(findings=findings, texts={path: code})).fixed_lines(findings[0])
        assert fixed is not None and fixed[2] == case["fix"]


def test_languages_by_suffix() -> None:
    assert language_of("a/b.py") == "python" and language_of("X.java") == "java"
    assert language_of("m.mjs") == "javascript" and language_of("README.md") is None
    assert check_file("README.md", "eval(x)\n", {1}) == []
