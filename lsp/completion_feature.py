"""inlineCompletion and completion: snapshot the document, run the pipeline on the worker, convert.

A suggestion is only returned for the document version it was computed on: if the user typed in the
meantime the answer is dropped (the newer request has already cancelled it in the common case).
While the user types the start of the suggestion last shown, the rest is answered at once without the
model (completion/type_through.py). `daima/cursor` (a client's note of where the cursor arrived) warms
the KV cache with the prompt a request there will build, in the background (`warm_at`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from daima.completion import pipeline, prepare
from daima.completion.context import RecentEdits
from daima.completion.type_through import Shown, continue_shown
from daima.model.api import CancelToken, EngineError
from daima.nextedit.rename import widen
from daima.text import AppliedEdit, PositionError, TextDocument

from . import convert
from .documents import MAX_COMPLETION_CHARS

if TYPE_CHECKING:
    from .server import DaimaServer

log = logging.getLogger(__name__)

COMPLETION_PROGRESS = "daima/completionProgress"
CURSOR = "daima/cursor"
_BACKGROUND: set[asyncio.Task[None]] = set()
INVOKED_ALTERNATIVES = 2  # further suggestions sought when the user asks (3 to cycle through)


class EditRecorder:
    """Feeds the document edits the user makes to the completion context ("recently edited")."""

    def __init__(self) -> None:
        self.edits = RecentEdits()

    def record(self, uri: str, document: TextDocument, edits: list[AppliedEdit]) -> None:
        path = convert.uri_to_path(uri)
        for edit in edits:
            try:
                self.edits.record(path or uri, document, edit)
            except Exception:
                log.exception("could not record an edit")


def new_recent_edits() -> EditRecorder:
    return EditRecorder()


class ShownSuggestions:
    """The suggestion last shown in each document, for type-through."""

    def __init__(self) -> None:
        self._shown: dict[str, Shown] = {}

    def remember(self, uri: str, document: TextDocument, offset: int, suggestion: Any) -> None:
        shown = Shown.of(document.text, offset, suggestion) if suggestion is not None else None
        if shown is None:
            self._shown.pop(uri, None)
        else:
            self._shown[uri] = shown

    def continued(self, uri: str, document: TextDocument, offset: int) -> Any:
        """The rest of the shown suggestion when the user typed its start; None otherwise."""
        shown = self._shown.get(uri)
        return continue_shown(shown, document.text, offset) if shown is not None else None

    def forget(self, uri: str) -> None:
        self._shown.pop(uri, None)


def _snapshot(ls: DaimaServer, uri: str, position: lsp.Position) -> tuple[TextDocument, int] | None:
    """The document copy and cursor offset to complete at, or None (with a log line) when there is none."""
    if not ls.options.completion.enabled:
        return None
    document = ls.documents.snapshot(uri)
    if document is None:
        log.warning("completion requested for %s, which is not open or is out of sync", uri)
        return None
    if document.language_id in ls.options.completion.disabled_languages:
        return None
    if len(document.text) > MAX_COMPLETION_CHARS or "\x00" in document.text:
        log.warning("not completing %s: binary or larger than %d characters", uri, MAX_COMPLETION_CHARS)
        return None
    try:
        offset = document.offset_at(convert.position(position), ls.encoding)
    except PositionError as error:
        log.warning("completion position rejected: %s", error)
        return None
    return document, offset


async def _suggest(
    ls: DaimaServer, uri: str, position: lsp.Position, alternatives: int = 0
) -> tuple[TextDocument, Any] | None:
    received = time.monotonic()
    prepared = _snapshot(ls, uri, position)
    if prepared is None:
        return None
    document, offset = prepared
    enc = ls.encoding
    cursor_range = convert.offsets_to_lsp_range(document, offset, offset, enc)
    partial_head = {
        "uri": uri,
        "version": document.version,
        "position": convert.to_json(position),
        "range": convert.to_json(cursor_range),
    }

    def up_to_date() -> bool:  # a partial for text the user has typed past is never sent
        now = ls.documents.get(uri)
        return now is not None and now.version == document.version and ls.documents.is_in_sync(uri)

    def on_partial(text: str) -> None:
        # Nothing to draw yet (the English reading holds back a name until it is whole): an empty partial
        # would only take the place of the answer in an editor that shows the first one it gets.
        if text.strip() and up_to_date():
            ls.notify_threadsafe(
                COMPLETION_PROGRESS, {**partial_head, "text": text, "done": False}, up_to_date
            )

    through = ls.shown.continued(uri, document, offset) if not alternatives else None
    if through is not None:
        ls.scheduler.cancel(uri)  # the user typed on: an older request's answer is no longer wanted
        suggestion = through
    else:
        suggestion = await _run_pipeline(
            ls, uri, document, offset, on_partial, alternatives, received, position
        )
    current = ls.documents.get(uri)
    if suggestion is None or current is None or current.version != document.version:
        if current is not None and current.version == document.version:
            ls.shown.forget(uri)
        return None
    ls.shown.remember(uri, document, offset, suggestion)
    # The final text replaces the suggestion's own range, which may start before the cursor.
    final_range = convert.offsets_to_lsp_range(document, suggestion.start, suggestion.end, enc)
    final = {**partial_head, "range": convert.to_json(final_range)}
    stats = {
        "source": suggestion.source,
        "promptTokens": suggestion.prompt_tokens,
        "cachedTokens": suggestion.cached_tokens,
        "generatedTokens": suggestion.generated_tokens,
        "candidates": suggestion.candidates,
        "finishReason": suggestion.finish_reason,
        "totalMs": round(suggestion.total_s * 1000, 1),
    }
    ls.protocol.notify(COMPLETION_PROGRESS, {**final, "text": suggestion.text, "done": True, "stats": stats})
    return document, suggestion


async def _run_pipeline(
    ls: DaimaServer,
    uri: str,
    document: TextDocument,
    offset: int,
    on_partial: Any,
    alternatives: int,
    received: float,
    position: lsp.Position,
) -> Any:
    """The pipeline's suggestion on the worker (None when superseded or failed). When the pipeline had
    to ask with a quick prompt (the full one would not prefill in time), the full one is warmed next."""
    quick: list[bool] = []
    engine = ls.engine_host.engine

    def job(cancel: CancelToken):
        return pipeline.complete(
            document,
            offset,
            engine=engine,
            index=ls.index.index,
            options=ls.options.completion,
            path=convert.uri_to_path(uri),
            language_id=document.language_id,
            recent_edits=ls.recent_edits.edits,
            cancel=cancel,
            on_partial=on_partial,
            alternatives=alternatives,
            anchors=ls.prefix_anchors,
            received=received,
            on_quick_prompt=lambda: quick.append(True),
        )

    started = time.monotonic()
    try:
        try:
            suggestion = await ls.scheduler.run(uri, job)
        except EngineError as error:
            # The model failed mid-answer (a remote server's HTTP 500, a stall, a broken stream): the
            # status says so (clients show it once), and this pause gets identifier completion, as
            # while a model loads. The next answer from the model sets the status back.
            ls.engine_host.request_failed(error)
            engine = None
            suggestion = await ls.scheduler.run(uri, job)
            return suggestion
    except Exception:
        log.exception("completion failed for %s", uri)
        return None
    ls.engine_host.record_latency((time.monotonic() - started) * 1000)
    if suggestion is None:
        log.debug("completion at %s:%d: superseded or failed after %.0f ms", uri, position.line + 1,
                  (time.monotonic() - received) * 1000)  # fmt: skip
    else:
        log.debug(
            "completion at %s:%d: %r from %s, %d prompt tokens (%d cached), %d generated, %s, %.0f ms%s",
            uri, position.line + 1, suggestion.text[:40], suggestion.source, suggestion.prompt_tokens,
            suggestion.cached_tokens, suggestion.generated_tokens, suggestion.finish_reason,
            (time.monotonic() - received) * 1000, " (quick prompt)" if quick else "",
        )  # fmt: skip
    if quick:
        task = asyncio.ensure_future(warm(ls, uri, position))
        _BACKGROUND.add(task)  # held until done (the loop keeps only weak references to tasks)
        task.add_done_callback(_BACKGROUND.discard)
    return suggestion


async def warm_at(ls: DaimaServer, params: Any) -> None:
    """`daima/cursor`: the cursor arrived at a place (a file opened or focused, a jump). Prefill the
    prompt a request there will build, in the background; any request cancels it. Before the model is
    ready the place is kept and warmed once it is."""
    uri, _version, line, character = convert.document_position(params, CURSOR)
    ls.last_cursor = (uri, lsp.Position(line=line, character=character))
    await warm(ls, uri, ls.last_cursor[1])


async def warm(ls: DaimaServer, uri: str, position: lsp.Position) -> None:
    """Prefill the prompt of a request at `position` in the background (see `warm_at`)."""
    engine = ls.engine_host.engine
    if engine is None or ls.scheduler.busy:
        return
    line = position.line
    prepared = _snapshot(ls, uri, position)
    if prepared is None:
        return
    document, offset = prepared
    place = (uri, document.version, offset, id(engine))
    if ls.warmed == place:  # already in the cache (a repeated note, or the model's ready status after it)
        return
    ls.warmed = place

    def job(cancel: CancelToken):
        return prepare.warm(
            document, offset, engine=engine, index=ls.index.index, options=ls.options.completion,
            path=convert.uri_to_path(uri), language_id=document.language_id,
            recent_edits=ls.recent_edits.edits, cancel=cancel, anchors=ls.prefix_anchors,
        )  # fmt: skip

    began = time.monotonic()
    try:
        stats = await ls.scheduler.run_background(job)
    except Exception:
        log.exception("warming %s failed", uri)
        return
    if stats is None:
        log.debug(
            "warming %s at line %d gave way after %.0f ms", uri, line + 1, (time.monotonic() - began) * 1000
        )
    else:
        log.info(
            "warmed %s at line %d: %d prompt tokens, %d of them computed (%s)",
            uri, line + 1, stats.prompt_tokens, stats.prompt_tokens - stats.cached_tokens,
            stats.finish_reason,
        )  # fmt: skip


async def inline_completion(
    ls: DaimaServer, params: lsp.InlineCompletionParams
) -> lsp.InlineCompletionList | None:
    """Ghost text at the cursor: `insertText` replaces `range`, which starts at or before the cursor.

    The best suggestion comes first, then any alternatives that passed the same checks. A request the
    user invoked (a manual trigger, or cycling past the only item shown) asks for INVOKED_ALTERNATIVES
    more; one typing made gets those the pipeline made anyway."""
    invoked = (
        params.context is not None and params.context.trigger_kind == lsp.InlineCompletionTriggerKind.Invoked
    )
    result = await _suggest(
        ls, params.text_document.uri, params.position, INVOKED_ALTERNATIVES if invoked else 0
    )
    if result is None:
        return None
    document, suggestion = result
    items = []
    for shown in (suggestion, *suggestion.alternatives):
        replace = convert.offsets_to_lsp_range(document, shown.start, shown.end, ls.encoding)
        items.append(lsp.InlineCompletionItem(insert_text=shown.text, range=replace))
    return lsp.InlineCompletionList(items=items)


async def completion(ls: DaimaServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
    """The same suggestion as a completion item, for clients without inline completion.

    A client that shows inline completions gets none: its editor would open the suggest widget over the
    ghost text and hide it (VS Code does). The item's label is the whole word being completed and the
    first line of the suggestion (`计算总价(商品列表)`, never the bare rest `总价(商品列表)`), and its
    edit replaces the typed part of the word, so the client's filter matches what the user typed."""
    text_caps = ls.client_capabilities.text_document if ls.client_capabilities else None
    if text_caps is not None and text_caps.inline_completion is not None:
        return None
    result = await _suggest(ls, params.text_document.uri, params.position)
    if result is None:
        return None
    document, suggestion = result
    text = document.text
    word_start = widen(text, suggestion.start, suggestion.start)[0]
    typed = text[word_start : suggestion.start]
    new_text = typed + suggestion.text
    edit_range = convert.offsets_to_lsp_range(document, word_start, suggestion.end, ls.encoding)
    first_line = next((line for line in new_text.splitlines() if line.strip()), new_text)
    item = lsp.CompletionItem(
        label=first_line.strip()[:80],
        kind=lsp.CompletionItemKind.Text,
        detail="daima",
        filter_text=new_text,
        text_edit=lsp.TextEdit(range=edit_range, new_text=new_text),
        insert_text_format=lsp.InsertTextFormat.PlainText,
    )
    return lsp.CompletionList(is_incomplete=True, items=[item])
