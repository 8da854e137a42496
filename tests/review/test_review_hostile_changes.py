"""A pull request cannot hide a change from the review: not with attributes, a NUL byte, a big file,
odd file names or names forged to look like diff headers. Each case adds a real SQL injection in a
real git repository; the review must find it, or say the file was not reviewed, and never lose the
other files of the change."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from review_repos import commit_all, git, init_repo, write_tree

from daima.review.diff import MAX_REVIEW_BYTES
from daima.review.findings import NOT_REVIEWED_RULE_ID
from daima.review.formats import render
from daima.review.runner import run_review

BEFORE = "def find(cursor, name):\n    return None\n"
AFTER = 'def find(cursor, name):\n    cursor.execute("SELECT * FROM users WHERE name = \'" + name + "\'")\n'
JS_BEFORE = "function find(db, name) {\n  return null;\n}\n"
JS_AFTER = (
    'function find(db, name) {\n  return db.query("SELECT * FROM users WHERE name = \'" + name + "\'");\n}\n'
)
# A file of the same change with nothing odd about it: it must be reviewed whatever the other one does.
PLAIN = "plain.py"


def _change(
    tmp_path: Path, files_before: dict[str, str], files_after: dict[str, str]
) -> tuple[Path, str, str]:
    repo = init_repo(tmp_path / "repo")
    write_tree(repo, {PLAIN: BEFORE, **files_before})
    base = commit_all(repo, "base")
    write_tree(repo, {PLAIN: AFTER, **files_after})
    return repo, base, commit_all(repo, "head")


def _found(repo: Path, base: str, head: str) -> set[tuple[str, int, str]]:
    result = run_review(repo, base, head)
    for format_name in ("text", "github", "sarif", "rdjsonl"):
        render(result, format_name)  # every format takes every path
    return {(f.path, f.line, f.rule_id) for f in result.findings}


def test_an_attribute_that_hides_the_diff_does_not_hide_the_change(tmp_path: Path) -> None:
    repo, base, head = _change(
        tmp_path, {".gitattributes": "*.py -diff\n", "a.py": BEFORE}, {"a.py": AFTER}
    )  # fmt: skip
    assert ("a.py", 2, "sql-injection") in _found(repo, base, head)


def test_a_nul_byte_does_not_make_code_binary_to_the_review(tmp_path: Path) -> None:
    repo, base, head = _change(
        tmp_path, {"lib/a.js": JS_BEFORE}, {"lib/a.js": "// \0\n" + JS_AFTER}
    )  # fmt: skip
    assert ("lib/a.js", 3, "sql-injection") in _found(repo, base, head)


def test_a_file_over_a_mebibyte_is_reviewed_and_one_over_the_limit_is_reported(tmp_path: Path) -> None:
    filler = "x = 1\n" * (1024 * 1024 // 6 + 10)  # just over 1 MiB, the old silent limit
    huge = "y = 2\n" * (MAX_REVIEW_BYTES // 6 + 10)
    repo, base, head = _change(
        tmp_path,
        {"big.py": filler + BEFORE, "huge.py": ""},
        {"big.py": filler + AFTER, "huge.py": huge + AFTER},
    )
    found = _found(repo, base, head)
    lines = filler.count("\n")
    assert ("big.py", lines + 2, "sql-injection") in found
    assert ("huge.py", 1, NOT_REVIEWED_RULE_ID) in found
    assert (PLAIN, 2, "sql-injection") in found
    review = json.loads(render(run_review(repo, base, head), "github"))
    assert "huge.py" in review["body"] and all(c["path"] != "huge.py" for c in review["comments"])


@pytest.mark.parametrize(
    "name",
    ["back\\slash.py", "tab\there.py", 'quote".py', "new\nline.py", "trailing space.py ", "x b/in folder.py",
     "x\n+++ b/y.py", "中文 名字.py"],
    ids=["backslash", "tab", "quote", "newline", "trailing-space", "folder-with-space", "forged-header",
         "chinese-space"],
)  # fmt: skip
def test_odd_file_names_are_reviewed_and_do_not_lose_the_other_files(tmp_path: Path, name: str) -> None:
    repo, base, head = _change(tmp_path, {name: BEFORE}, {name: AFTER})
    found = _found(repo, base, head)
    assert (name, 2, "sql-injection") in found
    assert (PLAIN, 2, "sql-injection") in found


def test_a_file_name_that_is_not_utf8_is_reviewed(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write_tree(repo, {PLAIN: BEFORE})
    odd = repo / b"caf\xe9.py".decode("utf-8", "surrogateescape")
    odd.write_text(BEFORE, encoding="utf-8")
    base = commit_all(repo, "base")
    odd.write_text(AFTER, encoding="utf-8")
    write_tree(repo, {PLAIN: AFTER})
    head = commit_all(repo, "head")
    found = _found(repo, base, head)
    assert ("caf\ufffd.py", 2, "sql-injection") in found
    assert (PLAIN, 2, "sql-injection") in found


def test_a_rename_with_a_change_is_reviewed_under_its_new_name(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    body = "".join(f"def helper_{i}():\n    return {i}\n\n" for i in range(20))
    write_tree(repo, {"old.py": body + BEFORE})
    base = commit_all(repo, "base")
    git(repo, "mv", "old.py", "new.py")
    write_tree(repo, {"new.py": body + AFTER})
    head = commit_all(repo, "head")
    assert ("new.py", body.count("\n") + 2, "sql-injection") in _found(repo, base, head)


def test_a_change_to_the_middle_of_a_multi_line_call_is_found(tmp_path: Path) -> None:
    """Only the `+ str(x)` line is added: the call, its argument and the concatenation all start on
    unchanged lines, and the finding sits on the added one."""
    call = (
        'def add(cursor, x):\n    cursor.execute(\n        "INSERT INTO t VALUES ("\n'
        '        + {}\n        + ")"\n    )\n'
    )
    repo, base, head = _change(tmp_path, {"add.py": call.format('"1"')}, {"add.py": call.format("str(x)")})
    assert ("add.py", 4, "sql-injection") in _found(repo, base, head)


def test_sql_built_on_an_added_line_and_run_on_an_unchanged_one_is_found(tmp_path: Path) -> None:
    before = 'function vote(req, con) {\n  var sql = "SELECT 1";\n  con.query(sql);\n}\n'
    after = (
        "function vote(req, con) {\n"
        '  var sql = "SELECT * FROM votes WHERE voter = \'" + req.body.voter + "\'";\n'
        "  con.query(sql);\n}\n"
    )
    repo, base, head = _change(tmp_path, {"vote.js": before}, {"vote.js": after})
    found = {(path, rule) for path, _, rule in _found(repo, base, head)}
    assert ("vote.js", "sql-injection") in found


def test_an_added_file_is_reviewed_in_a_repository_without_an_empty_file(tmp_path: Path) -> None:
    # git diffs two blobs only when both exist, and a history that never held an empty file has no
    # empty blob to diff an added file against: every added file was "not reviewed".
    added = {"new.py": AFTER, "no_newline.js": JS_AFTER.rstrip("\n"), "crlf.py": AFTER.replace("\n", "\r\n")}
    repo, base, head = _change(tmp_path, {}, added)
    empty_blob = subprocess.run(
        ["git", "cat-file", "-e", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"], cwd=repo, check=False
    )
    assert empty_blob.returncode != 0
    assert _found(repo, base, head) == {
        ("new.py", 2, "sql-injection"),
        ("no_newline.js", 2, "sql-injection"),
        ("crlf.py", 2, "sql-injection"),
        (PLAIN, 2, "sql-injection"),
    }


def test_an_added_or_emptied_file_has_nothing_to_review(tmp_path: Path) -> None:
    repo, base, head = _change(tmp_path, {"emptied.py": AFTER}, {"emptied.py": "", "empty.py": ""})
    assert _found(repo, base, head) == {(PLAIN, 2, "sql-injection")}
