"""The security side of a completion: what streams while text may be heading for an injection, and the
review's parameterised form of an injection when every candidate was refused for one (`rules.INJECTION`
refuses them; the reviewer, review/checks.py, knows the sinks and the fix)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from daima.review.checks import parameterized, partial_may_inject

from .candidates import Candidate
from .rules import INJECTION
from .syntax import SpliceChecker


def parameterized_instead(
    tried: list[Candidate],
    checker: SpliceChecker,
    language: str,
    offset: int,
    check: Callable[[Candidate], Candidate],
) -> Candidate | None:
    """When every candidate was refused and one was an injection the review can fix mechanically, that
    fix: the same query with its values passed as parameters, checked like any candidate (`check`)."""
    for candidate in tried:
        if not candidate.has(INJECTION) or candidate.back:
            continue
        spliced = checker.spliced_text(candidate.text)
        fixed = parameterized(spliced, offset, offset + len(candidate.text), language)
        if fixed is None:
            continue
        checked = check(Candidate(text=fixed))
        if checked.ok:
            return replace(checked, notes=(*checked.notes, "the review's parameterised form of an injection"))
    return None


def held_back_near_sinks(
    on_partial: Callable[[str], None], suffix: str, language: str
) -> Callable[[str], None]:
    """`on_partial`, except that once the text may be heading for an injection (it names a sink, or
    builds a string the next lines hand to one) nothing more streams: only the final suggestion, which
    has passed the injection rule, is shown."""
    after = "\n".join(suffix.split("\n", 4)[:4])
    held = False

    def partial(text: str) -> None:
        nonlocal held
        held = held or partial_may_inject(text, after, language)
        if not held:
            on_partial(text)

    return partial
