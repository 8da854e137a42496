"""The prompt step of a completion: the prompt for a hole, as the model will read it.

The document itself, or its English reading (readings.py) with the cross-file context gathered from the
real text and shown under the same names; anchored from one keystroke to the next in the server
(anchor.py); and, when the full prompt could not be prefilled within the deadline (a file opened cold on
a CPU), a quick one sized to the engine's measured speed. The pipeline asks for a prompt here, and so
does the server's warm path, so a warmed prompt is exactly the one the next request builds.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

from daima.config import CompletionOptions
from daima.indexer.api import CodeIndex
from daima.model.api import CancelToken, Engine, GenerationRequest, GenerationStats
from daima.text import TextDocument

from .anchor import HEADROOM, PrefixAnchor, PrefixAnchors
from .context import RecentEdits, gather_context
from .prompt import Prompt, build_prompt
from .readings import Reading, english_reading
from .syntax import SpliceChecker, language_for
from .templates import FimTemplate, Snippet, match_template

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    """The prompt for a hole and what the model reads: the document itself, or its English reading."""

    document: TextDocument  # the text the prompt was built from (the reading's, when there is one)
    offset: int
    prompt: Prompt
    checker: SpliceChecker  # the splice checker over that text
    reading: Reading | None
    quick: bool = False  # the prompt is the short one a cold start can prefill in time


def prepare(
    document: TextDocument,
    offset: int,
    *,
    engine: Engine,
    index: CodeIndex | None,
    options: CompletionOptions,
    path: Path | None,
    language: str,
    recent_edits: RecentEdits | None = None,
    anchors: PrefixAnchors | None = None,
    quick: bool = False,
) -> Prepared:
    """The prompt for the hole at `offset`. With `anchors`, the prompt keeps the previous keystroke's
    first prefix line and cross-file context while they fit (anchor.py says why), and they are updated.
    `quick`: a prompt that would not prefill in time may be replaced by a short one (`quick_budget`)."""
    # The one parse of the document for this keystroke: the prompt, the reading and the checks share it.
    checker = SpliceChecker(document.text, offset, offset, language)
    reading = english_reading(document, offset, language, checker.tree) if options.english_reading else None
    anchor = anchors.hint(document.uri, document.text, offset) if anchors is not None else None
    headroom = HEADROOM if anchors is not None else 0.0
    shown, shown_offset = document, offset
    if reading is not None:
        shown = TextDocument(document.uri, reading.text, document.version, document.language_id)
        shown_offset = reading.reading_offset(offset)
        checker = SpliceChecker(reading.text, shown_offset, shown_offset, language)  # the reading's text

    def build(anchored: PrefixAnchor | None) -> tuple[Prompt, list[Snippet] | None]:
        """The prompt, and the native snippets it kept (None when build_prompt gathered them itself)."""
        native: list[Snippet] | None = list(anchored.snippets) if anchored is not None else None
        if native is None and reading is not None:
            root = index.root if index is not None else None
            native = gather_context(
                document, offset, index=index, path=path, recent_edits=recent_edits, root=root
            )  # fmt: skip
        given = native
        if reading is not None and native is not None:
            given = [replace(snippet, text=reading.to_reading(snippet.text)) for snippet in native]
        start = None if anchored is None else anchored.offset
        if reading is not None and start is not None:
            start = reading.reading_offset(start)
        prompt = build_prompt(
            shown, shown_offset, engine=engine, index=index, options=options, path=path,
            language_id=language, recent_edits=recent_edits, tree=checker.tree, snippets=given,
            anchor=start, headroom=headroom, keep_snippets=anchored is not None,
            kept_suffix_cap=anchored.suffix_cap if anchored is not None else None,
        )  # fmt: skip
        kept = None
        if native is not None and given is not None:
            by_id = {id(shown_snippet): snippet for shown_snippet, snippet in zip(given, native, strict=True)}
            kept = [by_id[id(s)] for s in prompt.snippets if id(s) in by_id]
        return prompt, kept

    prompt, kept = build(anchor)
    start = reading.native_offset(prompt.prefix_start) if reading is not None else prompt.prefix_start
    if anchor is not None and start != anchor.offset:  # the prefix outgrew the anchor: a new place
        prompt, kept = build(None)
        start = reading.native_offset(prompt.prefix_start) if reading is not None else prompt.prefix_start
    if anchors is not None:
        snippets = prompt.snippets if kept is None else kept
        anchors.remember(document.uri, document.text, start, snippets, prompt.tokens.suffix_cap)
    short = quick_budget(engine, options, prompt) if quick else None
    if short is not None:
        # The full prompt stays the anchored one (the caller warms it); this one is asked now.
        quick_options = replace(options, prompt_tokens=short)
        quick_prompt = build_prompt(
            shown, shown_offset, engine=engine, index=index, options=quick_options, path=path,
            language_id=language, tree=checker.tree, snippets=[],
        )  # fmt: skip
        return Prepared(shown, shown_offset, quick_prompt, checker, reading, quick=True)
    return Prepared(shown, shown_offset, prompt, checker, reading)


QUICK_PREFILL_SHARE = 0.5  # of the deadline, what a request may spend prefilling what is not cached
QUICK_MIN_TOKENS = 64  # a few lines: below this a suggestion has too little to go on


def quick_budget(engine: Engine, options: CompletionOptions, prompt: Prompt) -> int | None:
    """The size of a prompt the engine can prefill in time, when `prompt` cannot be: on a CPU a file
    opened cold is a ~2,000-token prompt that takes seconds, and the deadline would pass with nothing
    shown. None when the prompt fits (or the engine cannot tell its speed or its cache)."""
    meter = getattr(engine, "prefill_meter", None)
    cached_tokens = getattr(engine, "cached_tokens", None)
    speed = meter.tokens_per_s if meter is not None else None
    if speed is None or cached_tokens is None or options.max_time_ms <= 0:
        return None
    affordable = int(speed * options.max_time_ms / 1000 * QUICK_PREFILL_SHARE)
    ids = prompt.token_ids or tuple(engine.tokenize(prompt.text))
    short = max(QUICK_MIN_TOKENS, affordable)
    # Only a much shorter prompt is worth what it leaves out (a small file's prompt is asked whole).
    if len(ids) - cached_tokens(ids) <= affordable or len(ids) < 2 * short:
        return None
    return short


def request_for(
    prompt: Prompt, options: CompletionOptions, started: float, template: FimTemplate
) -> GenerationRequest:
    """The greedy request for a built prompt.

    Indentation is not healed: forced to reproduce a run of spaces, the 0.5B model picks a longer
    whitespace token and derails (empty or garbage lines). The indentation goes
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


def warm(
    document: TextDocument,
    offset: int,
    *,
    engine: Engine,
    index: CodeIndex | None = None,
    options: CompletionOptions,
    path: Path | None = None,
    language_id: str = "",
    recent_edits: RecentEdits | None = None,
    cancel: CancelToken | None = None,
    anchors: PrefixAnchors | None = None,
) -> GenerationStats:
    """Prefill the prompt that a completion at `offset` would send, and generate nothing worth showing,
    so that request (or the next keystroke's, which shares all but its last line) finds the prompt in
    the KV cache. No deadline: `cancel` stops it between layers; the chunks done before stay cached."""
    language = language_for(language_id or document.language_id, path)
    began = time.monotonic()
    prepared = prepare(
        document, offset, engine=engine, index=index, options=options, path=path, language=language,
        recent_edits=recent_edits, anchors=anchors,
    )  # fmt: skip
    log.debug("warm prompt of %d tokens built in %.0f ms", len(prepared.prompt.token_ids),
              (time.monotonic() - began) * 1000)  # fmt: skip
    template = match_template(engine.info, options.template)
    request = replace(
        request_for(prepared.prompt, options, time.monotonic(), template),
        max_tokens=1,
        deadline=None,
        forced_prefix="",
        background=True,  # any request stops it between layers, not after the chunk it is in
    )
    stream = engine.stream(request, cancel)
    stream.text()
    return stream.stats
