"""The exact token budget: split it between prefix, suffix and context, and cut at good boundaries.

Tokens are counted with the model's own tokenizer, one line at a time with a cache, so walking back
from the cursor costs only the lines kept (a 10,000-line file costs as much as a 100-line one), and a
keystroke re-tokenizes only the line it changed. The sum of per-line counts is an upper bound that is
almost always exact (lines end in a newline the tokenizer does not merge across); the prompt builder
checks the assembled prompt exactly and trims again if it is ever over.

Cuts fall on line boundaries only; among them, the start of a top-level definition or statement is
preferred (syntax tree), and a boundary inside a multi-line string or comment is avoided.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from daima.text import TextDocument

from .templates import Snippet
from .tokens import TokenCounter

# Node types that are statement containers: a line that starts a direct child of one of these is a
# statement boundary in every grammar daima ships.
_CONTAINERS = frozenset(
    {
        "module", "program", "source_file", "translation_unit", "block", "class_body", "declaration_list",
        "compound_statement", "statement_block", "field_declaration_list", "interface_body", "enum_body",
        "class_declaration_body", "function_body", "switch_body", "constructor_body",
    }
)  # fmt: skip
_TOP_LEVEL = frozenset({"module", "program", "source_file", "translation_unit"})

# Quality of a cut at a line boundary (higher is better).
UNSAFE, SAFE, STATEMENT, TOP_LEVEL = -1, 0, 1, 2
_MAX_WORD = 64  # longest word a cut inside one huge line walks to the end of
_SLACK = 0.3  # share of a section's budget a cut may give up to land on a better boundary


@dataclass(frozen=True)
class Split:
    """Tokens granted to each section."""

    prefix: int
    suffix: int
    context: int


MIN_SUFFIX_TOKENS = 32  # the rest of the line and the next few: what tells the model where to stop


def suffix_cap(tokens_per_s: float | None, max_time_ms: int, time_share: float) -> int | None:
    """Most suffix tokens a prompt should carry, from the engine's measured prefill speed.

    In a fill-in-the-middle prompt the suffix follows the cursor, so every keystroke recomputes it:
    on a CPU that prefills ~200 tokens a second, the default 512-token suffix share alone is 2.5 s, more
    than the whole deadline. The suffix may take `time_share` of the deadline. None (no cap) without a
    deadline, a share or a measured speed; never under MIN_SUFFIX_TOKENS.
    """
    if tokens_per_s is None or max_time_ms <= 0 or time_share <= 0:
        return None
    return max(MIN_SUFFIX_TOKENS, int(tokens_per_s * max_time_ms / 1000 * time_share))


def split_budget(
    total: int,
    *,
    suffix_share: float,
    context_share: float,
    need_prefix: int,
    need_suffix: int,
    need_context: int,
) -> Split:
    """Split `total` tokens by the shares; a share a section does not need flows to the others."""
    total = max(0, total)
    suffix_share = min(max(suffix_share, 0.0), 1.0)
    context_share = min(max(context_share, 0.0), 1.0 - suffix_share)
    shares = {"prefix": 1.0 - suffix_share - context_share, "suffix": suffix_share, "context": context_share}
    needs = {"prefix": need_prefix, "suffix": need_suffix, "context": need_context}
    granted = dict.fromkeys(shares, 0)
    left = total
    open_ = [name for name in shares if needs[name] > 0]
    # Water filling: give each open section its share of what is left, close the ones that are full,
    # and hand the rest round again, so nothing a section does not need is wasted.
    while left > 0 and open_:
        weight = sum(shares[name] for name in open_) or float(len(open_))
        given = 0
        for name in open_:
            part = shares[name] / weight if weight else 1.0 / len(open_)
            take = min(needs[name] - granted[name], int(left * part))
            granted[name] += take
            given += take
        if given == 0:  # rounding left a few tokens: give them in priority order
            for name in open_:
                take = min(needs[name] - granted[name], left - given)
                granted[name] += take
                given += take
        left -= given
        open_ = [name for name in open_ if granted[name] < needs[name]]
        if given == 0:
            break
    return Split(prefix=granted["prefix"], suffix=granted["suffix"], context=granted["context"])


class Boundaries:
    """Rates line boundaries of a document by the syntax tree (or as merely safe without one)."""

    def __init__(self, document: TextDocument, tree: Any = None) -> None:
        self._document = document
        self._root = tree.root_node if tree is not None else None
        self._memo: dict[int, int] = {}

    def rate(self, line: int) -> int:
        """Quality of cutting just before `line` (a line start)."""
        if line <= 0 or line >= self._document.line_count:
            return TOP_LEVEL
        if line not in self._memo:
            self._memo[line] = self._rate(line)
        return self._memo[line]

    def _rate(self, line: int) -> int:
        if self._root is None:
            return SAFE
        document = self._document
        start = document.line_start(line)
        text = document.line_text(line)
        byte = document.byte_offset(start)
        node = self._root.descendant_for_byte_range(byte, byte)
        probe = node
        while probe is not None:
            if probe.start_byte < byte < probe.end_byte and _is_literal(probe.type):
                return UNSAFE
            probe = probe.parent
        stripped = text.lstrip()
        if not stripped:
            return SAFE
        first = document.byte_offset(start + len(text) - len(stripped))
        node = self._root.descendant_for_byte_range(first, first)
        # Climb to the outermost node that starts here: that is the statement this line opens.
        # (A block starts at its first statement, so stop below containers.)
        while (
            node is not None
            and node.parent is not None
            and node.parent.start_byte == first
            and node.parent.type not in _CONTAINERS
        ):
            node = node.parent
        if node is None or node.start_byte != first or node.parent is None:
            return SAFE
        if node.parent.type in _TOP_LEVEL:
            return TOP_LEVEL
        return STATEMENT if node.parent.type in _CONTAINERS else SAFE


def _is_literal(node_type: str) -> bool:
    return (
        "string" in node_type or "comment" in node_type or node_type in {"heredoc_body", "template_literal"}
    )


def cut_prefix(
    document: TextDocument, end: int, budget: int, counter: TokenCounter, bounds: Boundaries
) -> int:
    """Start offset of the longest prefix ending at `end` that fits `budget`, cut at a good line start."""
    if budget <= 0 or end == 0:
        return end
    line = document.line_of(end)
    head = document.text[document.line_start(line) : end]
    used = counter.count(head)
    if used > budget:
        return _cut_inside_line(head, budget, counter, end)
    costs: list[tuple[int, int]] = []  # (line, tokens kept when cutting before it), nearest first
    first = line
    costs.append((line, used))
    while first > 0:
        previous = first - 1
        cost = counter.count(document.text[document.line_start(previous) : document.line_start(first)])
        if used + cost > budget:
            break
        used += cost
        first = previous
        costs.append((first, used))
    if first == 0:
        return 0
    # costs runs from the cursor outwards; the furthest line is the longest fit. Give up at most
    # _SLACK of the budget to start at a better boundary.
    floor = used * (1 - _SLACK)
    candidates = [(line_no, kept) for line_no, kept in reversed(costs)]
    best = _best(candidates, floor, bounds)
    return document.line_start(best)


def cut_suffix(
    document: TextDocument, start: int, budget: int, counter: TokenCounter, bounds: Boundaries
) -> int:
    """End offset of the longest suffix starting at `start` that fits `budget`, cut at a line end."""
    text = document.text
    if budget <= 0 or start >= len(text):
        return start
    line = document.line_of(start)
    last = document.line_count - 1
    # The rest of the cursor line, with its line break, goes first.
    rest_end = document.line_start(line + 1) if line < last else len(text)
    used = counter.count(text[start:rest_end])
    if used > budget:
        return len(_cut_tail(text[start:rest_end], budget, counter)) + start
    costs = [(line + 1, used)]  # (line the cut is before, tokens kept)
    next_line = line + 1
    while next_line <= last:
        end = document.line_start(next_line + 1) if next_line < last else len(text)
        cost = counter.count(text[document.line_start(next_line) : end])
        if used + cost > budget:
            break
        used += cost
        next_line += 1
        costs.append((next_line, used))
    if next_line > last:
        return len(text)
    best = _best(costs[::-1], used * (1 - _SLACK), bounds)
    return document.line_start(best)


def _best(candidates: Sequence[tuple[int, int]], floor: float, bounds: Boundaries) -> int:
    """The line among candidates (longest kept first) with the best boundary within the slack."""
    best_line, best_rate = candidates[0][0], bounds.rate(candidates[0][0])
    for line_no, kept in candidates:
        if kept < floor and best_rate >= SAFE:
            break
        rate = bounds.rate(line_no)
        if rate > best_rate:
            best_line, best_rate = line_no, rate
            if rate == TOP_LEVEL:
                break
    return best_line


def _cut_inside_line(head: str, budget: int, counter: TokenCounter, end: int) -> int:
    """For one huge line: keep its longest tail that fits, starting after whitespace or punctuation."""
    lo, hi = 0, len(head)
    while lo < hi:  # smallest start whose tail fits
        mid = (lo + hi) // 2
        if counter.count(head[mid:]) <= budget:
            hi = mid
        else:
            lo = mid + 1
    start = lo
    # Never start inside an identifier: move right to the next word boundary (str slicing never splits
    # a character). A run of word characters longer than _MAX_WORD (a huge Chinese string) is cut anyway.
    probe = start
    while 0 < probe < len(head) and _is_word(head[probe - 1]) and _is_word(head[probe]):
        probe += 1
    if probe < len(head) and probe - start <= _MAX_WORD:
        start = probe
    return end - len(head) + start


def _cut_tail(text: str, budget: int, counter: TokenCounter) -> str:
    """For one huge suffix line: its longest head that fits, ending before an identifier starts."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if counter.count(text[:mid]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    end = lo
    probe = end
    while 0 < probe < len(text) and _is_word(text[probe - 1]) and _is_word(text[probe]):
        probe -= 1
    if probe > 0 and end - probe <= _MAX_WORD:
        end = probe
    return text[:end]


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def fit_snippets(snippets: Sequence[Snippet], budget: int, cost: Callable[[Snippet], int]) -> list[Snippet]:
    """The snippets, in order, that fit `budget`; one that does not fit is skipped, order is kept."""
    kept, used = [], 0
    for snippet in snippets:
        tokens = cost(snippet)
        if used + tokens <= budget:
            kept.append(snippet)
            used += tokens
    return kept
