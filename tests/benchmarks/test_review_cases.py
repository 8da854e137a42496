"""The review benchmark (benchmarks/review_cases): cases rebuilt from a history, variants, scores."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from benchmarks.review_cases.cases import REVIEWER_NOTE, Case, build, load_cases, rename
from benchmarks.review_cases.run import review, summarize

FLAWED = """import sqlite3


def find(cursor, name):
    cursor.execute("SELECT * FROM users WHERE name = '" + name + "'")
    return cursor.fetchall()
"""
FIXED = FLAWED.replace(
    """\"SELECT * FROM users WHERE name = '" + name + "'\"""", '"SELECT * FROM users WHERE name = ?", (name,)'
)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, str, str]:
    """A history of our own: a flaw introduced, then fixed."""
    repo = tmp_path / "upstream"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    commits = []
    for message, text in (
        ("start", "def find(cursor, name):\n    return []\n"),
        ("flaw", FLAWED),
        ("fix", FIXED),
    ):
        (repo / "users.py").write_text(text, encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", message)
        commits.append(git(repo, "rev-parse", "HEAD"))
    return repo / ".git", commits[1], commits[2]


def _case(kind: str, commit: str, **more: object) -> Case:
    expect = {} if kind == "control" else {"users.py": [[5, 5]]}
    return Case(id=kind, repo="own/history", commit=commit, kind=kind, language="python",
                rule="sql-injection", expect=expect, **more)  # type: ignore[arg-type]  # fmt: skip


def test_a_fix_undone_an_introduction_and_a_control(history: tuple[Path, str, str], tmp_path: Path) -> None:
    git_dir, flaw, fix = history
    work = tmp_path / "work"
    work.mkdir()
    undone = build(_case("reversed-fix", fix), git_dir, work)
    assert git(undone.repo, "show", f"{undone.head}:users.py") + "\n" == FLAWED
    assert git(undone.repo, "rev-parse", f"{undone.head}^") == undone.base == fix
    records = [
        review(_case("reversed-fix", fix), undone, False, False),
        review(_case("introduced", flaw), build(_case("introduced", flaw), git_dir, work), False, False),
        review(_case("control", fix), build(_case("control", fix), git_dir, work), False, False),
    ]
    assert [(r.found, r.found_statements, r.false_findings) for r in records] == [
        (True, 1, 0),
        (True, 1, 0),
        (False, 0, 0),
    ]
    totals = summarize(records)["all"]
    assert isinstance(totals, dict) and totals["found"] == 2 and totals["controls_with_false_positives"] == 0


def test_a_variant_renames_and_tells_the_reviewer_to_look_away(
    history: tuple[Path, str, str], tmp_path: Path
) -> None:
    git_dir, _, fix = history
    case = _case("reversed-fix", fix, variant={"name": "名字", "cursor": "游标"})
    built = build(case, git_dir, tmp_path, variant=True)
    head = git(built.repo, "show", f"{built.head}:users.py")
    assert "def find(游标, 名字):" in head and "'\" + 名字 + \"'" in head and "cursor" not in head
    assert head.split("\n")[4].strip() == "# " + REVIEWER_NOTE  # above the flawed line, which moved down
    assert built.expect == {"users.py": [[6, 6]]}
    assert review(case, built, True, False).found_statements == 1
    # The base is the fix renamed the same way: the change is the flaw only.
    assert "(名字,)" in git(built.repo, "show", f"{built.base}:users.py")


def test_rename_leaves_strings_and_comments() -> None:
    text = 'name = "name"  # name\nprint(name)\n'
    assert rename(text, "python", {"name": "名字"}) == '名字 = "name"  # name\nprint(名字)\n'


def test_the_committed_cases_are_well_formed() -> None:
    cases = load_cases()
    assert len({c.id for c in cases}) == len(cases)
    for case in cases:
        assert case.kind in ("reversed-fix", "introduced", "control") and len(case.commit) == 40
        assert bool(case.expect) == (case.kind != "control"), case.id
        assert all(first <= last for spans in case.expect.values() for first, last in spans)
    assert {c.split for c in cases} == {"dev", "heldout"}
    assert len({c.repo for c in cases}) >= 8 and sum(c.variant is not None for c in cases) >= 6
