"""An ascending table of offsets (where each line starts or ends) that an edit updates in time
proportional to the edit, not to the file.

After a keystroke every line below it moves by the same amount. Rewriting those entries is a Python
loop over the rest of the file (tens of milliseconds at 50,000 lines, on the editor's event loop);
instead the table keeps that move pending: entries from `shift_from` on read `raw + shift`. A run of
keystrokes on one line only adds to the pending shift. An edit elsewhere folds in the stretch between
the two edits (or the tail, whichever is shorter), so jumping around costs at most that stretch.
Tables are never changed in place: an edit builds a new one, so copies of a document share them.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from typing import overload


class LineTable(Sequence[int]):
    __slots__ = ("_raw", "_shift", "_shift_from")

    def __init__(self, raw: list[int], shift_from: int | None = None, shift: int = 0) -> None:
        self._raw = raw
        self._shift_from = len(raw) if shift_from is None or not shift else shift_from
        self._shift = shift

    def __len__(self) -> int:
        return len(self._raw)

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> list[int]: ...
    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            return self.tolist()[index]
        if index < 0:
            index += len(self._raw)
        value = self._raw[index]  # raises IndexError as a list does
        return value + self._shift if index >= self._shift_from else value

    def __iter__(self) -> Iterator[int]:
        return iter(self.tolist())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LineTable):
            return self.tolist() == other.tolist()
        return isinstance(other, list) and self.tolist() == other

    __hash__ = None  # type: ignore[assignment]

    def tolist(self) -> list[int]:
        raw, start, shift = self._raw, self._shift_from, self._shift
        return raw[:start] + [value + shift for value in raw[start:]] if shift else list(raw)

    def bisect_right(self, value: int) -> int:
        """Where `value` would go after equal entries (the table ascends)."""
        raw, start, shift = self._raw, self._shift_from, self._shift
        if start < len(raw) and value >= raw[start] + shift:
            return bisect.bisect_right(raw, value - shift, start)
        return bisect.bisect_right(raw, value, 0, start)

    def replaced(self, keep: int, resume: int, middle: list[int], delta: int) -> LineTable:
        """`self[:keep] + middle + [v + delta for v in self[resume:]]`, costing len(middle) plus the
        stretch between this edit and the pending one, not the table."""
        raw, start, shift = self._raw, self._shift_from, self._shift
        moved = self._moved_at(keep, resume, middle, delta)
        if moved is not None:  # no entry changes but by the shift: share the raw list
            return LineTable(raw, moved, shift + delta)
        # The pending shift may reach into the kept head: settle that stretch.
        head = raw[:start] + [value + shift for value in raw[start:keep]] if start < keep else raw[:keep]
        if start <= resume:  # the whole tail carries the pending shift already
            tail, tail_shift = raw[resume:], shift + delta
        elif start - resume <= len(raw) - start:  # the stretch [resume, start) is the shorter: settle it
            tail, tail_shift = [value - shift for value in raw[resume:start]] + raw[start:], shift + delta
        else:  # the shifted tail is the shorter: settle it
            tail, tail_shift = raw[resume:start] + [value + shift for value in raw[start:]], delta
        return LineTable(head + middle + tail, len(head) + len(middle), tail_shift)

    def _moved_at(self, keep: int, resume: int, middle: list[int], delta: int) -> int | None:
        """Where the pending shift starts after an edit that only moves the entries from some index on
        by `delta` (a keystroke that adds or removes no line), when that index is where the pending
        shift starts already, or there is none; else None."""
        if len(middle) != resume - keep or resume > len(self._raw):
            return None
        boundary = keep
        while boundary < resume and middle[boundary - keep] == self[boundary]:
            boundary += 1
        if any(middle[i - keep] != self[i] + delta for i in range(boundary, resume)):
            return None
        if not self._shift:
            return boundary
        if self._shift_from == boundary or (delta == 0 and boundary == resume):
            return self._shift_from
        return None
