"""One review, end to end: diff → rule checks → optional model review → a ReviewResult."""

from __future__ import annotations

import logging
from pathlib import Path

from daima.model.api import Engine
from daima.review.checks import check_file, language_of
from daima.review.context import gather
from daima.review.diff import repo_root, resolve_commit, review_changes
from daima.review.findings import NOT_REVIEWED_RULE_ID, Finding, ReviewResult, Severity
from daima.review.model_review import ModelReviewOptions, review_file

log = logging.getLogger(__name__)


def run_review(
    repo: Path,
    base: str,
    head: str = "HEAD",
    engine: Engine | None = None,
    options: ModelReviewOptions | None = None,
) -> ReviewResult:
    """Review the changes `head` makes since its merge base with `base`; model review when `engine`."""
    options = options or ModelReviewOptions()
    root = repo_root(repo)
    base_id, head_id = resolve_commit(root, base), resolve_commit(root, head)
    result = ReviewResult(base=base_id, head=head_id)
    changes, unreviewed = review_changes(root, base_id, head_id, lambda path: language_of(path) is not None)
    for skipped in unreviewed:
        result.findings.append(
            Finding(
                path=skipped.path, line=1, start=0, end=0, rule_id=NOT_REVIEWED_RULE_ID,
                severity=Severity.WARNING,
                message=f"Not reviewed: {skipped.reason}. Review this file by hand.",
                message_zh=f"未审查：{skipped.reason}。请人工审查此文件。",
            )
        )  # fmt: skip
        result.texts.setdefault(skipped.path, "")
    for changed in changes:
        language = language_of(changed.path)
        text = changed.text
        if language is None or text is None:
            continue
        result.texts[changed.path] = text
        result.added_lines[changed.path] = changed.added_lines
        rule_findings = check_file(changed.path, text, changed.added_lines, language)
        result.findings.extend(rule_findings)
        if engine is None:
            continue
        context = gather(root, head_id, changed.path, text, changed.added_lines, options.context_chars)
        rule_lines = {f.line for f in rule_findings}
        model_findings, dropped = review_file(engine, changed, text, language, context, rule_lines, options)
        result.findings.extend(model_findings)
        result.dropped_model_outputs += dropped
        log.info("%s: %d rule and %d model findings", changed.path, len(rule_findings), len(model_findings))
    result.findings.sort(key=Finding.sort_key)
    return result
