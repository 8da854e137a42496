"""The diff is data: paths outside the repository are never read and nothing from the change runs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from review_repos import commit_all, git, init_repo, write_tree

from daima.review.diff import inside_repo, safe_relpath
from daima.review.formats import render
from daima.review.runner import run_review

_OPENED: list[str] | None = None


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], str | Path):
        _OPENED.append(str(args[0]))


sys.addaudithook(_audit)  # audit hooks cannot be removed; it records only while _OPENED is a list


def test_committed_symlinks_to_outside_files_are_not_followed(tmp_path: Path) -> None:
    global _OPENED
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text('password = "TopSecret-outside-42"\neval(data)\n', encoding="utf-8")
    repo = init_repo(tmp_path / "repo")
    write_tree(repo, {"ok.py": "x = 1\n"})
    base = commit_all(repo, "base")
    (repo / "leak.py").symlink_to(outside / "secret.py")
    (repo / "leakdir").symlink_to(outside, target_is_directory=True)
    write_tree(repo, {"ok.py": "x = 1\neval(user_input)\n"})
    head = commit_all(repo, "head")
    _OPENED = []
    try:
        result = run_review(repo, base, head)
    finally:
        opened, _OPENED = _OPENED, None
    # The link is named like code, so it is reported as not reviewed; nothing of its target is read.
    assert [(f.path, f.line, f.rule_id) for f in result.findings] == [
        ("leak.py", 1, "not-reviewed"),
        ("ok.py", 2, "code-injection"),
    ]
    assert result.texts["leak.py"] == "" and set(result.texts) == {"ok.py", "leak.py"}
    for format_name in ("text", "github", "sarif", "rdjsonl"):
        assert "TopSecret" not in render(result, format_name)
    assert not [p for p in opened if str(outside) in p]


def test_paths_that_leave_the_repository_are_refused(tmp_path: Path) -> None:
    assert safe_relpath("src/a.py") == "src/a.py"
    for bad in ("../etc/passwd", "/etc/passwd", "a/../../b.py", "a\\..\\b.py", ""):
        assert safe_relpath(bad) is None
    repo = init_repo(tmp_path / "repo")
    (repo / "link").symlink_to(tmp_path)
    assert inside_repo(repo, "link/x.py") is None
    assert inside_repo(repo, "src/x.py") == (repo / "src" / "x.py").resolve()


def test_nothing_from_the_repository_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    repo = init_repo(tmp_path / "repo")
    # Hostile repository configuration: an external diff, a textconv filter, an fsmonitor hook.
    git(repo, "config", "diff.external", f"touch {marker}.external #")
    git(repo, "config", "diff.evil.textconv", f"touch {marker}.textconv #")
    git(repo, "config", "diff.evil.command", f"touch {marker}.command #")
    git(repo, "config", "core.fsmonitor", f"touch {marker}.fsmonitor #")
    write_tree(repo, {".gitattributes": "*.py diff=evil\n", "a.py": "x = 1\n"})
    base = commit_all(repo, "base")
    write_tree(repo, {
        "a.py": f"x = 1\nopen({str(marker)!r} + '.imported', 'w').close()\neval(data)\n",
        "conftest.py": f"open({str(marker)!r} + '.conftest', 'w').close()\n",
        "setup.py": f"open({str(marker)!r} + '.setup', 'w').close()\n",
    })  # fmt: skip
    head = commit_all(repo, "head")
    for leftover in tmp_path.glob("ran.*"):
        leftover.unlink()  # the commits above ran git with this config too; only the review counts
    result = run_review(repo, base, head)
    assert ("a.py", 3, "code-injection") in [(f.path, f.line, f.rule_id) for f in result.findings]
    assert sorted(p.name for p in tmp_path.glob("ran*")) == []


def test_options_in_revisions_are_refused(tmp_path: Path) -> None:
    from daima.review.diff import GitError

    repo = init_repo(tmp_path / "repo")
    write_tree(repo, {"a.py": "x = 1\n"})
    commit_all(repo, "base")
    with pytest.raises(GitError):
        run_review(repo, "--output=/tmp/daima-should-not-exist", "HEAD")
    assert json.loads(render(run_review(repo, "HEAD", "HEAD"), "github"))["comments"] == []
