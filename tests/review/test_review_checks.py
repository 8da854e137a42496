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


def test_injections_on_a_completion_s_lines() -> None:
    from daima.review.checks import injections, sink_words

    assert {"execute", "system", "eval"} <= sink_words("python") and "query" in sink_words("javascript")
    head = "import sqlite3\n\n\ndef 查找(连接, 名字):\n    游标 = 连接.cursor()\n"
    unsafe = head + "    游标.execute(\"SELECT * FROM 用户 WHERE 名字 = '%s'\" % 名字)\n"
    [found] = injections(unsafe, [6], "python")
    assert found.rule_id == "sql-injection" and found.line == 6 and found.fix is not None
    assert injections(unsafe, [5], "python") == []  # the lines given are the completion's only
    safe = head + '    游标.execute("SELECT * FROM 用户 WHERE 名字 = ?", (名字,))\n'
    assert injections(safe, [6], "python") == []
    # The string built on the completion's line, the sink on the line the code already had.
    built = head + "    语句 = 'SELECT * FROM 用户 WHERE 名字 = ' + 名字\n    游标.execute(语句)\n"
    assert [f.rule_id for f in injections(built, [6], "python")] == ["sql-injection"]
    shell = "import os\n\n\ndef 打包(目录):\n    os.system('tar czf a.tgz ' + 目录)\n"
    assert [f.rule_id for f in injections(shell, [5], "python")] == ["shell-injection"]
    assert injections("x = 1\n", [1], "python") == [] and injections(unsafe, [6], "rust") == []
    js = (
        "const 连接 = mysql.createConnection({});\nfunction 登录(请求) {\n"
        "  连接.query('SELECT * FROM u WHERE n = \"' + 请求.body.user + '\"');\n}\n"
    )
    assert [f.rule_id for f in injections(js, [3], "javascript")] == ["sql-injection"]
