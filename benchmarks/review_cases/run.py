"""Scoring one review case: which vulnerable statements the review reported, which findings are false.

Only the injection rules count (SQL, shell, code): the cases are about them. A flawed case is *found*
when the review reports at least one of its statements; a control's injection findings are false
positives. `bandit`, when it is installed, runs on the same head files (Python cases) as a baseline
measured in the same run.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field

from daima.review.checks import INJECTION_RULES
from daima.review.findings import NOT_REVIEWED_RULE_ID
from daima.review.runner import run_review

from .cases import Built, Case

# bandit's tests for the same flaws: SQL built from strings, a shell with non-constant input, eval/exec.
BANDIT_TESTS = {
    "sql-injection": {"B608"},
    "shell-injection": {"B602", "B604", "B605", "B609"},
    "code-injection": {"B102", "B307"},
}


@dataclass
class Record:
    case_id: str
    kind: str
    split: str
    language: str
    variant: bool
    statements: int
    found_statements: int
    found: bool
    false_findings: int  # injection findings on no expected statement (on a control: all of them)
    not_reviewed: int
    bandit: dict[str, int] | None = None  # found_statements, false_findings (Python only)
    findings: list[list[object]] = field(default_factory=list)  # [path, line, rule] of injection findings


def _within(spans: dict[str, list[list[int]]], path: str, line: int) -> list[int] | None:
    for span in spans.get(path, []):
        if span[0] <= line <= span[1]:
            return span
    return None


def _score(found: list[tuple[str, int]], spans: dict[str, list[list[int]]]) -> tuple[int, int]:
    hit, false = set(), 0
    for path, line in found:
        span = _within(spans, path, line)
        if span is None:
            false += 1
        else:
            hit.add((path, span[0]))
    return len(hit), false


def review(case: Case, built: Built, variant: bool, with_bandit: bool) -> Record:
    result = run_review(built.repo, built.base, built.head)
    injections = [f for f in result.findings if f.rule_id in INJECTION_RULES]
    hit, false = _score([(f.path, f.line) for f in injections], built.expect)
    statements = sum(len(spans) for spans in built.expect.values())
    record = Record(
        case_id=case.id + (" (variant)" if variant else ""),
        kind=case.kind,
        split=case.split,
        language=case.language,
        variant=variant,
        statements=statements,
        found_statements=hit,
        found=hit > 0,
        false_findings=false,
        not_reviewed=sum(1 for f in result.findings if f.rule_id == NOT_REVIEWED_RULE_ID),
        findings=[[f.path, f.line, f.rule_id] for f in injections],
    )
    if with_bandit and case.language == "python":
        found, false = _bandit(case, built, result.added_lines)
        record.bandit = {"found_statements": found, "false_findings": false}
    return record


def _bandit(case: Case, built: Built, added: dict[str, set[int]]) -> tuple[int, int]:
    """bandit on the head's changed Python files, its findings kept on the change's added lines."""
    tests = set().union(*BANDIT_TESTS.values())
    found: list[tuple[str, int]] = []
    for path, lines in added.items():
        if not path.endswith(".py"):
            continue
        text = subprocess.run(["git", "-C", str(built.repo), "show", f"{built.head}:{path}"],
                              capture_output=True, check=True).stdout  # fmt: skip
        target = built.repo / "bandit-input.py"
        target.write_bytes(text)
        done = subprocess.run([sys.executable, "-m", "bandit", "-q", "-f", "json", str(target)],
                              capture_output=True, text=True)  # fmt: skip
        target.unlink()
        for issue in json.loads(done.stdout or "{}").get("results", []):
            rows = issue.get("line_range") or [issue["line_number"]]
            if issue["test_id"] in tests and any(row in lines for row in rows):
                found.append((path, issue["line_number"]))
    return _score(found, built.expect)


def bandit_available() -> bool:
    return importlib.util.find_spec("bandit") is not None


def summarize(records: list[Record]) -> dict[str, object]:
    """Figures per split (and all): cases found, statements found, false positives on controls."""
    out: dict[str, object] = {}
    for split in ("dev", "heldout", "all"):
        chosen = [r for r in records if split == "all" or r.split == split]
        flawed = [r for r in chosen if r.kind != "control"]
        controls = [r for r in chosen if r.kind == "control"]
        summary: dict[str, object] = {
            "flawed_cases": len(flawed),
            "found": sum(r.found for r in flawed),
            "found_rate": round(sum(r.found for r in flawed) / len(flawed), 3) if flawed else None,
            "statements": sum(r.statements for r in flawed),
            "found_statements": sum(r.found_statements for r in flawed),
            "variants": len([r for r in flawed if r.variant]),
            "variants_found": sum(r.found for r in flawed if r.variant),
            "controls": len(controls),
            "controls_with_false_positives": sum(r.false_findings > 0 for r in controls),
            "false_positives_on_controls": sum(r.false_findings for r in controls),
            "other_findings_on_flawed_cases": sum(r.false_findings for r in flawed),
            "not_reviewed_notices": sum(r.not_reviewed for r in chosen),
        }
        python = [r for r in chosen if r.bandit is not None]
        if python:
            py_flawed = [r for r in python if r.kind != "control"]
            summary["python_only"] = {
                "flawed_cases": len(py_flawed),
                "daima_found": sum(r.found for r in py_flawed),
                "bandit_found": sum(bool(r.bandit and r.bandit["found_statements"]) for r in py_flawed),
                "statements": sum(r.statements for r in py_flawed),
                "daima_found_statements": sum(r.found_statements for r in py_flawed),
                "bandit_found_statements": sum(r.bandit["found_statements"] for r in py_flawed if r.bandit),
                "controls": len(python) - len(py_flawed),
                "daima_controls_with_false_positives": sum(
                    r.false_findings > 0 for r in python if r.kind == "control"
                ),
                "bandit_controls_with_false_positives": sum(
                    bool(r.bandit and r.bandit["false_findings"]) for r in python if r.kind == "control"
                ),
            }
        out[split] = summary
    return out


def as_json(record: Record) -> dict[str, object]:
    return asdict(record)
