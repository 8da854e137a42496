"""One review, end to end: diff → rule checks → optional model review → a ReviewResult."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from pathlib import Path

from daima.model.api import Engine
from daima.review.checks import check_file, defined_wrappers, language_of
from daima.review.context import gather
from daima.review.diff import TreeEntry, read_blobs, repo_root, resolve_commit, review_changes, tree_entries
from daima.review.findings import NOT_REVIEWED_RULE_ID, Finding, ReviewResult, Severity
from daima.review.model_review import ModelReviewOptions, review_file
from daima.review.wrappers import Wrapper, called_names, defining, reachable, stem

log = logging.getLogger(__name__)
MAX_WRAPPER_FILES = 300  # other files of a language read for the wrapper sinks a change calls


class RepositoryWrappers:
    """Wrapper sinks defined in the head revision's other files. Only files the changed file can reach
    are read (their module or class name is a word of it, as `reachable` asks), each parsed once for
    the whole review: a repository's vendored libraries are never read for nothing."""

    def __init__(self, repo: Path, head: str) -> None:
        self._repo, self._head = repo, head
        self._entries: list[TreeEntry] | None = None
        self._texts: dict[str, str] = {}
        self._parsed: dict[str, list[Wrapper]] = {}

    def _candidates(self, path: str, text: str, language: str) -> list[TreeEntry]:
        if self._entries is None:
            self._entries = [e for e in tree_entries(self._repo, self._head) if language_of(e.path)]
        words = {word.lower() for word in re.findall(r"\w+", text)}
        return [
            e for e in self._entries
            if e.path != path and language_of(e.path) == language and stem(e.path).lower() in words
        ][:MAX_WRAPPER_FILES]  # fmt: skip

    def called_by(self, path: str, text: str, added_lines: Collection[int], language: str) -> list[Wrapper]:
        """The wrappers in other files that the added lines call and this file can reach."""
        names = called_names(text, added_lines)
        if not names:
            return []
        candidates = self._candidates(path, text, language)
        self._texts.update(read_blobs(self._repo, [e for e in candidates if e.path not in self._texts]))
        defines = defining(names)
        found = []
        for entry in candidates:
            source = self._texts.get(entry.path, "")
            if entry.path not in self._parsed and defines.search(source):
                self._parsed[entry.path] = defined_wrappers(entry.path, source, language)
            wrappers = self._parsed.get(entry.path, [])
            found += [w for w in wrappers if w.name in names and reachable(w, text)]
        return found


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
    elsewhere = RepositoryWrappers(root, head_id)
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
        wrappers = elsewhere.called_by(changed.path, text, changed.added_lines, language)
        rule_findings = check_file(changed.path, text, changed.added_lines, language, wrappers)
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
