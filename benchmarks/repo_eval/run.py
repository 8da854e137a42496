"""Run the sources of suggestions over the sampled holes and score them.

- "naive": the model's raw fill-in-the-middle prompt (the file around the cursor within the same token
  budget as daima's, no cross-file context), greedy, cut at the first newline; in this process.
- "daima": the real `daima serve` with the repository as its workspace, default options and deadline.
- "daima-unlimited": the same with `completion.maxTimeMs` 0 (no deadline).
- "daima-unlimited-no-reading": that with `completion.englishReading` off, on the repositories whose
  identifiers are Chinese (the reading changes nothing elsewhere): does the reading help real code?
- "daima-checks": daima's pipeline in this process on an index of the repository, without a deadline,
  as `daima complete` runs it: every candidate it generated and the rules that refused it are kept
  (`Record.refused`), so each rule's refusals are scored like suggestions (was the refused line what
  the author wrote? did it name something that exists nowhere?).
Each hole is scored on the first line of what it leaves at the cursor against the line the author wrote.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from daima.config import CompletionOptions

from ..lsp_stdio import Server, fill_hole
from .metrics import edit_similarity, exact, first_line, unknown_names
from .tasks import KINDS, RepoTask

SOURCES = ("naive", "daima", "daima-unlimited", "daima-unlimited-no-reading", "daima-checks")
SERVER_OPTIONS: dict[str, dict[str, Any]] = {
    "daima": {},
    "daima-unlimited": {"completion": {"maxTimeMs": 0}},
    "daima-unlimited-no-reading": {"completion": {"maxTimeMs": 0, "englishReading": False}},
}
ONLY_CHINESE = {"daima-unlimited-no-reading"}  # sources run on the repositories with Chinese identifiers
NAIVE_MAX_TOKENS = 48


@dataclass(frozen=True, kw_only=True)
class Record:
    source: str
    task_id: str
    identifiers: str
    kind: str
    expected: str
    suggestion: str  # the first line the suggestion leaves at the cursor
    full: str  # everything it inserts
    exact: bool
    edit_similarity: float
    unknown: list[str] = field(default_factory=list)  # names in the line that exist nowhere in the repository
    seconds: float = 0.0
    # daima-checks: the first candidate's line, and each refused candidate's {"rules", "line", "exact",
    # "unknown", "greedy"}.
    greedy: str = ""
    refused: list[dict[str, Any]] = field(default_factory=list)


def score(source: str, task: RepoTask, inserted: str, seconds: float, known: frozenset[str]) -> Record:
    line = first_line(inserted)
    typed = task.prefix[task.prefix.rfind("\n") + 1 :]  # the part of the line before the cursor
    unknown = unknown_names(typed + line, known) if line.strip() else []
    return Record(
        source=source, task_id=task.task_id, identifiers=task.identifiers, kind=task.kind,
        expected=task.expected, suggestion=line, full=inserted, exact=exact(line, task.expected),
        edit_similarity=round(edit_similarity(line, task.expected), 4), unknown=unknown,
        seconds=round(seconds, 3),
    )  # fmt: skip


def _tail_within(text: str, budget: int, count: Callable[[str], int], *, head: bool) -> str:
    """The longest run of whole lines at the end (or, with `head`, the start) of `text` within `budget`
    tokens; the line at the cursor is always kept."""
    lines = text.split("\n")
    order = lines if head else lines[::-1]
    kept: list[str] = []
    used = 0
    for line in order:
        used += count(line + "\n")
        if kept and used > budget:
            break
        kept.append(line)
    return "\n".join(kept if head else kept[::-1])


class NaiveCompleter:
    """The baseline: raw FIM on the same engine within daima's default prompt budget."""

    def __init__(self, engine: Any, options: CompletionOptions | None = None) -> None:
        from daima.completion.templates import match_template

        options = options or CompletionOptions()
        self.engine = engine
        self.template = match_template(engine.info)
        self.suffix_budget = int(options.prompt_tokens * options.suffix_share)
        self.prefix_budget = options.prompt_tokens - self.suffix_budget

    def complete(self, task: RepoTask) -> str:
        from daima.model.api import GenerationRequest

        count = lambda text: len(self.engine.tokenize(text))  # noqa: E731
        prefix = _tail_within(task.prefix, self.prefix_budget, count, head=False)
        suffix = _tail_within(task.suffix, self.suffix_budget, count, head=True)
        prompt = self.template.render(prefix=prefix, suffix=suffix)
        stop = (*self.template.stop, "\n")
        request = GenerationRequest(prompt=prompt, max_tokens=NAIVE_MAX_TOKENS, stop=stop)
        return self.engine.stream(request).text().split("\n", 1)[0]


class InProcessCompleter:
    """daima's pipeline in this process, with the repository `root` indexed as `daima complete` indexes
    a workspace, no deadline; `complete` also gives every candidate and the rules that refused it."""

    def __init__(self, root: Path, engine: Any) -> None:
        from daima.config import IndexOptions
        from daima.indexer.workspace import WorkspaceIndex

        self.root = root
        self.engine = engine
        self.index = WorkspaceIndex.open(root, IndexOptions(watch=False))
        self.index.index_all()

    def complete(self, task: RepoTask) -> tuple[str, list[tuple[str, tuple[str, ...]]]]:
        """(what the suggestion inserts, [(what each candidate would insert, the rules that refused it)])."""
        from daima.completion.pipeline import Tried, complete
        from daima.completion.syntax import language_for
        from daima.text import TextDocument

        path = self.root / task.path
        language = language_for("", path)
        text = task.prefix + task.suffix
        document = TextDocument(path.as_uri(), text, language_id=language)
        trace: list[Tried] = []
        suggestion = complete(
            document, len(task.prefix), engine=self.engine, index=self.index, path=path, language_id=language,
            options=CompletionOptions(max_time_ms=0), trace=trace,
        )  # fmt: skip
        tried = [(_inserted(task, t.text, t.start), t.rules) for t in trace]
        return (_inserted(task, suggestion.text, suggestion.start) if suggestion else ""), tried

    def close(self) -> None:
        self.index.close()


def _inserted(task: RepoTask, text: str, start: int) -> str:
    """What a completion that replaces the hole's document[start:cursor] leaves at the cursor."""
    document = task.prefix + task.suffix
    filled = document[:start] + text + document[len(task.prefix) :]
    return filled[len(task.prefix) : len(filled) - len(task.suffix)]


def score_checks(
    task: RepoTask,
    found: tuple[str, list[tuple[str, tuple[str, ...]]]],
    seconds: float,
    known: frozenset[str],
) -> Record:
    """A daima-checks record: the suggestion scored like any, and each refused candidate beside it."""
    inserted, tried = found
    record = score("daima-checks", task, inserted, seconds, known)
    typed = task.prefix[task.prefix.rfind("\n") + 1 :]
    refused = []
    for index, (candidate, rules) in enumerate(tried):
        if not rules:
            continue
        line = first_line(candidate)
        refused.append({
            "rules": list(rules), "line": line, "exact": exact(line, task.expected),
            "unknown": unknown_names(typed + line, known) if line.strip() else [], "greedy": index == 0,
        })  # fmt: skip
    greedy = first_line(tried[0][0]) if tried else ""
    return replace(record, greedy=greedy, refused=refused)


def rule_effects(records: Iterable[Record]) -> dict[str, Any]:
    """Per rule, over the daima-checks records: the candidates it refused, how many of them were the
    line the author wrote (a false alarm) and how many named something that exists nowhere; and how
    often the greedy candidate and the shown suggestion were exact."""
    rules: dict[str, dict[str, int]] = {}
    checked = [r for r in records if r.source == "daima-checks"]
    for record in checked:
        for refused in record.refused:
            for rule in refused["rules"]:
                row = rules.setdefault(rule, {"refused": 0, "was_exact": 0, "unknown_name": 0, "greedy": 0})
                row["refused"] += 1
                row["was_exact"] += bool(refused["exact"])
                row["unknown_name"] += bool(refused["unknown"])
                row["greedy"] += bool(refused["greedy"])
    count = max(1, len(checked))
    return {
        "tasks": len(checked),
        "greedy_exact": round(100 * sum(exact(r.greedy, r.expected) for r in checked) / count, 1),
        "shown_exact": round(100 * sum(r.exact for r in checked) / count, 1),
        "rules": dict(sorted(rules.items())),
    }


class ServerCompleter:
    """The real server with `root` as its workspace; each hole is opened as its file, asked for as
    typing asks, and closed."""

    def __init__(self, root: Path, model: str, device: str, options: dict[str, Any]) -> None:
        self.root = root
        self.server = Server(root)
        try:
            merged = {**options, "model": {"name": model, "device": device}}
            self.server.initialize(root, merged, {"window": {"workDoneProgress": True}})
            self.status = self.server.wait_for_model()
            if self.status.get("state") != "ready":
                raise RuntimeError(f"the server's model is not ready: {self.status}")
            if not self.server.wait_for_index():
                raise RuntimeError("the server's index did not finish")
        except Exception:
            self.close()
            raise

    def complete(self, task: RepoTask) -> str:
        return fill_hole(self.server, (self.root / task.path).as_uri(), task.prefix, task.suffix)

    def close(self) -> None:
        self.server.close()


def timed(complete: Callable[[RepoTask], str], task: RepoTask) -> tuple[str, float]:
    began = time.monotonic()
    inserted = complete(task)
    return inserted, time.monotonic() - began


def summarize(records: Iterable[Record]) -> dict[str, Any]:
    """Per source: overall, by the repositories' identifiers (zh/en) and by cursor kind."""
    groups: dict[str, dict[str, list[Record]]] = {}
    for record in records:
        by = groups.setdefault(record.source, {})
        for key in ("all", record.identifiers, record.kind):
            by.setdefault(key, []).append(record)
    order = ("all", "zh", "en", *KINDS)
    return {source: {key: _row(by[key]) for key in order if key in by} for source, by in groups.items()}


def _row(items: list[Record]) -> dict[str, float]:
    answered = [r for r in items if r.suggestion.strip()]
    return {
        "tasks": len(items),
        "exact_match": round(100 * sum(r.exact for r in items) / len(items), 1),
        "edit_similarity": round(100 * statistics.fmean(r.edit_similarity for r in items), 1),
        "unknown_name": round(100 * sum(bool(r.unknown) for r in answered) / max(1, len(answered)), 1),
        "empty": round(100 * (len(items) - len(answered)) / len(items), 1),
        "p50_seconds": round(statistics.median(r.seconds for r in items), 2),
        "mean_seconds": round(statistics.fmean(r.seconds for r in items), 2),
    }


def format_summary(summary: dict[str, Any]) -> str:
    lines = [f"{'source':16} {'group':11} {'tasks':>5} {'exact':>6} {'edit sim':>8} {'unknown':>7} "
             f"{'empty':>6} {'p50 s':>6}"]  # fmt: skip
    for source, rows in summary.items():
        for group, row in rows.items():
            lines.append(
                f"{source:16} {group:11} {row['tasks']:5d} {row['exact_match']:5.1f}% "
                f"{row['edit_similarity']:7.1f}% {row['unknown_name']:6.1f}% {row['empty']:5.1f}% "
                f"{row['p50_seconds']:6.2f}"
            )
    return "\n".join(lines)


def as_json(record: Record) -> dict[str, Any]:
    return asdict(record)
