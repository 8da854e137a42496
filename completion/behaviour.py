"""What a Python completion does when it runs, judged on the spliced tree: the checks that need the
code around the hole as a tree, gathered in one place for the pipeline.

Each check lives in its own module and speaks only when it is sure: `loops.py` (a `while` loop left
unable to end, a `for` loop reusing the variable of a loop around it), `value_kinds.py` (a literal the
code after misuses), `dict_keys.py` (a key its dict literal already has). Names read before they are
bound are the name rules' (names.py), over the scope model.
"""

from __future__ import annotations

from dataclasses import dataclass

from daima.indexer.bindings import ScopeTable
from daima.text import utf8_length

from .dict_keys import duplicate_keys
from .loops import endless_loops, reused_loop_names
from .syntax import SpliceChecker
from .value_kinds import Misuse, misused_values


@dataclass(frozen=True)
class Behaviour:
    """What the checks found; empty when nothing (or when they could not look)."""

    endless: tuple[str, ...] = ()  # the condition names of each loop left unable to end
    misused: tuple[Misuse, ...] = ()
    duplicate_keys: tuple[str, ...] = ()
    reused_loop_names: tuple[str, ...] = ()


def behaviour(checker: SpliceChecker, completion: str, language: str, scopes: ScopeTable) -> Behaviour:
    """Run the checks on the document with `completion` in the hole (Python, a completion that parses);
    `scopes`: the scope table of that document around the hole (names.py `candidate_table`)."""
    if language != "python" or not completion.strip() or not checker.parses(completion):
        return Behaviour()
    tree = checker.spliced_tree(completion)
    start = checker.hole_byte
    end = start + utf8_length(completion)
    return Behaviour(
        endless=tuple(endless_loops(tree, start, end, scopes)),
        misused=tuple(misused_values(tree, start, end, scopes)),
        duplicate_keys=tuple(duplicate_keys(tree, start, end)),
        reused_loop_names=tuple(reused_loop_names(tree, start, end, scopes)),
    )
