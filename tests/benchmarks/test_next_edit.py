"""The next-edit benchmark (benchmarks/next_edit): cases from a git history, the scores, the runner."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from benchmarks.next_edit.cases import Case, Change, build_cases, classify, unchanged_spans
from benchmarks.next_edit.run import NextEditClient, score, summarize
from benchmarks.repo_eval.sources import Source

BEFORE = """def 统计(记录):
    总数 = 0
    for 条目 in 记录:
        总数 += 条目.总数
    return 总数


def 平均(记录, 单位):
    return 统计(记录) / len(记录) * 单位
"""
RENAMED = (
    BEFORE.replace("    总数 = 0", "    合计 = 0")
    .replace("        总数 +=", "        合计 +=")
    .replace("return 总数", "return 合计")
)
SIGNATURE = RENAMED.replace("def 统计(记录):", "def 统计(记录, 单位):").replace(
    "统计(记录) /", "统计(记录, 单位) /"
)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, str]:
    """A repository of our own: a file, its rename, a signature change, a one-line fix elsewhere."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    for message, files in (
        ("start", {"账.py": BEFORE, "工具.py": "单位 = 1\n"}),
        ("rename", {"账.py": RENAMED}),
        ("signature", {"账.py": SIGNATURE}),
        ("fix", {"工具.py": "单位 = 100\n"}),
    ):
        for name, text in files.items():
            (repo / name).write_text(text, encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", message)
    return repo / ".git", git(repo, "rev-parse", "HEAD")


def test_the_builder_finds_each_kind_in_a_history(history: tuple[Path, str]) -> None:
    git_dir, head = history
    cases = build_cases(Source("ours/ledger", head, "zh"), git_dir, per_kind=5, seed=0)
    kinds = {case.kind: case for case in cases}
    assert set(kinds) == {"rename", "signature", "isolated"}
    rename = kinds["rename"]
    first = BEFORE.index("总数")
    assert rename.old == BEFORE and rename.user_edit == Change(first, first + 2, "合计")
    assert [BEFORE[c.start : c.end] for c in rename.expected] == ["总数", "总数"]  # the attribute stays
    signature = kinds["signature"]
    assert signature.user_edit.new_text == ", 单位" and [c.new_text for c in signature.expected] == [", 单位"]
    assert kinds["isolated"].expected == ()


def test_an_identifier_that_is_no_variable_is_a_pattern_case() -> None:
    old = "def f(o):\n    return o.总数 + o.总数\n"
    new = old.replace("总数", "合计")
    classified = classify(old, new, only_file=True)
    assert classified is not None and classified[0] == "pattern"


def case_of(kind: str, old: str, new: str) -> Case:
    classified = classify(old, new, only_file=True)
    assert classified is not None and classified[0] == kind
    _, user_edit, expected = classified
    return Case("ours", "ours", "zh", kind, "dev", old, user_edit, expected, unchanged_spans(old, new))


def test_scores_count_matches_and_proposals_that_contradict_the_commit() -> None:
    case = case_of("rename", BEFORE, RENAMED)
    shift = 0  # same length names: offsets do not move
    right = [Change(c.start + shift, c.end + shift, "合计") for c in case.expected]
    assert score(case, right, 1.0).exact
    attribute = BEFORE.index("条目.总数") + 3
    wrong = [*right, Change(attribute, attribute + 2, "合计")]  # the commit kept the attribute
    record = score(case, wrong, 1.0)
    assert (record.matched, record.false, record.exact) == (2, 1, False)
    assert score(case, right[:1], 1.0).exact is False
    summary = summarize([score(case, right, 2.0), record])
    assert summary["dev"]["rename"]["exact"] == 1 and summary["dev"]["rename"]["false_proposals"] == 1


def test_the_real_server_proposes_the_commit_s_next_edits(tmp_path: Path) -> None:
    client = NextEditClient(tmp_path)
    try:
        for kind, new in (("rename", RENAMED), ("signature", SIGNATURE)):
            old = BEFORE if kind == "rename" else RENAMED
            case = case_of(kind, old, new)
            proposals, ms = client.propose(case)
            record = score(case, proposals, ms)
            assert record.exact, (kind, proposals)
    finally:
        client.close()
