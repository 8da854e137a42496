"""What the user has been editing: per document, the latest stretches of adjoining edits and the text
each replaced.

Typing a new name over an old one is many edits (delete a character, type one, fix a typo); they touch
each other, so they merge into one burst: the stretch of the current text they produced and what that
stretch said before the first of them. An edit that does not touch the latest burst starts a new one;
the earlier bursts are kept (the last `MAX_BURSTS`) and moved along with the text, so a proposal can
see that the user renamed the same name by hand elsewhere, or accepted one of its edits. An edit that
reaches into an earlier burst drops that burst. Costs the size of the edit, never the file's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from daima.text import AppliedEdit

MAX_BURSTS = 16


@dataclass(frozen=True)
class Burst:
    """text[start:end] of the current document replaced `before` (str offsets)."""

    start: int
    end: int
    before: str
    version: int | None
    time: float

    def original(self, text: str) -> str:
        """The document as it was before the burst, from its current text."""
        return text[: self.start] + self.before + text[self.end :]


class EditBursts:
    """The recent bursts of each open document, fed by the server on every didChange."""

    def __init__(self) -> None:
        self._bursts: dict[str, list[Burst]] = {}  # oldest first
        self._lock = threading.Lock()  # fed on the event loop, read by next-edit requests off it

    def record(self, uri: str, edits: list[AppliedEdit], version: int | None) -> None:
        with self._lock:
            bursts = self._bursts.setdefault(uri, [])
            for edit in edits:
                _record(bursts, edit, version)
            del bursts[:-MAX_BURSTS]

    def latest(self, uri: str) -> Burst | None:
        with self._lock:
            bursts = self._bursts.get(uri)
            return bursts[-1] if bursts else None

    def recent(self, uri: str) -> list[Burst]:
        """The document's bursts, newest first."""
        with self._lock:
            return list(reversed(self._bursts.get(uri, ())))

    def forget(self, uri: str) -> None:
        with self._lock:
            self._bursts.pop(uri, None)


def _record(bursts: list[Burst], edit: AppliedEdit, version: int | None) -> None:
    latest = bursts[-1] if bursts else None
    merged = _merge(latest, edit, version)
    touched_latest = latest is not None and not (edit.old_end < latest.start or edit.start > latest.end)
    delta = edit.new_end - edit.old_end
    kept = []
    for burst in bursts[:-1] if touched_latest else bursts:
        if burst.end < edit.start:
            kept.append(burst)
        elif burst.start > edit.old_end:
            kept.append(replace(burst, start=burst.start + delta, end=burst.end + delta))
        # else: the edit reaches into this earlier burst, which no longer says what it did: dropped
    bursts[:] = [*kept, merged]


def _merge(burst: Burst | None, edit: AppliedEdit, version: int | None) -> Burst:
    """The burst after `edit` (whose offsets are in the text before it)."""
    start, old_end, removed = edit.start, edit.old_end, edit.old_text
    delta = edit.new_end - old_end
    if burst is None or old_end < burst.start or start > burst.end:
        return Burst(start, edit.new_end, removed, version, time.monotonic())
    # The parts of the replaced text outside the burst were never edited: they join what it replaced.
    before = (
        (removed[: burst.start - start] if start < burst.start else "")
        + burst.before
        + (removed[burst.end - start :] if old_end > burst.end else "")
    )
    low, high = min(start, burst.start), max(old_end, burst.end)
    return Burst(low, high + delta, before, version, time.monotonic())


def revert(text: str, bursts: Iterable[Burst]) -> tuple[str, Callable[[int], int | None]]:
    """The text as it was before `bursts` (which do not overlap), and a map from an offset in that text
    to the same place in `text` (None inside a reverted burst)."""
    ordered = sorted(bursts, key=lambda burst: burst.start)
    pieces, regions, position, moved = [], [], 0, 0
    for burst in ordered:
        pieces += [text[position : burst.start], burst.before]
        start = burst.start - moved
        regions.append((start, start + len(burst.before), moved))
        moved += (burst.end - burst.start) - len(burst.before)
        position = burst.end
    pieces.append(text[position:])

    def to_current(offset: int) -> int | None:
        for start, end, moved_before in regions:
            if offset < start:
                return offset + moved_before
            if offset < end:
                return None
        return offset + moved

    return "".join(pieces), to_current
