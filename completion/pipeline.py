"""The composed completion pipeline: prompt → stream → post-process → checks → `Suggestion`.

`complete` is what the server (on its worker thread) and `daima complete` call. With no engine it
falls back to the identifier completer in words.py, so completion works while a model loads or when
the model is "none". With an engine it streams the greedy completion through the post-processor
(calling `on_partial` as lines arrive), then checks the result: every name it reads must resolve
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
from typing import Any

from daima.config import CompletionOptions
from daima.model.api import CancelToken, Engine, GenerationRequest, GenerationStats
from daima.text import TextDocument

from . import words
from .candidates import Candidate, bias_for_names, choose
from .names import unresolved_names, visible_names
from .postprocess import Hole, PostProcessor, Processed, suggestion_text
from .prompt import Prompt, build_prompt
from .syntax import SpliceChecker, comment_marker, language_for, longest_valid_prefix
from .templates import FimTemplate, match_template

log = logging.getLogger(__name__)


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
    notes: tuple[str, ...] = field(default=())  # what the checks did, for logs and `daima complete --json`


def complete(
    document: TextDocument,
    offset: int,
    *,
    engine: Engine | None,
    index: Any = None,
    options: CompletionOptions,
    path: Path | None = None,
    language_id: str = "",
    recent_edits: Any = None,
    cancel: CancelToken | None = None,
    on_partial: Callable[[str], None] | None = None,
) -> Suggestion | None:
    """The suggestion at `offset`, or None when there is nothing worth showing."""
    started = time.monotonic()
    if engine is None:
        found = words.complete_word(document, offset, index=index, path=path)
        if found is None:
            return None
        return Suggestion(text=found.text, start=offset, end=offset, source="words")
    language = language_for(language_id or document.language_id, path)
    prompt = build_prompt(
        document, offset, engine=engine, index=index, options=options, path=path,
        language_id=language, recent_edits=recent_edits,
    )  # fmt: skip
    text = document.text
    request = _request(prompt, options, started, match_template(engine.info, options.template))
    hole = Hole(
        prefix=text[:offset],
        suffix=text[offset:],
        mode=prompt.mode,
        max_lines=prompt.max_lines,
        forced_prefix=request.forced_prefix,
        comment=comment_marker(language),
    )
    checker = SpliceChecker(text, offset, offset, language)
    visible = visible_names(text, offset, offset, language, index=index, path=path)
    stats = GenerationStats()
    tried: list[Candidate] = []
    for attempt in range(1 + max(0, options.extra_candidates)):
        if cancel is not None and cancel.cancelled:
            return None
        if attempt and request.expired():
            break
        variant = _variant(request, attempt, tried, visible, engine)
        candidate = _generate(engine, variant, hole, cancel, on_partial if attempt == 0 else None, stats)
        if candidate is None:
            return None
        candidate = _check(candidate, checker, visible, language)
        tried.append(candidate)
        if candidate.ok:
            break
    best = choose(tried)
    final = suggestion_text(hole, Processed(best.text, best.back)) if best is not None else None
    if best is None or final is None:
        return None
    return Suggestion(
        text=final,
        start=offset - best.back,
        end=offset,
        prompt_tokens=stats.prompt_tokens,
        cached_tokens=stats.cached_tokens,
        generated_tokens=stats.generated_tokens,
        candidates=len(tried),
        time_to_first_token_s=stats.time_to_first_token_s,
        total_s=time.monotonic() - started,
        notes=best.notes,
    )


def _request(
    prompt: Prompt, options: CompletionOptions, started: float, template: FimTemplate
) -> GenerationRequest:
    """The greedy request for a built prompt.

    Indentation is not healed: forced to reproduce a run of spaces, the 0.5B model picks a longer
    whitespace token and derails (measured on HumanEval: empty or garbage lines). The indentation goes
    back into the prompt as typed instead, which is what the model saw in training.
    """
    forced = prompt.forced_prefix
    body: str | list[int] = list(prompt.token_ids) if prompt.token_ids else prompt.text
    if forced and not forced.strip() and template.order == "PSM":
        cut = prompt.text.rfind(template.suffix)
        if cut >= 0:
            body, forced = prompt.text[:cut] + forced + prompt.text[cut:], ""
    return GenerationRequest(
        prompt=body,
        max_tokens=options.max_tokens,
        stop=prompt.stop,
        stop_token_ids=prompt.stop_token_ids,
        deadline=started + options.max_time_ms / 1000 if options.max_time_ms > 0 else None,
        forced_prefix=forced,
    )


def _variant(
    request: GenerationRequest, attempt: int, tried: list[Candidate], visible: set[str], engine: Engine
) -> GenerationRequest:
    """Attempt 0 is greedy. When earlier ones read names that do not exist, the next is greedy again with
    those names' first tokens pushed down; otherwise (or after that) candidates are sampled."""
    if attempt == 0:
        return request
    unresolved = sorted({name for candidate in tried for name in candidate.unresolved})
    bias = bias_for_names(engine, unresolved, [])
    steered = any(candidate.steered for candidate in tried)
    if bias and not steered:
        return replace(request, logit_bias=bias)
    return replace(request, logit_bias=bias or None, temperature=0.7, top_p=0.95, seed=attempt)


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
    processed = processor.finish()
    return Candidate(
        text=processed.text,
        back=processed.back,
        temperature=request.temperature,
        steered=bool(request.logit_bias) and request.temperature == 0,
    )


def _check(candidate: Candidate, checker: SpliceChecker, visible: set[str], language: str) -> Candidate:
    """Cut the candidate to what keeps the file valid and record the names it reads that do not exist."""
    notes = list(candidate.notes)
    text = candidate.text
    valid = longest_valid_prefix(checker, text) if checker.available else text
    if valid != text:
        notes.append(f"cut to keep the file valid ({len(text) - len(valid)} characters dropped)")
    parses = checker.parses(valid) if checker.available else True
    missing = unresolved_names(valid, visible, language)
    if missing:
        notes.append("unresolved: " + ", ".join(missing))
    return replace(candidate, text=valid, parses=parses, unresolved=tuple(missing), notes=tuple(notes))


def _add_stats(total: GenerationStats, one: GenerationStats) -> None:
    if total.time_to_first_token_s is None:
        total.time_to_first_token_s = one.time_to_first_token_s
        total.prompt_tokens = one.prompt_tokens
        total.cached_tokens = one.cached_tokens
    total.generated_tokens += one.generated_tokens
    total.total_s += one.total_s
    total.finish_reason = one.finish_reason
