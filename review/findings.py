"""What a review produces: findings anchored to changed lines of files at the head revision."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

MODEL_RULE_ID = "model-review"  # the rule id of every model finding
NOT_REVIEWED_RULE_ID = "not-reviewed"  # a changed file the review could not read (diff.Unreviewed)


class Severity(IntEnum):
    """Ordered so that `--fail-on` can compare: a finding fails the run when it is at least as severe."""

    NOTE = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, name: str) -> Severity:
        """Severity from its lower-case name ("note", "warning", "error")."""
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {name!r} (expected note, warning or error)") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, kw_only=True)
class Fix:
    """A mechanical replacement of text[start:end] (str indices into the head version of the file)."""

    start: int
    end: int
    replacement: str
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One problem on one changed line. Offsets are str indices into the head version of `path`."""

    path: str  # repository-relative, forward slashes
    line: int  # 1-based line of `start`
    start: int
    end: int
    rule_id: str
    severity: Severity
    message: str
    message_zh: str = ""
    source: str = "rule"  # "rule" (deterministic check) or "model" (model review, labelled as such)
    fix: Fix | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.start, self.rule_id)


@dataclass(kw_only=True)
class ReviewResult:
    """Findings plus the head text of every reviewed file, which formatters need for positions."""

    findings: list[Finding] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # path -> head text
    added_lines: dict[str, frozenset[int]] = field(default_factory=dict)  # path -> 1-based added lines
    base: str = ""
    head: str = ""
    dropped_model_outputs: int = 0  # model answers that stayed invalid after a retry

    def worst(self) -> Severity | None:
        """The most severe finding's severity, or None when there are none."""
        return max((f.severity for f in self.findings), default=None)
