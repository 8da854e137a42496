"""Several candidates for one hole: steering later ones, and choosing the one to show."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from daima.model.api import Engine

log = logging.getLogger(__name__)

PUSH_DOWN = -8.0  # logit bias on the first token of a name that does not exist
PUSH_UP = 2.0  # logit bias on the first token of a name in scope (kept small: it applies at every step)


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """One post-processed generation and what the checks found."""

    text: str
    back: int = 0
    temperature: float = 0.0
    steered: bool = False  # greedy with names pushed down or a forced start
    forced: str = ""  # the start this generation was forced to (beyond token healing)
    bias: int = 0  # how many tokens its request biased
    unreachable: bool = False  # it returns (or raises, ...) where code follows in the same block
    uncut: str = ""  # the text before the validity check cut it ("" when it was not cut)
    parses: bool = True
    unresolved: tuple[str, ...] = ()
    unbound: tuple[str, ...] = ()  # names the code after the hole reads that this leaves unbound (needs.py)
    repeats_suffix: bool = False  # it only repeats the code after the cursor (shown as no suggestion)
    notes: tuple[str, ...] = ()

    @property
    def broke_the_file(self) -> bool:
        """It does not parse, or the validity check had to cut all of it."""
        return not self.parses or (bool(self.uncut) and not self.text.strip())

    @property
    def ok(self) -> bool:
        return (
            bool(self.text.strip())
            and self.parses
            and not self.unresolved
            and not self.unbound
            and not self.unreachable
            and not self.repeats_suffix
        )


def choose(candidates: list[Candidate]) -> Candidate | None:
    """The first that passes every check, else the one with the fewest problems (earlier wins ties)."""
    if not candidates:
        return None
    for candidate in candidates:
        if candidate.ok:
            return candidate
    usable = [c for c in candidates if c.text.strip() and not c.repeats_suffix] or candidates
    return min(usable, key=lambda c: (not c.parses, len(c.unresolved) + len(c.unbound) + c.unreachable))


def bias_for_names(engine: Engine, avoid: Iterable[str], prefer: Iterable[str]) -> dict[int, float]:
    """Logit bias on the first tokens of names (with and without a leading space)."""
    bias: dict[int, float] = {}
    for value, names in ((PUSH_UP, prefer), (PUSH_DOWN, avoid)):
        for name in names:
            for spelling in (name, " " + name):
                try:
                    ids = engine.tokenize(spelling)
                except Exception:
                    log.exception("tokenize failed while steering names")
                    return bias
                if ids:
                    bias[ids[0]] = value
    return bias
