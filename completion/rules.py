"""The checks a candidate completion goes through, as one registry of rules with one finding type.

A rule looks at a candidate once it is cut to what keeps the file valid (`Checked`) and reports what it
finds as `Finding`s: its id, what the finding is about (names, literals, keys) and the note logged and
shown by `daima complete --json`. The registry states, per rule, what it prevents in code people write,
how a later candidate is steered away from it (`steer`, read by `steering.steered`), how many
problems a finding counts for when no candidate passes (`counts`), and whether it needs code after the
hole: such a rule never runs at a hole with nothing below it (code written top-down), where it could only
reject lines that the code still to be written would read.

Rules run in registry order; the order is that of the notes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from daima.indexer.bindings import ScopeTable
from daima.text import utf8_length

from .behaviour import Behaviour, behaviour
from .fields import unknown_attributes
from .names import NameReads, NameScope, candidate_reads, candidate_table, first_word
from .needs import Needs, assigns_to_itself, dead_stores, ends_flow, left_unbound, shadowed_builtins
from .suffix import is_duplicate_of_suffix
from .syntax import SpliceChecker


@dataclass(frozen=True)
class Finding:
    """One thing a rule found wrong with a candidate."""

    rule: str
    subjects: tuple[str, ...] = ()  # the names, literals or keys it is about
    note: str = ""
    instead: tuple[str, ...] = ()  # names the code has where it went wrong (pushed up in the next candidate)


@dataclass(frozen=True)
class Checked:
    """What every rule sees: the candidate's text in the hole and the code around it."""

    text: str  # the candidate, cut to what keeps the file valid
    line_before: str  # the cursor line before the text the candidate replaces
    needs: Needs
    names: NameScope  # the document's scope table and the names known besides it (names.py)
    language: str
    suffix: str
    checker: SpliceChecker
    made_up: Callable[[str], list[str]] | None = None  # the reading's made-up names (readings.py)

    @functools.cached_property
    def scopes(self) -> ScopeTable | None:
        """The scope table of the spliced tree around the candidate, built once for every rule."""
        if not self.checker.available:
            return None
        return candidate_table(self.names, self.checker, self.text, self.line_before)

    @functools.cached_property
    def behaviour(self) -> Behaviour:
        """The tree-based checks, run once on the spliced tree for all the rules that read them."""
        if not self.checker.available or self.scopes is None:
            return Behaviour()
        return behaviour(self.checker, self.text, self.language, self.scopes)

    @functools.cached_property
    def reads(self) -> NameReads:
        """What the candidate reads and binds, over the scope table of the spliced tree."""
        if not self.checker.available:
            return NameReads()
        return candidate_reads(self.names, self.checker, self.text, self.line_before, self.scopes)


@dataclass(frozen=True)
class Rule:
    id: str
    prevents: str  # what it prevents in code people write
    find: Callable[[Checked], list[Finding]]
    # How a later candidate is steered away: "subjects" pushes the subjects' first tokens down,
    # "first_word" the first word of the line, "quoted_keys" the words of quoted dict keys; "pipeline"
    # is steered by steering.steered itself; "none" is not steered.
    steer: str = "subjects"
    counts: str = "subjects"  # problems a finding counts for: one per subject, or "once"
    needs_code_below: bool = False
    # Never shown, even when no candidate passes: a name that maps back to nothing the user has, or the
    # injection a review would flag (the other findings may still be the best there is).
    never_shown: bool = False


def _found(rule: str, subjects: Sequence[str], note: str) -> list[Finding]:
    return [Finding(rule, tuple(subjects), note)] if subjects else []


def _unresolved(checked: Checked) -> list[Finding]:
    names = checked.reads.unresolved
    return _found(UNRESOLVED, names, "unresolved: " + ", ".join(names))


def _unknown_attributes(checked: Checked) -> list[Finding]:
    if checked.language != "python" or not checked.text.strip() or not checked.checker.available:
        return []
    tree = checked.checker.spliced_tree(checked.text)
    start = checked.checker.hole_byte
    found = unknown_attributes(tree, start, start + utf8_length(checked.text))
    note = "reads attributes its class does not have: " + ", ".join(found)
    fields = tuple(sorted({field for have in found.values() for field in have if not field.startswith("_")}))
    return [Finding(UNKNOWN_ATTRIBUTE, tuple(found), note, instead=fields)] if found else []


def _unbound(checked: Checked) -> list[Finding]:
    names = left_unbound(checked.needs.names, checked.reads.binds)
    return _found(UNBOUND, names, "leaves unbound: " + ", ".join(names))


def _unreachable(checked: Checked) -> list[Finding]:
    if checked.needs.code_follows and ends_flow(checked.needs.line_before, checked.text):
        return [Finding(UNREACHABLE, (), "makes the code after it unreachable")]
    return []


def _repeats_suffix(checked: Checked) -> list[Finding]:
    if is_duplicate_of_suffix(checked.text, checked.suffix):
        return [Finding(REPEATS_SUFFIX, (), "only repeats the code after the cursor")]
    return []


def _no_effect(checked: Checked) -> list[Finding]:
    if assigns_to_itself(checked.line_before, checked.text):
        return [Finding(NO_EFFECT, (), "assigns a name to itself")]
    return []


def _dead_stores(checked: Checked) -> list[Finding]:
    names = dead_stores(checked.line_before, checked.text, checked.needs.function_names, checked.reads.reads)
    return _found(DEAD_STORE, names, "assigns what nothing reads: " + ", ".join(names))


def _shadows(checked: Checked) -> list[Finding]:
    names = shadowed_builtins(checked.line_before, checked.text) if checked.language == "python" else []
    return _found(SHADOWS_BUILTIN, names, "assigns a builtin: " + ", ".join(names))


def _endless(checked: Checked) -> list[Finding]:
    conditions = checked.behaviour.endless
    note = "leaves a loop that never ends (nothing changes " + "; ".join(conditions) + ")"
    return _found(ENDLESS_LOOP, conditions, note)


def _misused(checked: Checked) -> list[Finding]:
    return [Finding(MISUSED_LITERAL, (m.literal,), str(m)) for m in checked.behaviour.misused]


def _duplicate_keys(checked: Checked) -> list[Finding]:
    keys = checked.behaviour.duplicate_keys
    return _found(DUPLICATE_KEY, keys, "repeats a key its dict already has: " + ", ".join(keys))


def _reused_loop_names(checked: Checked) -> list[Finding]:
    names = checked.behaviour.reused_loop_names
    return _found(REUSED_LOOP_NAME, names, "reuses the variable of a loop around it: " + ", ".join(names))


def _read_before_bound(checked: Checked) -> list[Finding]:
    names = checked.reads.read_before_bound
    return _found(
        READ_BEFORE_BOUND, names, "reads a name it makes local before binding it: " + ", ".join(names)
    )


def _injection(checked: Checked) -> list[Finding]:
    """The reviewer's own injection rules (review/checks.py), on the candidate's lines of the spliced
    document: the sinks and sanitizers are the reviewer's data, so a suggestion never is what a review
    of the same change would flag."""
    if not checked.text.strip():
        return []
    from daima.review.checks import injections

    spliced = checked.checker.spliced_text(checked.text)
    found = injections(spliced, set(checked.checker.lines_of(checked.text)), checked.language)
    return [Finding(INJECTION, (f.rule_id,), f"{f.rule_id}: {f.message}") for f in found]


def _made_up(checked: Checked) -> list[Finding]:
    names = checked.made_up(checked.text) if checked.made_up is not None else []
    return _found(MADE_UP_NAME, names, "names the English reading made up: " + ", ".join(names))


UNRESOLVED = "unresolved-name"
UNKNOWN_ATTRIBUTE = "unknown-attribute"
UNBOUND = "leaves-unbound"
UNREACHABLE = "unreachable-code"
REPEATS_SUFFIX = "repeats-suffix"
NO_EFFECT = "no-effect"
DEAD_STORE = "dead-store"
SHADOWS_BUILTIN = "shadows-builtin"
ENDLESS_LOOP = "endless-loop"
MISUSED_LITERAL = "misused-literal"
DUPLICATE_KEY = "duplicate-key"
REUSED_LOOP_NAME = "reused-loop-name"
READ_BEFORE_BOUND = "read-before-bound"
MADE_UP_NAME = "made-up-name"
INJECTION = "injection"

RULES: tuple[Rule, ...] = (
    Rule(
        id=UNRESOLVED,
        prevents="a call or read of a name that exists nowhere: a NameError, or a wrong name",
        find=_unresolved,
    ),
    Rule(
        id=UNKNOWN_ATTRIBUTE,
        prevents="`商品.价格` where the document's class 商品 has no such field (fields.py)",
        find=_unknown_attributes,
    ),
    Rule(
        id=UNBOUND,
        prevents="a line that leaves a name the code below reads unbound",
        find=_unbound,
        steer="pipeline",
        needs_code_below=True,
    ),
    Rule(
        id=UNREACHABLE,
        prevents="`return` or `raise` above code of the same block, which then never runs",
        find=_unreachable,
        steer="first_word",
        counts="once",
        needs_code_below=True,
    ),
    Rule(
        id=REPEATS_SUFFIX,
        prevents="a copy of the line after the cursor (the small model's likeliest guess)",
        find=_repeats_suffix,
        steer="pipeline",
        counts="none",
        needs_code_below=True,
    ),
    Rule(
        id=NO_EFFECT,
        prevents="`x = x`: a line that does nothing",
        find=_no_effect,
        steer="none",
        counts="once",
    ),
    Rule(
        id=DEAD_STORE,
        prevents="a new name assigned in the middle of a function that nothing reads",
        find=_dead_stores,
        needs_code_below=True,
    ),
    Rule(id=SHADOWS_BUILTIN, prevents="`sum = 0` above code that calls `sum(...)`", find=_shadows),
    Rule(
        id=ENDLESS_LOOP,
        prevents="a `while` loop whose condition nothing in it can change",
        find=_endless,
        steer="first_word",
        counts="once",
    ),
    Rule(
        id=MISUSED_LITERAL,
        prevents="a literal of one kind where the code after uses another (`x = 0`, then `x.append`)",
        find=_misused,
        needs_code_below=True,
    ),
    Rule(
        id=DUPLICATE_KEY,
        prevents="a dict entry whose key the dict already has (it silently replaces that entry)",
        find=_duplicate_keys,
        steer="quoted_keys",
    ),
    Rule(
        id=REUSED_LOOP_NAME,
        prevents="an inner loop that reuses the variable of the loop around it",
        find=_reused_loop_names,
    ),
    Rule(
        id=READ_BEFORE_BOUND,
        prevents="a name made local to its function and read before it is bound (UnboundLocalError)",
        find=_read_before_bound,
    ),
    Rule(
        id=INJECTION,
        prevents="SQL, a shell command or eval input built from a value by formatting (`execute(f'… {x}')`)",
        find=_injection,
        steer="none",  # no token to push: the sampled candidates that follow differ
        never_shown=True,
    ),
    Rule(
        id=MADE_UP_NAME,
        prevents="an English alias of a Chinese identifier (`total` for 总价), or a field it does not have",
        find=_made_up,
        never_shown=True,
    ),
)
BY_ID = {rule.id: rule for rule in RULES}


def run_rules(checked: Checked) -> tuple[Finding, ...]:
    """Every rule's findings for one candidate, in registry order."""
    below = bool(checked.suffix.strip())
    found: list[Finding] = []
    for rule in RULES:
        if rule.needs_code_below and not below:
            continue
        found += rule.find(checked)
    return tuple(found)


def problem_count(findings: Sequence[Finding]) -> int:
    """How many things the findings say are wrong (fewer is better)."""
    total = 0
    for finding in findings:
        counts = BY_ID[finding.rule].counts
        total += len(finding.subjects) if counts == "subjects" else (counts == "once")
    return total


def steer_from(findings: Sequence[Finding]) -> tuple[set[str], bool, set[str]]:
    """What a candidate's findings ask of the next one: the names (and words) whose first tokens go
    down, whether the line must not begin with the same word, and the names the code has instead."""
    names: set[str] = set()
    first_word_too = False
    instead = {name for finding in findings for name in finding.instead}
    for finding in findings:
        how = BY_ID[finding.rule].steer
        if how == "subjects":
            names.update(finding.subjects)
        elif how == "quoted_keys":
            names.update(first_word(k.strip("'\"")) for k in finding.subjects if k[:1] in "'\"")
        elif how == "first_word":
            first_word_too = True
    return names, first_word_too, instead
