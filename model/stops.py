"""Stop strings on a stream of text: shared by the local and the remote engine."""

from __future__ import annotations

from collections.abc import Iterable


class StopScanner:
    """Cuts a stream of text deltas at the first stop string, holding back text that may start one.

    Servers differ in how (and whether) they apply stop strings, so the remote engine applies them
    again on its side. Text that could be the beginning of a stop string is held until the next delta
    decides it; `flush()` releases it at the end of the stream.
    """

    def __init__(self, stops: Iterable[str]) -> None:
        self._stops = tuple(stop for stop in stops if stop)
        self._pending = ""
        self.stopped = False

    def feed(self, delta: str) -> str:
        """Add a delta; return the text that is now safe to emit (possibly empty)."""
        if self.stopped:
            return ""
        self._pending += delta
        cut = min((i for i in (self._pending.find(stop) for stop in self._stops) if i >= 0), default=-1)
        if cut >= 0:
            out, self._pending, self.stopped = self._pending[:cut], "", True
            return out
        hold = self._held_length()
        out = self._pending[: len(self._pending) - hold]
        self._pending = self._pending[len(self._pending) - hold :]
        return out

    def flush(self) -> str:
        """The stream ended without a stop string: release the held-back text."""
        out, self._pending = ("" if self.stopped else self._pending), ""
        return out

    def _held_length(self) -> int:
        """Length of the longest tail of the pending text that is a proper prefix of a stop string."""
        best = 0
        for stop in self._stops:
            for size in range(min(len(stop) - 1, len(self._pending)), best, -1):
                if self._pending.endswith(stop[:size]):
                    best = size
                    break
        return best
