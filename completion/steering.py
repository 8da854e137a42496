"""Steering the next candidate after one failed its checks: which names' first tokens to push down or
up (`candidates.bias_for_names`) and which start to force, from the failed candidates' findings
(`rules.steer_from`) and what the code after the hole needs (`needs.Needs`)."""

from __future__ import annotations

from dataclasses import replace

from daima.model.api import Engine, GenerationRequest

from .candidates import PUSH_DOWN, PUSH_DOWN_REPEAT, PUSH_UP, PUSH_UP_INSTEAD, Candidate, bias_for_names
from .names import first_word
from .needs import BLOCK_KEYWORDS, Needs
from .rules import REPEATS_SUFFIX, UNBOUND, steer_from


def steered(
    request: GenerationRequest, attempt: int, tried: list[Candidate], engine: Engine, needs: Needs
) -> GenerationRequest:
    """Attempt 0 is greedy. After a candidate fails its checks the next is steered greedy: names that
    do not exist, bindings nothing needs while a needed name stays unbound, new names nothing reads
    (dead stores), builtins a line assigned, and the first word of a line that broke the file are
    pushed down (harder for a line that only repeated the code after the cursor), as are literals
    and dict keys the code around misuses or repeats, and the first word of a line that left a loop
    unable to end; the line may be forced to start with a needed name (`forced_start`). A steering
    already tried greedily is sampled instead."""
    if attempt == 0:
        return request
    avoid: set[str] = set()
    repeated = set()
    kept_keyword = ""
    instead: set[str] = set()
    for candidate in tried:
        names, avoid_first_word, has = steer_from(candidate.findings)
        avoid |= names
        instead |= has
        if candidate.has(UNBOUND):
            avoid |= set(candidate.binds) - set(needs.names)
        repeats = candidate.has(REPEATS_SUFFIX)
        if repeats and _needed_keyword(candidate.text, needs):
            # `if num > 0:` copied from below where the line must open a block: keep the keyword,
            # push down what followed it.
            kept_keyword = kept_keyword or first_word(candidate.text)
            repeated.add(first_word(candidate.text[len(kept_keyword) :]))
        elif repeats:
            repeated.add(first_word(candidate.text))
        elif candidate.broke_the_file or avoid_first_word:
            avoid.add(first_word(candidate.uncut or candidate.text))
        if (
            candidate.broke_the_file
            and not needs.opens_block
            and _is_header(candidate.uncut or candidate.text)
        ):
            avoid |= set(BLOCK_KEYWORDS)  # a header with no body below it: any other header fails too
    avoid -= {"", *needs.names}
    repeated -= {"", *needs.names}
    forced = forced_start(request, tried, needs)
    if kept_keyword and forced == request.forced_prefix == "" and needs.at_statement_start:
        forced = kept_keyword
    if forced.endswith(" =") and forced != request.forced_prefix:
        avoid.add(forced[:-2].strip())  # nothing binds the name yet, so its value cannot read it
    broken = any(candidate.broke_the_file for candidate in tried)
    prefer = BLOCK_KEYWORDS if needs.opens_block and broken else ()
    by_name = {name: PUSH_UP for name in prefer}
    by_name |= {name: PUSH_UP_INSTEAD for name in instead - avoid}
    by_name |= {name: PUSH_DOWN for name in avoid}
    by_name |= {name: PUSH_DOWN_REPEAT for name in repeated}
    bias = bias_for_names(engine, by_name, tried)
    steering = replace(request, logit_bias=bias or None, forced_prefix=forced)
    new = bias or forced != request.forced_prefix
    if new and not any(c.steered and c.forced == forced and c.bias == len(bias) for c in tried):
        return steering
    return replace(steering, temperature=0.7, top_p=0.95, seed=attempt)


def _needed_keyword(line: str, needs: Needs) -> bool:
    """True when the line's first word is a keyword the hole needs, followed by a name: a block
    header's where the next line is indented deeper, `return`'s or `raise`'s where nothing follows
    in the block."""
    word = first_word(line)
    if not first_word(line[len(word) :]):
        return False
    if word in ("if", "for", "while", "with"):
        return needs.opens_block
    return word in ("return", "raise") and not needs.code_follows and not needs.opens_block


def _is_header(line: str) -> bool:
    """A Python block header (`for x in y:`, `else:`) with nothing after its colon."""
    return first_word(line) in BLOCK_KEYWORDS and line.rstrip().endswith(":")


def forced_start(request: GenerationRequest, tried: list[Candidate], needs: Needs) -> str:
    """The start to force when no candidate bound any name the code after the hole needs (a candidate
    that broke the file binds nothing): the first such name (the model goes on `, b = …` or ` = …` as
    it likes), then that name and ` =` (with the name pushed down, `steered`: `ans = ans + x` reads
    what it is about to bind). Where the next line is indented deeper the line must open a block, so
    the start is `for name` instead, and all of them (`a, b` or `for a, b`) once a line bound only some."""
    if request.forced_prefix or not needs.names or not needs.at_statement_start:
        return request.forced_prefix
    bound_some = [c for c in tried if len(c.found(UNBOUND)) < len(needs.names) and not c.broke_the_file]
    if bound_some:
        # A line that bound only some of them (`for j in range(…)` where the body reads `j` and `b`,
        # `ta = float(a)` before code that reads `ta` and `tb`): nothing else binds the rest, so the
        # line's targets must be all of them (`for j, b`, `ta, tb`), in the order they are read.
        start = ("for " if needs.opens_block else "") + ", ".join(needs.names)
        if len(needs.names) > 1 and all(c.has(UNBOUND) for c in bound_some):
            return start if start not in {c.forced for c in tried} else request.forced_prefix
        return request.forced_prefix
    name = needs.names[0]
    # A greedy candidate that already began with the name is what forcing the name alone would give.
    tried_starts = {candidate.forced for candidate in tried} | {
        first_word(candidate.text) for candidate in tried if candidate.temperature == 0
    }
    if needs.opens_block:
        # The line must be a block header that binds the name: of those, a loop is by far the likeliest.
        header = f"for {name}"
        return header if header not in tried_starts else request.forced_prefix
    return name if name not in tried_starts else name + " ="
