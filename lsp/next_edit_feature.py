"""daima/nextEdit: the edits the user's latest change calls for elsewhere in the document.

Modelled on Copilot's `textDocument/copilotInlineEdit`. Request params: `{textDocument: {uri, version?},
position}`; the answer: `{uri, version, kind, edits: [{range, newText, reason}], otherFiles: [uri]}`
with ranges in the negotiated position encoding, the edits nearest after the cursor first (then those
before it, nearest first), `kind` "rename", "signature" or "pattern" (the model decided it; only with a
model loaded), and no edits when nothing is sure. `otherFiles`: after a rename of a module-level name,
the files that import it (from the index); asked there, the server proposes the same rename
(nextedit/elsewhere.py). An answer is for the version it names: a client drops it once the document has
moved on, and a request that names an older version than the server's gets no edits. The work runs off
the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from typing import TYPE_CHECKING, Any

from pygls.exceptions import JsonRpcInvalidParams

from daima.completion.templates import match_template
from daima.indexer.languages import language_for_id
from daima.model.api import CancelToken
from daima.nextedit.elsewhere import ModuleRename, RecentRenames, importer_edits, module_of
from daima.nextedit.fill import model_fill
from daima.nextedit.history import EditBursts
from daima.nextedit.pattern import Fill
from daima.nextedit.proposals import propose
from daima.text import Position, PositionError

from . import convert

if TYPE_CHECKING:
    from .server import DaimaServer

log = logging.getLogger(__name__)

NEXT_EDIT = "daima/nextEdit"


def new_edit_bursts() -> EditBursts:
    return EditBursts()


def new_recent_renames() -> RecentRenames:
    return RecentRenames()


class ModelTurns:
    """The model's work for each document's latest next-edit request: a newer request for the same
    document, a change to it or its closing stops the older work (between two candidates, or within a
    generation), so the model is free again for completions."""

    def __init__(self) -> None:
        self._tokens: dict[str, CancelToken] = {}
        self._lock = threading.Lock()  # begun off the event loop, stopped on it

    def begin(self, uri: str) -> CancelToken:
        token = CancelToken()
        with self._lock:
            earlier = self._tokens.get(uri)
            self._tokens[uri] = token
        if earlier is not None:
            earlier.cancel()
        return token

    def stop(self, uri: str) -> None:
        with self._lock:
            token = self._tokens.pop(uri, None)
        if token is not None:
            token.cancel()


async def next_edit(ls: DaimaServer, params: Any) -> dict[str, Any]:
    uri, version, line, character = convert.document_position(params, NEXT_EDIT)
    answer: dict[str, Any] = {"uri": uri, "version": None, "kind": None, "edits": [], "otherFiles": []}
    document = ls.documents.snapshot(uri)
    if document is None:
        log.info("next edit asked for %s, which is not open or is out of sync", uri)
        return answer
    answer["version"] = document.version
    if version is not None and version != document.version:
        return answer
    try:
        cursor = document.offset_at(Position(line, character), ls.encoding)
    except PositionError as error:
        raise JsonRpcInvalidParams(f"daima/nextEdit: {error}") from error
    bursts = ls.edit_bursts.recent(uri)
    loop = asyncio.get_running_loop()
    try:
        proposal, others = await loop.run_in_executor(None, _propose, ls, uri, document, bursts)
    except Exception:
        log.exception("next edit failed for %s", uri)
        return answer
    answer["otherFiles"] = others
    if proposal is None:
        return answer
    after = sorted((edit for edit in proposal.edits if edit.start >= cursor), key=lambda edit: edit.start)
    before = sorted((edit for edit in proposal.edits if edit.start < cursor), key=lambda edit: -edit.start)
    answer["kind"] = proposal.kind
    answer["edits"] = [
        {
            "range": convert.to_json(
                convert.to_lsp_range(document.range_at(edit.start, edit.end, ls.encoding))
            ),
            "newText": edit.new_text,
            "reason": edit.reason,
        }
        for edit in after + before
    ]
    return answer


def _propose(ls: DaimaServer, uri: str, document: Any, bursts: list) -> tuple[Any, list[str]]:
    """The document's own proposal (or, failing one, the rename a module it imports from had), and
    the other files a module-level rename reaches."""
    proposal = propose(document, bursts, _fill(ls, uri))
    index = ls.index.index
    path = convert.uri_to_path(uri)
    rel = index.relative(path) if index is not None and path is not None else None
    module = module_of(rel) if rel is not None else None
    language = language_for_id(document.language_id)
    if proposal is None and rel is not None and language is not None:
        proposal = importer_edits(document.text, language, rel, ls.recent_renames.all())
        return proposal, []
    if proposal is None or proposal.module_rename is None or module is None or index is None:
        return proposal, []
    old, new = proposal.module_rename
    ls.recent_renames.record(ModuleRename(module, old, new))
    importers = [p for p in index.importers(module) if index.relative(p) != rel]
    others = [convert.path_to_uri(p) for p in importers]
    return proposal, others


def _fill(ls: DaimaServer, uri: str) -> Fill | None:
    """The loaded model's fill for pattern edits, with this request's time for it; None without one."""
    engine = ls.engine_host.engine
    if engine is None:
        return None
    options = ls.options.completion
    limit_s = options.next_edit_time_ms / 1000 if options.next_edit_time_ms > 0 else math.inf
    template = match_template(engine.info, options.template)
    return model_fill(engine, time.monotonic() + limit_s, template, ls.next_edit_turns.begin(uri))
