"""The composed completion pipeline: prompt → stream → post-process → checks → `Suggestion`.

`complete` is what the server (on its worker thread) and `daima complete` call. With no engine it
falls back to the identifier completer in words.py, so completion works while a model loads or when
the model is "none". With an engine it streams the greedy completion through the post-processor
(calling `on_partial` as the text grows), then checks the result: every name it reads must resolve
(names.py) and the splice must not break a file that parsed (syntax.py). When a check fails it asks
for more candidates that share the cached prompt — greedy with the unresolved names' tokens pushed down
and in-scope names pushed up, then sampled ones — and keeps the first that passes, else the best.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from daima.config import CompletionOptions
from daima.indexer.api import CodeIndex
from daima.indexer.languages import line_comment
from daima.model.api import CancelToken, Engine, GenerationRequest, GenerationStats
from daima.text import TextDocument

from . import words
from .anchor import PrefixAnchors
from .candidates import (
    Candidate,
    choose,
)
from .context import RecentEdits
from .names import NameScope, index_names, name_scope
from .needs import Needs, needs_at
from .postprocess import Hole, PostProcessor, Processed, suggestion_text
from .prepare import Prepared, prepare, request_for
from .prompt import Prompt
from .rules import Checked, run_rules
from .security import held_back_near_sinks, parameterized_instead
from .steering import steered
from .syntax import SpliceChecker, language_for, longest_valid_prefix, python_header
from .templates import match_template

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tried:
    """One candidate the pipeline generated for the hole (it replaces text[start:cursor]) and the rules
    that refused it (none when it passed): `complete(trace=…)` collects them for `daima complete --json`
    and the evals' per-rule figures."""

    text: str
    start: int
    rules: tuple[str, ...] = ()
    parses: bool = True


@dataclass(frozen=True, kw_only=True)
class Suggestion:
    """`text` replaces document.text[start:end] (usually start == end == the cursor)."""

    text: str
    start: int
    end: int
    source: str = "model"  # "model" or "words" (the identifier completer)
    prompt_tokens: int = 0
    cached_tokens: int = 0
    generated_tokens: int = 0
    candidates: int = 0  # generations it took (1 when the greedy one passed the checks)
    time_to_first_token_s: float | None = None
    total_s: float = 0.0
    # How the generations ended: "deadline" when any was cut by the deadline, else the last one's reason.
    finish_reason: str = ""
    notes: tuple[str, ...] = field(default=())  # what the checks did, for logs and `daima complete --json`
    # Other suggestions that passed every check, best first, none with the same text (for cycling).
    alternatives: tuple[Suggestion, ...] = ()


def complete(
    document: TextDocument,
    offset: int,
    *,
    engine: Engine | None,
    index: CodeIndex | None = None,
    options: CompletionOptions,
    path: Path | None = None,
    language_id: str = "",
    recent_edits: RecentEdits | None = None,
    cancel: CancelToken | None = None,
    on_partial: Callable[[str], None] | None = None,
    alternatives: int = 0,
    trace: list[Tried] | None = None,
    anchors: PrefixAnchors | None = None,
    received: float | None = None,
    on_quick_prompt: Callable[[], None] | None = None,
) -> Suggestion | None:
    """The suggestion at `offset`, or None when there is nothing worth showing.

    `alternatives`: how many further suggestions to look for after one passes the checks (sampled,
    within the same deadline), as when the user asks to cycle through several. `trace`: gets every
    candidate generated, in order, with the rules that refused it, whether one is shown or not.
    `anchors`: where this document's prompt started at the previous keystroke (anchor.py), kept and
    updated; without them every prompt is cut afresh. `received`: when the request arrived
    (time.monotonic()); the deadline counts from then, time spent waiting for the worker included.
    With anchors, a prompt that would not prefill within the deadline is replaced by a quick one
    (`prepare.quick_budget`), and `on_quick_prompt` is called so the caller can warm the full one."""
    started = time.monotonic() if received is None else received
    if engine is None:
        found = words.complete_words(document, offset, index=index, path=path, limit=1 + alternatives)
        if not found:
            return None
        shown = [Suggestion(text=word.text, start=offset, end=offset, source="words") for word in found]
        return replace(shown[0], alternatives=tuple(shown[1:]))
    log.debug("completion started %.0f ms after the request arrived", (time.monotonic() - started) * 1000)
    language = language_for(language_id or document.language_id, path)
    job = _Job(engine, index, options, path, language, cancel, started, alternatives, trace=trace)
    prepared = prepare(
        document, offset, engine=engine, index=index, options=options, path=path, language=language,
        recent_edits=recent_edits, anchors=anchors, quick=anchors is not None,
    )  # fmt: skip
    log.debug(
        "%s prompt of %d tokens, built %.0f ms after the request arrived",
        "quick" if prepared.quick else "full", len(prepared.prompt.token_ids),
        (time.monotonic() - started) * 1000,
    )  # fmt: skip
    if prepared.quick and on_quick_prompt is not None:
        on_quick_prompt()
    if prepared.reading is None:
        return _complete(document, offset, prepared.prompt, job, on_partial, prepared.checker)
    return _complete_in_reading(prepared, document, offset, job, on_partial)


@dataclass(frozen=True)
class _Job:
    """What one completion request works with, beside the document and the cursor."""

    engine: Engine
    index: CodeIndex | None
    options: CompletionOptions
    path: Path | None
    language: str
    cancel: CancelToken | None
    started: float
    alternatives: int = 0  # further suggestions wanted once one passes the checks
    # In the English reading: the names of an answer that the reading made up (Reading.made_up_names),
    # given the names the index knows. None when the model reads the document's own names.
    made_up: Callable[[str, frozenset[str]], list[str]] | None = None
    trace: list[Tried] | None = None  # every candidate and what refused it (complete's `trace`)


def _complete_in_reading(
    prepared: Prepared,
    document: TextDocument,
    offset: int,
    job: _Job,
    on_partial: Callable[[str], None] | None,
) -> Suggestion | None:
    """Complete the document as the model reads it best (readings.py) and answer in its own names."""
    reading, shown, shown_offset = prepared.reading, prepared.document, prepared.offset
    prompt, checker = prepared.prompt, prepared.checker
    assert reading is not None
    comment = line_comment(job.language)

    def partial(text: str) -> None:
        if on_partial is not None and not reading.made_up_names(text, comment):
            on_partial(reading.stable_partial(text, comment))

    def native_text(text: str, start: int) -> tuple[str, int]:
        native_start = reading.native_offset(start)
        renamed_head = reading.text[reading.reading_offset(native_start) : start]  # it began in a name
        return reading.to_native(renamed_head + text, comment), native_start

    def native_tried(tried: Tried) -> Tried:
        text, start = native_text(tried.text, tried.start)
        return replace(tried, text=text, start=start)

    trace = job.trace
    shown_trace: list[Tried] | None = [] if trace is not None else None
    job = replace(
        job, made_up=lambda text, known: reading.made_up_names(text, comment, known), trace=shown_trace
    )
    try:
        found = _complete(shown, shown_offset, prompt, job, None if on_partial is None else partial, checker)
    finally:
        if trace is not None and shown_trace is not None:
            trace.extend(native_tried(tried) for tried in shown_trace)
    if found is None:
        return None

    def native(suggestion: Suggestion) -> Suggestion:
        text, start = native_text(suggestion.text, suggestion.start)
        return replace(
            suggestion,
            text=text,
            start=start,
            end=reading.native_offset(suggestion.end),
            notes=(*suggestion.notes, f"English reading of {len(reading.aliases)} names"),
        )

    return replace(native(found), alternatives=tuple(native(other) for other in found.alternatives))


def _complete(
    document: TextDocument,
    offset: int,
    prompt: Prompt,
    job: _Job,
    on_partial: Callable[[str], None] | None,
    checker: SpliceChecker,
) -> Suggestion | None:
    engine, index, options, path, language, cancel = (
        job.engine, job.index, job.options, job.path, job.language, job.cancel
    )  # fmt: skip
    text = document.text
    request = request_for(prompt, options, job.started, match_template(engine.info, options.template))
    hole = Hole(
        prefix=text[:offset],
        suffix=text[offset:],
        mode=prompt.mode,
        max_lines=prompt.max_lines,
        forced_prefix=request.forced_prefix,
        comment=line_comment(language),
        language=language,
        prefix_tree=checker.head_tree,
    )
    indexed = index_names(index, path, text, offset)
    names = name_scope(checker, language, indexed)
    line_before = text[text.rfind("\n", 0, offset) + 1 : offset]
    needs = needs_at(checker, names, language, line_before, text[offset:])
    stats = GenerationStats()
    tried: list[Candidate] = []
    showable: list[Candidate] = []  # a made-up name never maps back to the user's: never shown
    known = frozenset(indexed)
    shown_partial = held_back_near_sinks(on_partial, hole.suffix, language) if on_partial else None
    made_up = (lambda text: job.made_up(text, known)) if job.made_up else None  # type: ignore[misc]
    for attempt in range(1 + max(0, options.extra_candidates, job.alternatives)):
        if cancel is not None and cancel.cancelled:
            return None
        if attempt and request.expired():
            break
        variant = steered(request, attempt, tried, engine, needs)
        candidate = _generate(engine, variant, hole, cancel, shown_partial if attempt == 0 else None, stats)
        if candidate is None:
            log.debug(
                "candidate %d: no text (%s; %d prompt tokens, %d cached) %.0f ms after the request arrived",
                attempt, stats.finish_reason, stats.prompt_tokens, stats.cached_tokens,
                (time.monotonic() - job.started) * 1000,
            )  # fmt: skip
            return None
        candidate = _check(candidate, checker, names, language, needs, hole.suffix, made_up)
        log.debug("candidate %d %r: %s", attempt, candidate.text, "; ".join(candidate.notes) or "ok")
        tried.append(candidate)
        if job.trace is not None:
            rules = tuple(dict.fromkeys(finding.rule for finding in candidate.findings))
            job.trace.append(Tried(candidate.text, offset - candidate.back, rules, candidate.parses))
        if not candidate.shown_never:
            showable.append(candidate)
        if sum(c.ok for c in showable) > job.alternatives:
            break
    if not any(candidate.ok for candidate in showable):

        def check(candidate: Candidate) -> Candidate:
            return _check(candidate, checker, names, language, needs, hole.suffix, made_up)

        safe = parameterized_instead(tried, checker, language, offset, check)
        if safe is not None:
            showable.append(safe)
            if job.trace is not None:
                job.trace.append(Tried(safe.text, offset, (), safe.parses))
    best = choose(showable)
    final = suggestion_text(hole, Processed(best.text, best.back)) if best is not None else None
    if best is None or final is None:
        return None
    others: list[Suggestion] = []
    for candidate in showable:
        other = suggestion_text(hole, Processed(candidate.text, candidate.back)) if candidate.ok else None
        if other and candidate is not best and other not in {final, *(o.text for o in others)}:
            others.append(
                Suggestion(text=other, start=offset - candidate.back, end=offset, notes=candidate.notes)
            )
    return Suggestion(
        alternatives=tuple(others),
        text=final,
        start=offset - best.back,
        end=offset,
        prompt_tokens=stats.prompt_tokens,
        cached_tokens=stats.cached_tokens,
        generated_tokens=stats.generated_tokens,
        candidates=len(tried),
        time_to_first_token_s=stats.time_to_first_token_s,
        total_s=time.monotonic() - job.started,
        finish_reason=stats.finish_reason,
        notes=best.notes,
    )


def _generate(
    engine: Engine,
    request: GenerationRequest,
    hole: Hole,
    cancel: CancelToken | None,
    on_partial: Callable[[str], None] | None,
    stats: GenerationStats,
) -> Candidate | None:
    """Stream one generation through the post-processor; None when cancelled."""
    processor = PostProcessor(hole)
    stream = engine.stream(request, cancel)
    shown = ""
    deltas = iter(stream)
    try:
        for delta in deltas:
            stop = processor.feed(delta)
            if on_partial is not None and processor.partial != shown and processor.partial.strip():
                shown = processor.partial
                on_partial(shown)
            if stop:
                break
    finally:
        close = getattr(deltas, "close", None)
        if close is not None:
            close()  # ends the engine's generation loop early
    _add_stats(stats, stream.stats)
    if cancel is not None and cancel.cancelled:
        return None
    processed = processor.finish(cut_short=stream.stats.finish_reason in ("deadline", "length"))
    return Candidate(
        text=processed.text,
        back=processed.back,
        temperature=request.temperature,
        steered=request.temperature == 0
        and (bool(request.logit_bias) or request.forced_prefix != hole.forced_prefix),
        forced=request.forced_prefix if request.forced_prefix != hole.forced_prefix else "",
        bias=len(request.logit_bias or {}),
        token_ids=tuple(stream.stats.token_ids),
    )


def _check(
    candidate: Candidate,
    checker: SpliceChecker,
    names: NameScope,
    language: str,
    needs: Needs,
    suffix: str = "",
    made_up: Callable[[str], list[str]] | None = None,
) -> Candidate:
    """Cut the candidate to what keeps the file valid, then run the rules (rules.py) on what is left:
    names it reads that do not exist, what the code after it needs and does not get (needs.py), what it
    would do wrong when it runs (behaviour.py)."""
    notes = list(candidate.notes)
    text = candidate.text
    valid = longest_valid_prefix(checker, text) if checker.available else text
    if valid == text.rstrip() + ",":
        notes.append("added the comma the next item needs")
    elif valid and language == "python" and valid == python_header(text):
        notes.append("kept the header: its body is the code below it")
    elif valid != text:
        notes.append(f"cut to keep the file valid ({len(text) - len(valid)} characters dropped)")
    parses = checker.parses(valid) if checker.available else True
    if not parses:
        notes.append("the file does not parse with it")
    checked = Checked(
        text=valid,
        line_before=needs.line_before[: len(needs.line_before) - candidate.back],  # the text it replaces goes
        needs=needs,
        names=names,
        language=language,
        suffix=suffix,
        checker=checker,
        made_up=made_up,
    )
    findings = run_rules(checked)
    return replace(
        candidate,
        text=valid,
        uncut=text if valid != text else "",
        parses=parses,
        findings=findings,
        binds=tuple(sorted(checked.reads.binds)),
        notes=(*notes, *(finding.note for finding in findings)),
    )


def _add_stats(total: GenerationStats, one: GenerationStats) -> None:
    if total.time_to_first_token_s is None:
        total.time_to_first_token_s = one.time_to_first_token_s
        total.prompt_tokens = one.prompt_tokens
        total.cached_tokens = one.cached_tokens
    total.generated_tokens += one.generated_tokens
    total.total_s += one.total_s
    if total.finish_reason != "deadline":  # once any generation ran out of time, the request did
        total.finish_reason = one.finish_reason
