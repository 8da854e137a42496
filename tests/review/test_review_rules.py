"""Rule findings on real git repositories: exact lines for vulnerable changes, none for the safe ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from review_repos import case_names, case_repo, commit_all, init_repo, write_tree

from daima.review.findings import Severity
from daima.review.formats.common import Positions
from daima.review.runner import run_review


@pytest.mark.parametrize("name", case_names())
def test_case(name: str, tmp_path: Path) -> None:
    repo, base, head, expected = case_repo(name, tmp_path)
    result = run_review(repo, base, head)
    got = [{"path": f.path, "line": f.line, "rule": f.rule_id} for f in result.findings]
    want = [{k: e[k] for k in ("path", "line", "rule")} for e in expected]
    assert got == want
    positions = Positions(result)
    for finding, case in zip(result.findings, expected, strict=True):
        assert finding.source == "rule"
        assert finding.message and finding.message_zh
        if "fix" in case:
            fixed = positions.fixed_lines(finding)
            assert fixed is not None and fixed[2] == case["fix"]


def test_only_added_lines_are_reviewed(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    old = 'def f(cursor, name):\n    cursor.execute(f"SELECT {name}")\n'
    write_tree(repo, {"a.py": old})
    base = commit_all(repo, "base")
    write_tree(
        repo, {"a.py": old + "\n\ndef g(cursor, uid):\n    cursor.execute('SELECT 1')\n    eval(uid)\n"}
    )
    head = commit_all(repo, "head")
    result = run_review(repo, base, head)
    assert [(f.line, f.rule_id) for f in result.findings] == [(7, "code-injection")]


def test_finding_anchors_to_the_changed_assignment(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write_tree(repo, {"q.py": 'def f(cursor, name):\n    sql = "SELECT 1"\n    cursor.execute(sql)\n'})
    base = commit_all(repo, "base")
    write_tree(repo, {"q.py": 'def f(cursor, name):\n    sql = "SELECT " + name\n    cursor.execute(sql)\n'})
    head = commit_all(repo, "head")
    result = run_review(repo, base, head)
    assert [(f.line, f.rule_id) for f in result.findings] == [(2, "sql-injection")]


def test_flow_is_per_function(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write_tree(repo, {"a.py": ""})
    base = commit_all(repo, "base")
    source = (
        "def build(name):\n"
        '    sql = f"SELECT {name}"\n'
        "    return sql\n"
        "\n"
        "def run(cursor):\n"
        '    sql = "SELECT 1"\n'
        "    cursor.execute(sql)\n"
        "\n"
        "def augmented(cursor, name):\n"
        '    sql = "SELECT * FROM t WHERE "\n'
        '    sql += "name = " + name\n'
        "    cursor.execute(sql)\n"
    )
    write_tree(repo, {"a.py": source})
    head = commit_all(repo, "head")
    result = run_review(repo, base, head)
    assert [(f.line, f.rule_id) for f in result.findings] == [(12, "sql-injection")]
    assert result.worst() is Severity.ERROR


def test_renamed_and_deleted_files(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write_tree(repo, {"old.py": "import os\n\nos.system('ls')\n", "gone.js": "eval(x)\n"})
    base = commit_all(repo, "base")
    (repo / "gone.js").unlink()
    (repo / "old.py").rename(repo / "新.py")
    write_tree(repo, {"新.py": "import os\n\nos.system('ls')\nos.system(cmd)\n"})
    head = commit_all(repo, "head")
    result = run_review(repo, base, head)
    assert [(f.path, f.line, f.rule_id) for f in result.findings] == [("新.py", 4, "shell-injection")]
