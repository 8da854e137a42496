"""Replay one edit's events against one completer in real time, and score what was shown at each pause.

Timing, the same for every completer: a key every `KEY_GAP_S`; after each key the document changes at
once and, `DEBOUNCE_S` later, the editor asks for a suggestion (cancelling the last request). At a pause
the person looks up for at most `PAUSE_WINDOW_S` from the last key: a suggestion that arrives within
that window is shown, and the person reads it for `READ_S` before typing on. The first pause of an edit
comes `ARRIVAL_S` after the file was opened, an empty line opened where the edit goes and the cursor
put on it, as when someone opens a file and goes to the place they will change.

At each pause: was a suggestion shown, after how long, was it whole (its generation was not cut by the
deadline), and how many of its characters match what the author typed next (counted up to the first
character that differs, within the added lines). Characters saved over an edit are the author's
characters that some pause's suggestion matched, each counted once: what a person who accepts every
right suggestion (word by word where it goes wrong) would not have typed.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from .edits import Edit, insertion_offset
from .typing import Backspace, Event, Key, Pause

KEY_GAP_S = 0.15
DEBOUNCE_S = 0.075
PAUSE_WINDOW_S = 2.5  # the default deadline (2 s), the debounce and a little slack
READ_S = 0.3
ARRIVAL_S = 1.0


class Completer(Protocol):
    name: str

    def open(self, path: Path, text: str, language_id: str) -> None: ...
    def focus(self, offset: int) -> None: ...
    def edit(self, start: int, end: int, text: str) -> None: ...
    def ask(self, offset: int) -> Any: ...
    def answer(self, handle: Any, until: float) -> Any: ...
    def close_document(self) -> None: ...


@dataclass(frozen=True, kw_only=True)
class PauseRecord:
    completer: str
    edit_id: str
    repo: str
    identifiers: str
    typed: int  # characters of the added text typed when the person paused
    first: bool  # the edit's first pause (the file was just opened)
    shown: bool
    latency_ms: float | None  # last key → suggestion shown (None when nothing was shown)
    whole: bool
    matched: int  # characters of the suggestion that the author typed next
    text: str
    expected: str  # the author's next characters (up to 80)
    finish: str
    prefilled: int | None
    source: str


def common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def replay(
    completer: Completer, edit: Edit, tree: Path, events: list[Event], before: str | None = None
) -> list[PauseRecord]:
    """Type `edit` into its file in `tree` (the parent commit's) through `completer`; `before`: the
    buffer's text when it is not the file's on disk (the soak types every edit in one newer tree)."""
    path = tree / edit.path
    if before is None:
        before = path.read_text("utf-8")
    start = insertion_offset(before, edit.line)
    completer.open(path, before, edit.language)
    completer.edit(start, start, "\n")  # the person opens an empty line where the edit goes
    completer.focus(start)
    time.sleep(ARRIVAL_S)
    typed_text = ""
    records: list[PauseRecord] = []
    handle: Any = None
    last_key = time.monotonic()
    first = True
    try:
        for event in events:
            if isinstance(event, Pause):
                assert typed_text == edit.added[: event.typed]
                cursor = start + len(typed_text)
                if handle is None:  # a pause before any key: the person asks where the cursor is
                    handle, last_key = completer.ask(cursor), time.monotonic()
                answer = completer.answer(handle, last_key + PAUSE_WINDOW_S)
                records.append(_score(completer.name, edit, event.typed, first, last_key, answer))
                first = False
                handle = None
                if answer is not None and answer.text:
                    time.sleep(max(0.0, answer.arrived + READ_S - time.monotonic()))
                else:
                    time.sleep(max(0.0, last_key + PAUSE_WINDOW_S - time.monotonic()))
                continue
            cursor = start + len(typed_text)
            if isinstance(event, Key):
                completer.edit(cursor, cursor, event.text)
                typed_text += event.text
            elif isinstance(event, Backspace):
                completer.edit(cursor - 1, cursor, "")
                typed_text = typed_text[:-1]
            last_key = time.monotonic()
            time.sleep(DEBOUNCE_S)
            handle = completer.ask(start + len(typed_text))
            time.sleep(max(0.0, last_key + KEY_GAP_S - time.monotonic()))
    finally:
        completer.close_document()
    return records


def _score(name: str, edit: Edit, typed: int, first: bool, last_key: float, answer: Any) -> PauseRecord:
    rest = edit.added[typed:]
    text = answer.text if answer is not None else ""
    shown = bool(text.strip())
    matched = min(common_prefix(text, rest), len(rest)) if shown else 0
    return PauseRecord(
        completer=name, edit_id=edit.edit_id, repo=edit.repo, identifiers=edit.identifiers, typed=typed,
        first=first, shown=shown,
        latency_ms=round((answer.arrived - last_key) * 1000, 1) if shown else None,
        whole=shown and answer.finish not in ("deadline", "cancelled", "error"),
        matched=matched, text=text[:200], expected=rest[:80],
        finish=answer.finish if answer is not None else "late",
        prefilled=answer.prefilled if answer is not None else None,
        source=answer.source if answer is not None else "",
    )  # fmt: skip


def chars_saved(records: list[PauseRecord]) -> int:
    """The author's characters some shown suggestion matched, each counted once per edit."""
    covered: dict[str, set[int]] = {}
    for record in records:
        if record.matched:
            covered.setdefault(record.edit_id, set()).update(
                range(record.typed, record.typed + record.matched)
            )
    return sum(len(chars) for chars in covered.values())


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarize(records: list[PauseRecord], typed_chars: int) -> dict[str, Any]:
    """The figures of one completer over a set of edits (`typed_chars`: the added characters typed)."""
    shown = [r for r in records if r.shown]
    latencies = [r.latency_ms for r in shown if r.latency_ms is not None]
    prefilled = [r.prefilled for r in records if r.prefilled is not None]
    first = [r for r in records if r.first]
    n = len(records)
    return {
        "pauses": n,
        "shown_rate": round(len(shown) / n, 3) if n else None,
        "whole_rate": round(sum(r.whole for r in records) / n, 3) if n else None,
        "latency_ms_p50": _pct(latencies, 0.5),
        "latency_ms_p90": _pct(latencies, 0.9),
        "chars_saved": chars_saved(records),
        "chars_typed": typed_chars,
        "saved_share": round(chars_saved(records) / typed_chars, 3) if typed_chars else None,
        "exact_next_word_rate": round(
            sum(r.matched >= min(len(r.expected), _word_len(r.expected)) > 0 for r in records) / n, 3
        )
        if n
        else None,
        "first_pause_shown_rate": round(sum(r.shown for r in first) / len(first), 3) if first else None,
        "first_pause_latency_ms_p50": _pct([r.latency_ms for r in first if r.latency_ms is not None], 0.5),
        "prefilled_tokens_p50": _pct([float(p) for p in prefilled], 0.5),
        "prefilled_tokens_mean": round(statistics.fmean(prefilled), 1) if prefilled else None,
        "answers_by_source": {
            s: sum(r.source == s for r in shown) for s in sorted({r.source for r in shown})
        },
    }


def _word_len(text: str) -> int:
    """Length of the first word of `text` with the characters before it (what a next-word accept takes)."""
    n = 0
    while n < len(text) and not (text[n].isalnum() or text[n] == "_"):
        n += 1
    while n < len(text) and (text[n].isalnum() or text[n] == "_"):
        n += 1
    return n


def as_dicts(records: list[PauseRecord]) -> list[dict[str, Any]]:
    return [asdict(r) for r in records]
