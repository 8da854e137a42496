"""inlineCompletion and completion: snapshot the document, run the pipeline on the worker, convert.

A suggestion is only returned for the document version it was computed on: if the user typed in the
meantime the answer is dropped (the newer request has already cancelled it in the common case).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from daima.completion import pipeline
from daima.completion.context import RecentEdits
from daima.model.api import CancelToken
from daima.text import AppliedEdit, PositionError, TextDocument

from . import convert
from .documents import MAX_COMPLETION_CHARS

if TYPE_CHECKING:
    from .server import DaimaServer

log = logging.getLogger(__name__)

COMPLETION_PROGRESS = "daima/completionProgress"
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
    prepared = _snapshot(ls, uri, position)
    if prepared is None:
        return None
    document, offset = prepared
    enc = ls.encoding
    cursor_range = convert.offsets_to_lsp_range(document, offset, offset, enc)
    partial_head = {
        "uri": uri,
        "version": document.version,
        "position": {"line": position.line, "character": position.character},
        "range": ls.protocol._converter.unstructure(cursor_range),
    }

    def up_to_date() -> bool:  # a partial for text the user has typed past is never sent
        now = ls.documents.get(uri)
        return now is not None and now.version == document.version and ls.documents.is_in_sync(uri)

    def on_partial(text: str) -> None:
        if up_to_date():
            ls.notify_threadsafe(
                COMPLETION_PROGRESS, {**partial_head, "text": text, "done": False}, up_to_date
            )

    def job(cancel: CancelToken):
        return pipeline.complete(
            document,
            offset,
            engine=ls.engine_host.engine,
            index=ls.index.index,
            options=ls.options.completion,
            path=convert.uri_to_path(uri),
            language_id=document.language_id,
            recent_edits=ls.recent_edits.edits,
            cancel=cancel,
            on_partial=on_partial,
            alternatives=alternatives,
        )

    started = time.monotonic()
    try:
        suggestion = await ls.scheduler.run(uri, job)
    except Exception:
        log.exception("completion failed for %s", uri)
        return None
    ls.engine_host.record_latency((time.monotonic() - started) * 1000)
    current = ls.documents.get(uri)
    if suggestion is None or current is None or current.version != document.version:
        return None
    # The final text replaces the suggestion's own range, which may start before the cursor.
    final_range = convert.offsets_to_lsp_range(document, suggestion.start, suggestion.end, enc)
    final = {**partial_head, "range": ls.protocol._converter.unstructure(final_range)}
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
    """The same suggestion as a completion item, for clients without inline completion."""
    result = await _suggest(ls, params.text_document.uri, params.position)
    if result is None:
        return None
    document, suggestion = result
    edit_range = convert.offsets_to_lsp_range(document, suggestion.start, suggestion.end, ls.encoding)
    first_line = next((line for line in suggestion.text.splitlines() if line.strip()), suggestion.text)
    item = lsp.CompletionItem(
        label=first_line.strip()[:80],
        kind=lsp.CompletionItemKind.Text,
        detail="daima",
        filter_text=suggestion.text,
        text_edit=lsp.TextEdit(range=edit_range, new_text=suggestion.text),
        insert_text_format=lsp.InsertTextFormat.PlainText,
    )
    return lsp.CompletionList(is_incomplete=True, items=[item])
