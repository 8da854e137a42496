"""Drive the real `daima serve` through each case and score what `daima/nextEdit` proposes.

Per case: open the file as it was before the commit, send the user's edit as one didChange, ask for
the next edits at the end of that edit, apply them. A proposal matches an expected edit when it
replaces the same text with the same tokens; it is false when it changes text the commit kept as it
was (it contradicts the author); any other (in code the commit rewrote otherwise) counts as neither.
A case is exact when every expected edit is matched and no proposal is false. The time is the
request's round trip.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daima.text import Position, PositionEncoding, TextDocument

from ..lsp_stdio import Server
from .cases import Case, Change, tokens

INDEX_OFF = {"watch": False, "enabled": False}


@dataclass(frozen=True, kw_only=True)
class Record:
    case_id: str
    kind: str
    split: str
    identifiers: str
    expected: int
    proposed: int
    matched: int
    false: int
    exact: bool
    ms: float


def apply(text: str, changes: list[Change]) -> str:
    for change in sorted(changes, key=lambda change: change.start, reverse=True):
        text = text[: change.start] + change.new_text + text[change.end :]
    return text


def after_user_edit(case: Case) -> tuple[str, list[Change]]:
    """The text once the user's edit is made, and the expected edits moved into it."""
    edit = case.user_edit
    shift = len(edit.new_text) - (edit.end - edit.start)
    moved = [
        Change(c.start + shift, c.end + shift, c.new_text) if c.start >= edit.end else c
        for c in case.expected
    ]
    return apply(case.old, [edit]), moved


def score(case: Case, proposals: list[Change], ms: float) -> Record:
    _, expected = after_user_edit(case)
    wanted = {(c.start, c.end, tuple(tokens(c.new_text))) for c in expected}
    matched = sum(1 for p in proposals if (p.start, p.end, tuple(tokens(p.new_text))) in wanted)
    false = sum(1 for p in proposals if _in_kept_text(case, p))
    exact = matched == len(wanted) and false == 0
    return Record(case_id=case.case_id, kind=case.kind, split=case.split, identifiers=case.identifiers,
                  expected=len(expected), proposed=len(proposals), matched=matched, false=false,
                  exact=exact, ms=round(ms, 2))  # fmt: skip


def _in_kept_text(case: Case, proposal: Change) -> bool:
    """Whether `proposal` (offsets after the user's edit) changes text the commit kept."""
    edit = case.user_edit
    shift = len(edit.new_text) - (edit.end - edit.start)
    start, end = proposal.start, proposal.end
    if start >= edit.start + len(edit.new_text):
        start, end = start - shift, end - shift
    elif end > edit.start:
        return False  # inside the user's own edit
    if start == end:  # an insertion: between two kept tokens
        return any(low < start < high for low, high in case.unchanged)
    return any(low <= start and end <= high for low, high in case.unchanged)


class NextEditClient:
    """One `daima serve` in an empty folder, with no model or the named one (its default options
    otherwise); each case is a document of its own."""

    def __init__(self, root: Path, model: str = "none", completion: dict[str, Any] | None = None) -> None:
        self.root = root
        self.server = Server(root)
        options = {"model": {"name": model}, "index": INDEX_OFF, "completion": completion or {}}
        self.server.initialize(root, options)
        if model != "none":
            status = self.server.wait_for_model()
            if status.get("state") != "ready":
                raise RuntimeError(f"the model {model} did not load: {status}")
        self.count = 0

    def propose(self, case: Case) -> tuple[list[Change], float]:
        self.count += 1
        uri = (self.root / f"case{self.count}.py").as_uri()
        item = {"uri": uri, "languageId": "python", "version": 1, "text": case.old}
        self.server.notify("textDocument/didOpen", {"textDocument": item})
        before = TextDocument(uri, case.old)
        edit = case.user_edit
        self.server.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"range": _range(before, edit.start, edit.end), "text": edit.new_text}],
        })  # fmt: skip
        current = TextDocument(uri, apply(case.old, [edit]))
        cursor = current.position_at(edit.start + len(edit.new_text), PositionEncoding.UTF16)
        started = time.perf_counter()
        answer = self.server.request("daima/nextEdit", {
            "textDocument": {"uri": uri, "version": 2},
            "position": {"line": cursor.line, "character": cursor.character},
        })  # fmt: skip
        ms = (time.perf_counter() - started) * 1000
        self.server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        proposals = []
        for proposed in answer.get("edits", []) if isinstance(answer, dict) else []:
            start, end = (_offset(current, proposed["range"][side]) for side in ("start", "end"))
            proposals.append(Change(start, end, proposed["newText"]))
        return proposals, ms

    def close(self) -> None:
        self.server.close()


def _range(document: TextDocument, start: int, end: int) -> dict[str, Any]:
    first = document.position_at(start, PositionEncoding.UTF16)
    last = document.position_at(end, PositionEncoding.UTF16)
    return {"start": {"line": first.line, "character": first.character},
            "end": {"line": last.line, "character": last.character}}  # fmt: skip


def _offset(document: TextDocument, point: dict[str, int]) -> int:
    return document.offset_at(Position(point["line"], point["character"]), PositionEncoding.UTF16)


def summarize(records: list[Record]) -> dict[str, Any]:
    """Per split and kind: cases, exact, recall of the expected edits, precision of the proposals,
    cases with a false proposal, round-trip p50/p90 (ms)."""
    summary: dict[str, Any] = {}
    for split in sorted({r.split for r in records}):
        for kind in sorted({r.kind for r in records}):
            group = [r for r in records if r.split == split and r.kind == kind]
            if not group:
                continue
            expected = sum(r.expected for r in group)
            proposed = sum(r.proposed for r in group)
            matched = sum(r.matched for r in group)
            times = sorted(r.ms for r in group)
            summary.setdefault(split, {})[kind] = {
                "cases": len(group),
                "exact": sum(r.exact for r in group),
                "exact_pct": round(100 * sum(r.exact for r in group) / len(group), 1),
                "recall_pct": round(100 * matched / expected, 1) if expected else None,
                "precision_pct": round(100 * matched / proposed, 1) if proposed else None,
                "false_proposals": sum(r.false for r in group),
                "cases_with_false_proposals": sum(1 for r in group if r.false),
                "cases_with_any_proposal": sum(1 for r in group if r.proposed),
                "ms_p50": round(statistics.median(times), 2),
                "ms_p90": round(times[int(0.9 * (len(times) - 1))], 2),
            }
    return summary
