"""The real-code eval (benchmarks/repo_eval): bringing sources, the sampler, the scores, the runner."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

from benchmarks.repo_eval.metrics import edit_similarity, first_line, repository_words, unknown_names
from benchmarks.repo_eval.run import (
    SERVER_OPTIONS,
    InProcessCompleter,
    NaiveCompleter,
    ServerCompleter,
    rule_effects,
    score,
    score_checks,
    summarize,
)
from benchmarks.repo_eval.sources import Source, SourceUnavailable, bring, load_sources
from benchmarks.repo_eval.tasks import KINDS, file_tasks, sample_tasks, split_of

LEDGER = """from 账本.工具 import 合计


class 账户:
    def __init__(self, 名称):
        self.名称 = 名称
        self.流水 = []

    def 记一笔(self, 金额, 说明=""):
        self.流水.append((金额, 说明))  # 记下
        print("done")
        return 合计(self.流水)


def 打印账户(账户对象):
    总额 = 合计(账户对象.流水)
    print(账户对象.名称, 总额)


打印账户(账户("现金"))
"""
TOOLS = """def 合计(流水):
    return sum(金额 for 金额, _ in 流水)
"""
ZH = Source(repo="example/ledger", commit="0" * 40, identifiers="zh", script="simplified")


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    tree = tmp_path / "ledger"
    (tree / "账本").mkdir(parents=True)
    (tree / "账本" / "记账.py").write_text(LEDGER, "utf-8")
    (tree / "账本" / "工具.py").write_text(TOOLS, "utf-8")
    (tree / ".git").mkdir()
    return tree


def test_holes_of_each_kind_are_the_rest_of_a_line(ledger: Path) -> None:
    path = ledger / "账本" / "记账.py"
    tasks = file_tasks(ZH, ledger, path, random.Random(0))
    assert {t.kind for t in tasks} == set(KINDS)
    for task in tasks:
        assert task.path == "账本/记账.py" and task.task_id.startswith("example/ledger:账本/记账.py:")
        assert LEDGER.startswith(task.prefix + task.expected)
        assert LEDGER.endswith(task.suffix) and task.suffix.startswith("\n")
    expected = {t.expected for t in tasks if t.kind == "line_start"}
    # Code with Chinese names: only lines that read or write one; a trailing comment is not expected.
    assert expected == {
        "self.名称 = 名称",
        "self.流水 = []",
        "self.流水.append((金额, 说明))",
        "return 合计(self.流水)",
        "总额 = 合计(账户对象.流水)",
        "print(账户对象.名称, 总额)",
    }
    # Typing order: the rest of 记一笔 is gone, the file goes on after it.
    typing = next(t for t in tasks if t.kind == "typing" and t.expected == "self.流水.append((金额, 说明))")
    end_of_function = LEDGER.index("return 合计(self.流水)") + len("return 合计(self.流水)")
    assert typing.suffix == LEDGER[end_of_function:]
    assert typing.suffix.startswith("\n\n\ndef 打印账户")
    for task in (t for t in tasks if t.kind == "mid_line"):
        typed = task.prefix[task.prefix.rfind("\n") + 1 :].strip()
        assert typed and task.expected and (typed + task.expected) in {t.expected for t in tasks}


def test_the_sample_is_seeded_and_a_file_is_on_one_side(ledger: Path) -> None:
    both = sample_tasks([(ZH, ledger)], 50, 7, "all")
    assert [t.task_id for t in both] == [t.task_id for t in sample_tasks([(ZH, ledger)], 50, 7, "all")]
    halves = {t.task_id for split in ("dev", "heldout") for t in sample_tasks([(ZH, ledger)], 50, 7, split)}
    assert halves == {t.task_id for t in both}
    for task in both:
        assert split_of(ZH.repo, task.path) in ("dev", "heldout")
    assert len(sample_tasks([(ZH, ledger)], 1, 7, "all")) == len(KINDS)


def test_scores() -> None:
    assert edit_similarity("return 合计(x)", "return 合计(x)") == 1.0
    assert edit_similarity("", "return x") == 0.0
    assert 0.5 < edit_similarity("return 合计(y)", "return 合计(x)") < 1.0
    assert first_line("a = 1\nb = 2") == "a = 1"
    known = frozenset({"合计", "流水", "self"})
    assert unknown_names("total = 合计(self.流水)  # 合计 total_price", known) == ["total"]
    assert unknown_names("print('题目', len(流水))", known) == []
    assert unknown_names("return 合计(", known) == []  # an unfinished line is still read


def test_repository_words_and_score(ledger: Path) -> None:
    known = repository_words(ledger)
    assert {"合计", "账户对象", "流水"} <= known
    task = next(t for t in file_tasks(ZH, ledger, ledger / "账本" / "记账.py", random.Random(0))
                if t.kind == "mid_line" and t.expected.endswith("(self.流水)"))  # fmt: skip
    record = score("naive", task, task.expected + "\n    more", 0.1, known)
    assert record.exact and record.edit_similarity == 1.0 and record.unknown == []
    alias = score("daima", task, "total(self.流水)", 0.2, known)
    assert not alias.exact and alias.unknown
    table = summarize([record, alias])
    assert table["naive"]["all"]["exact_match"] == 100.0 and table["daima"]["zh"]["unknown_name"] == 100.0


def test_each_rule_s_refusals_are_scored_like_suggestions(ledger: Path) -> None:
    """A refused candidate that was the author's line counts as a false alarm of its rules; one that
    names something that exists nowhere, as a right refusal."""
    known = repository_words(ledger)
    task = next(t for t in file_tasks(ZH, ledger, ledger / "账本" / "记账.py", random.Random(0))
                if t.kind == "mid_line" and t.expected.endswith("(self.流水)"))  # fmt: skip
    tried = [
        ("total(self.流水)", ("unresolved-name",)),
        (task.expected, ("dead-store",)),
        (task.expected, ()),
    ]
    record = score_checks(task, (task.expected, tried), 0.1, known)
    assert record.exact and record.greedy == "total(self.流水)"
    effects = rule_effects([record])
    assert effects["greedy_exact"] == 0.0 and effects["shown_exact"] == 100.0
    assert effects["rules"] == {
        "dead-store": {"refused": 1, "was_exact": 1, "unknown_name": 0, "greedy": 0},
        "unresolved-name": {"refused": 1, "was_exact": 0, "unknown_name": 1, "greedy": 1},
    }


def test_the_in_process_source_keeps_every_candidate(ledger: Path, tiny_engine: Any) -> None:
    task = next(t for t in file_tasks(ZH, ledger, ledger / "账本" / "记账.py", random.Random(0))
                if t.kind == "line_start")  # fmt: skip
    completer = InProcessCompleter(ledger, tiny_engine)
    try:
        inserted, tried = completer.complete(task)
    finally:
        completer.close()
    assert tried and all(isinstance(rules, tuple) for _, rules in tried)
    assert not inserted or any(inserted.strip() == candidate.strip() for candidate, _ in tried)


def test_a_source_is_brought_from_a_mirror_without_links(tmp_path: Path, ledger: Path) -> None:
    work = tmp_path / "work"
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    (work / "账本").mkdir()
    (work / "账本" / "记账.py").write_text(LEDGER, "utf-8")
    (work / "outside").symlink_to("/etc/passwd")
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    mirrors = tmp_path / "mirrors"
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(work), str(mirrors / "example+ledger" / "repo")], check=True
    )
    source = Source(repo="example/ledger", commit=commit, identifiers="zh")
    tree = bring(source, [mirrors], cache=tmp_path / "cache")
    assert (tree / "账本" / "记账.py").read_text("utf-8") == LEDGER
    assert not (tree / "outside").exists() and (tree / ".git").is_dir()
    assert bring(source, [], cache=tmp_path / "cache") == tree  # extracted once
    with pytest.raises(SourceUnavailable):
        missing = Source(repo="example/ledger", commit="1" * 40, identifiers="zh")
        bring(missing, [mirrors], cache=tmp_path / "cache", network=False)


def test_the_committed_sources_are_identities_only() -> None:
    sources = load_sources()
    assert len({s.repo.split("/")[0] for s in sources}) >= 4  # several authors
    assert sum(s.identifiers == "zh" for s in sources) * 2 >= len(sources)
    assert all(len(s.commit) == 40 for s in sources)


def test_naive_and_the_real_server(tiny_engine: Any, ledger: Path, tmp_path: Path) -> None:
    from daima.model.testing import tiny_model_dir

    tasks = sample_tasks([(ZH, ledger)], 1, 0, "all")
    known = repository_words(ledger)
    naive = NaiveCompleter(tiny_engine)
    records = [score("naive", t, naive.complete(t), 0.0, known) for t in tasks]
    server = ServerCompleter(ledger, str(tiny_model_dir(tmp_path / "tiny")), "cpu", SERVER_OPTIONS["daima"])
    try:
        assert server.status["state"] == "ready"
        records += [score("daima", t, server.complete(t), 0.0, known) for t in tasks]
    finally:
        server.close()
    assert all(isinstance(r.suggestion, str) and "\n" not in r.suggestion for r in records)
    assert set(summarize(records)) == {"naive", "daima"}
