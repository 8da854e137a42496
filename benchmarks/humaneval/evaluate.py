"""daima's pipeline against a naive FIM baseline on HumanEval single-line infilling.

Both completion sources run on the same engine and the same seeded sample of tasks in the same run, in
English and in the Chinese-identifier variant (chinese.py), so the differences are measurements. Every
completion is spliced into its program and run against the problem's tests in a subprocess (pass@1 with
greedy decoding) and compared with the masked line (exact match). One JSONL record per completion.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from daima.completion.pipeline import Suggestion, Tried, complete
from daima.completion.templates import match_template
from daima.config import CompletionOptions
from daima.model.api import Engine, GenerationRequest
from daima.text import TextDocument

from .chinese import chinese_problem
from .split import split_of
from .tasks import Problem, Task, line_tasks, load_problems, run_tests, with_problem

SOURCES = ("naive", "daima")
VARIANTS = ("en", "zh")


@dataclass(frozen=True, kw_only=True)
class EvalConfig:
    """What one eval run does."""

    size: int = 40  # tasks in the seeded sample (each runs per source and variant)
    seed: int = 0
    split: str = "heldout"  # "dev", "heldout" or "all" (split.py)
    max_tokens: int = 48
    test_timeout_s: float = 10.0
    variants: tuple[str, ...] = VARIANTS
    sources: tuple[str, ...] = SOURCES
    extra_candidates: int = 2  # daima's completion.extraCandidates during the run
    max_time_ms: int = 0  # daima's deadline per suggestion (0: none)


@dataclass(frozen=True, kw_only=True)
class Record:
    """One completion of one task by one source, and how it fared."""

    variant: str
    source: str
    task_id: str
    expected: str
    completion: str
    exact: bool
    passed: bool
    reason: str
    seconds: float
    candidates: int = 1
    notes: tuple[str, ...] = ()  # what daima's checks did (Suggestion.notes)
    # daima's first (greedy) candidate, as the line it would leave, and whether that line passes: what
    # the checks and the candidates after it changed.
    greedy: str = ""
    greedy_passed: bool | None = None
    # Each candidate the rules refused: {"rules", "completion", "passed" (would it have passed?),
    # "greedy" (it was the first candidate)}.
    refused: tuple[dict[str, Any], ...] = ()
    # How the server's generation ended ("deadline": the deadline cut it; "" when the server reported
    # none, as when every candidate was refused). Server source only.
    finish: str = ""


def sample_tasks(problems: list[Problem], size: int, seed: int, split: str = "all") -> list[Task]:
    """A seeded sample of single-line tasks over the problems of one half, or of all of them (every task
    when `size` is 0 or too big)."""
    chosen = [p for p in problems if split == "all" or split_of(p.task_id) == split]
    tasks = [task for problem in chosen for task in line_tasks(problem)]
    if 0 < size < len(tasks):
        tasks = random.Random(seed).sample(tasks, size)
    return tasks


def naive_completion(engine: Engine, task: Task, max_tokens: int) -> str:
    """The baseline: the raw FIM prompt of the model's family, greedy, cut at the first newline."""
    template = match_template(engine.info)
    prompt = template.render(prefix=task.prefix, suffix=task.suffix)
    request = GenerationRequest(prompt=prompt, max_tokens=max_tokens, stop=(*template.stop, "\n"))
    return engine.stream(request).text().split("\n", 1)[0]


def daima_completion(
    engine: Engine, task: Task, options: CompletionOptions, trace: list[Tried] | None = None
) -> Suggestion | None:
    """daima's pipeline at the hole, as an editor would call it (`trace`: gets every candidate)."""
    text = task.prefix + task.suffix
    document = TextDocument("file:///humaneval.py", text, language_id="python")
    suggestion = complete(
        document,
        len(task.prefix),
        engine=engine,
        options=options,
        path=Path("humaneval.py"),
        language_id="python",
        trace=trace,
    )
    return suggestion


def line_left(task: Task, text: str, start: int) -> str:
    """The line a completion that replaces the hole's text[start:cursor] leaves at the hole."""
    document = task.prefix + task.suffix
    filled = document[:start] + text + document[len(task.prefix) :]
    return filled[len(task.prefix) : len(filled) - len(task.suffix)]


def evaluate(
    engine: Engine | None,
    config: EvalConfig,
    *,
    records: TextIO | None = None,
    progress: Callable[[Record], None] | None = None,
    problems: list[Problem] | None = None,
    server: Any = None,
) -> dict[str, Any]:
    """Run every source on every variant of the sampled tasks; returns the summary (records → JSONL).

    Sources: "naive" and "daima" run in this process on `engine`; "server" asks `server` (a
    `over_server.ServerCompleter`: the real server with default options)."""
    problems = problems if problems is not None else load_problems()
    tasks = sample_tasks(problems, config.size, config.seed, config.split)
    renamed: dict[str, Problem] = {}
    options = CompletionOptions(
        max_tokens=config.max_tokens,
        max_lines=1,
        max_time_ms=config.max_time_ms,
        extra_candidates=config.extra_candidates,
    )
    results: list[Record] = []
    started = time.monotonic()
    for task in tasks:
        for variant in config.variants:
            if variant == "zh":
                problem = task.problem
                if problem.task_id not in renamed:
                    renamed[problem.task_id] = chinese_problem(problem)[0]
                hole = with_problem(task, renamed[problem.task_id])
            else:
                hole = task
            for source in config.sources:
                record = _run_one(engine, hole, variant, source, options, config, server)
                results.append(record)
                if records is not None:
                    records.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
                    records.flush()
                if progress is not None:
                    progress(record)
    summary = summarize(results)
    summary["config"] = asdict(config)
    summary["tasks"] = len(tasks)
    summary["seconds"] = round(time.monotonic() - started, 1)
    if engine is not None:
        summary["model"] = engine.info.name
        summary["device"] = engine.info.device
    if server is not None:
        summary["server_status"] = server.status
    return summary


def _run_one(
    engine: Engine | None,
    task: Task,
    variant: str,
    source: str,
    options: CompletionOptions,
    config: EvalConfig,
    server: Any = None,
) -> Record:
    began = time.monotonic()
    candidates = 1
    notes: tuple[str, ...] = ()
    tried: list[Tried] = []
    finish = ""
    if source == "server":
        line = server.complete(task)
        finish = str(server.last_stats.get("finishReason", ""))
    elif engine is None:
        raise ValueError(f"source {source!r} needs an engine in this process")
    elif source == "naive":
        line = naive_completion(engine, task, config.max_tokens)
    else:
        suggestion = daima_completion(engine, task, options, tried)
        line = line_left(task, suggestion.text, suggestion.start) if suggestion is not None else ""
        if suggestion is not None:
            candidates, notes = suggestion.candidates, suggestion.notes
    seconds = time.monotonic() - began

    def passes(line: str) -> bool:
        return run_tests(task.prefix + line + task.suffix, task.problem, timeout=config.test_timeout_s)[0]

    passed, reason = run_tests(task.prefix + line + task.suffix, task.problem, timeout=config.test_timeout_s)
    lines = [line_left(task, t.text, t.start) for t in tried]
    greedy = lines[0] if lines else ""
    refused = tuple(
        {
            "rules": list(t.rules),
            "completion": text,
            "passed": passed if text == line else passes(text),
            "greedy": index == 0,
        }
        for index, (t, text) in enumerate(zip(tried, lines, strict=True))
        if t.rules
    )
    return Record(
        variant=variant,
        source=source,
        task_id=task.task_id,
        expected=task.expected,
        completion=line,
        exact=line.strip() == task.expected.strip(),
        passed=passed,
        reason=reason,
        seconds=round(seconds, 2),
        candidates=candidates,
        notes=notes,
        greedy=greedy,
        greedy_passed=(passed if greedy == line else passes(greedy)) if lines else None,
        refused=refused,
        finish=finish,
    )


def summarize(records: Iterable[Record]) -> dict[str, Any]:
    """Exact match and pass@1 (percent) per variant and source."""
    table: dict[str, dict[str, dict[str, Any]]] = {}
    groups: dict[tuple[str, str], list[Record]] = {}
    for record in records:
        groups.setdefault((record.variant, record.source), []).append(record)
    for (variant, source), items in sorted(groups.items()):
        count = len(items)
        table.setdefault(variant, {})[source] = {
            "tasks": count,
            "exact_match": round(100 * sum(r.exact for r in items) / count, 1),
            "pass_at_1": round(100 * sum(r.passed for r in items) / count, 1),
            "empty": round(100 * sum(not r.completion.strip() for r in items) / count, 1),
            "mean_seconds": round(sum(r.seconds for r in items) / count, 2),
        }
        if source == "server":  # whether the answer came whole within the server's deadline
            cut = sum(r.finish == "deadline" for r in items)
            table[variant][source]["cut_by_deadline"] = round(100 * cut / count, 1)
        if source == "daima":  # what the checks and the candidates after the greedy one changed
            greedy = sum(bool(r.greedy_passed) for r in items)
            table[variant][source]["greedy_pass_at_1"] = round(100 * greedy / count, 1)
            table[variant][source]["rules"] = rule_effects(items)
    return {"results": table}


def rule_effects(records: Sequence[Record]) -> dict[str, dict[str, int]]:
    """Per rule: how many candidates it refused, how many of those would have failed the tests (right
    to refuse) and how many would have passed (a false alarm), and the tasks where a candidate it
    refused was the greedy one."""
    effects: dict[str, dict[str, int]] = {}
    for record in records:
        for refused in record.refused:
            for rule in refused["rules"]:
                row = effects.setdefault(rule, {"refused": 0, "would_fail": 0, "would_pass": 0, "greedy": 0})
                row["refused"] += 1
                row["would_pass" if refused["passed"] else "would_fail"] += 1
                row["greedy"] += bool(refused["greedy"])
    return dict(sorted(effects.items()))


def format_summary(summary: dict[str, Any]) -> str:
    """The side-by-side table the eval prints."""
    split = summary.get("config", {}).get("split", "?")
    lines = [
        f"model {summary.get('model') or summary.get('server_status', {}).get('model', '?')} on "
        f"{summary.get('device') or summary.get('server_status', {}).get('device', '?')}, "
        f"{summary.get('tasks', 0)} tasks of the {split} split"
    ]
    lines.append(f"{'variant':8} {'source':7} {'pass@1':>7} {'exact':>7} {'empty':>7} {'s/task':>7}")
    for variant, sources in summary["results"].items():
        for source, row in sources.items():
            scores = (
                f"{row['pass_at_1']:6.1f}% {row['exact_match']:6.1f}% {row.get('empty', 0.0):6.1f}% "
                f"{row['mean_seconds']:7.2f}"
            )
            lines.append(f"{variant:8} {source:7} {scores}")
    for variant, sources in summary["results"].items():
        row = sources.get("daima", {})
        if "greedy_pass_at_1" not in row:
            continue
        lines.append(
            f"{variant}: the greedy candidate passed {row['greedy_pass_at_1']:.1f}%, "
            f"the shown one {row['pass_at_1']:.1f}%"
        )
        for rule, effect in row["rules"].items():
            lines.append(
                f"  {rule:20} refused {effect['refused']:3} (would fail {effect['would_fail']}, "
                f"would pass {effect['would_pass']}; greedy {effect['greedy']})"
            )
    return "\n".join(lines)


def with_options(config: EvalConfig, **changes: Any) -> EvalConfig:
    """A copy of `config` with some fields changed (CLI flags)."""
    return replace(config, **{k: v for k, v in changes.items() if v is not None})
