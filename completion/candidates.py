"""Several candidates for one hole: steering later ones, and choosing the one to show."""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from daima.model.api import Engine

from .rules import BY_ID, REPEATS_SUFFIX, Finding, problem_count

log = logging.getLogger(__name__)

PUSH_DOWN = -8.0  # logit bias on the first token of a name that does not exist
PUSH_UP = 2.0  # logit bias on the first token of a name in scope (kept small: it applies at every step)
# The names the code has where a candidate read one it lacks (the fields of a class, for `商品.价格` where
# 商品 has 单价): the model had them in view and preferred a name from elsewhere, by several logits.
PUSH_UP_INSTEAD = 5.0
# The first word of a line that only repeated the code after the cursor: copying the next line is
# the 0.5B model's most confident move (a margin above 8 logits was seen), so it is pushed harder.
PUSH_DOWN_REPEAT = -16.0


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """One post-processed generation and what the checks found."""

    text: str
    back: int = 0
    temperature: float = 0.0
    steered: bool = False  # greedy with names pushed down or a forced start
    forced: str = ""  # the start this generation was forced to (beyond token healing)
    bias: int = 0  # how many tokens its request biased
    token_ids: tuple[int, ...] = ()  # what the model chose, where the engine says (see starting_tokens)
    uncut: str = ""  # the text before the validity check cut it ("" when it was not cut)
    parses: bool = True
    findings: tuple[Finding, ...] = ()  # what the rules found (rules.py)
    binds: tuple[str, ...] = ()  # the names its cursor line binds, completed (names.py)
    notes: tuple[str, ...] = ()

    def found(self, rule: str) -> tuple[str, ...]:
        """The subjects (names, literals, keys) of this rule's findings."""
        return tuple(subject for f in self.findings if f.rule == rule for subject in f.subjects)

    def has(self, rule: str) -> bool:
        return any(f.rule == rule for f in self.findings)

    @property
    def shown_never(self) -> bool:
        """A rule found what must never reach the user, even when nothing better exists."""
        return any(BY_ID[f.rule].never_shown for f in self.findings)

    @property
    def broke_the_file(self) -> bool:
        """It does not parse, or the validity check had to cut all of it."""
        return not self.parses or (bool(self.uncut) and not self.text.strip())

    @property
    def problems(self) -> int:
        """How many things the checks found wrong, beyond parsing (fewer is better)."""
        return problem_count(self.findings)

    @property
    def ok(self) -> bool:
        return bool(self.text.strip()) and self.parses and not self.findings


def choose(candidates: list[Candidate]) -> Candidate | None:
    """The first that passes every check, else the one with the fewest problems (earlier wins ties)."""
    if not candidates:
        return None
    for candidate in candidates:
        if candidate.ok:
            return candidate
    usable = [c for c in candidates if c.text.strip() and not c.has(REPEATS_SUFFIX)] or candidates
    return min(usable, key=lambda c: (not c.parses, c.problems))


def bias_for_names(
    engine: Engine, bias_by_name: Mapping[str, float], seen_in: Iterable[Candidate] = ()
) -> dict[int, float]:
    """Logit bias on the first token of each name: as written alone, after a space, glued to the
    character before it in a failed candidate, and the very token that began it there.

    Byte-level BPE tokenizers (Qwen's among them) join one punctuation character to the letters
    after it, so `sorted(array` is `sorted` `(array`; and a model does not always write a name in
    its canonical tokens (`最` `近` for `最近`). Biasing only `array` and ` array` misses both."""
    tried = list(seen_in)
    texts = [candidate.uncut or candidate.text for candidate in tried]
    bias: dict[int, float] = {}
    try:
        for name, value in bias_by_name.items():
            for spelling, glued in _spellings(name, texts):
                ids = engine.tokenize(spelling)
                if not ids or (glued and len(engine.detokenize(ids[:1])) <= 1):
                    continue  # this tokenizer keeps the character apart: the name's own token is biased
                bias[ids[0]] = value
            for candidate in tried:
                for token in starting_tokens(engine, candidate.token_ids, name):
                    bias[token] = value
    except Exception:
        log.exception("tokenize failed while steering names")
    return bias


def starting_tokens(engine: Engine, token_ids: Sequence[int], name: str) -> set[int]:
    """The tokens that began `name` (as a whole identifier) in a generation, when such a token is
    whole characters and not only whitespace (a token holding half a character would push down
    every character sharing its bytes)."""
    if not token_ids or not name:
        return set()
    starts = [len(engine.detokenize(token_ids[:k]).rstrip("\ufffd")) for k in range(len(token_ids))]
    text = engine.detokenize(token_ids)
    found: set[int] = set()
    for match in _word(name).finditer(text):
        k = bisect.bisect_right(starts, match.start()) - 1
        piece = engine.detokenize(token_ids[k : k + 1]) if k >= 0 else ""
        if piece.strip() and "\ufffd" not in piece:
            found.add(token_ids[k])
    return found


def _word(name: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])" + re.escape(name) + r"(?![\w])")


def _spellings(name: str, texts: list[str]) -> list[tuple[str, bool]]:
    """`name`, ` name`, and `<c>name` for each character `c` seen right before it that is neither
    part of an identifier nor whitespace (True marks those glued spellings)."""
    spellings = [(name, False), (" " + name, False)]
    pattern = _word(name)
    glued = set()
    for text in texts:
        for match in pattern.finditer(text):
            before = text[match.start() - 1 : match.start()]
            if before and not before.isspace() and not before.isalnum() and before != "_":
                glued.add(before)
    spellings += [(c + name, True) for c in sorted(glued)]
    return spellings
