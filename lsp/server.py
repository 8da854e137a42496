"""The language server: thin handlers that read state, call pure functions and convert the result."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any, BinaryIO

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcInvalidRequest, JsonRpcParseError
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from daima import __version__
from daima.completion.anchor import PrefixAnchors
from daima.config import Options, options_to_json, parse_options

from . import completion_feature, convert, index_feature, next_edit_feature
from .client_log import route_to_client
from .documents import DocumentError, DocumentStore
from .engine_host import EngineHost, EngineStatus
from .framing import BadFrame, FrameReader
from .progress import WorkDone
from .scheduler import CompletionScheduler

log = logging.getLogger(__name__)

STATUS = "daima/status"
COMPLETION_PROGRESS = "daima/completionProgress"
RESYNC = "daima/resync"  # asks daima's clients to send a document's full text again
DOCUMENT_TEXT = "daima/documentText"  # the server's view of an open document, for clients to compare


class DaimaProtocol(LanguageServerProtocol):
    """pygls' protocol without its own copy of the documents (`DocumentStore` is the only one), and
    with an answer for requests whose params do not decode (pygls logs and drops them, which leaves the
    client waiting forever)."""

    def structure_message(self, data: dict[str, Any]):
        try:
            return super().structure_message(data)
        except JsonRpcException:
            if "id" in data and "method" in data:
                message = f"invalid params for {data['method']}"
                log.warning("%s: %s", message, str(data.get("params"))[:200])
                self._send_response(data["id"], None, JsonRpcInvalidParams(message).to_response_error())
            elif data.get("method") == lsp.TEXT_DOCUMENT_DID_CHANGE:
                self._lost_change(data.get("params"))
            raise

    def _execute_handler(
        self, msg_id: Any, handler: Any, callback: Any, args: Any = None, kwargs: Any = None
    ):
        # pygls keeps the future of every handler it runs by id and forgets only a request's, once it is
        # answered: each notification (a didChange per keystroke) would otherwise stay for good.
        def forget(future: Any) -> None:
            self._request_futures.pop(msg_id, None)
            callback(future)

        return super()._execute_handler(msg_id, handler, forget, args, kwargs)

    def _lost_change(self, params: Any) -> None:
        """A didChange whose params do not decode: later edits would apply to the wrong text, so the
        document goes out of sync and the client is asked for its full text."""
        document = params.get("textDocument") if isinstance(params, dict) else None
        uri = document.get("uri") if isinstance(document, dict) else None
        server = self._server
        if (
            isinstance(uri, str)
            and isinstance(server, DaimaServer)
            and server.documents.mark_out_of_sync(uri)
        ):
            log.error("a change to %s could not be read; asking the client for the full text", uri)
            server.scheduler.cancel(uri)
            self.notify(RESYNC, {"uri": uri})

    @lsp_method(lsp.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: lsp.DidOpenTextDocumentParams):
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams):
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: lsp.DidCloseTextDocumentParams):
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None


class DaimaServer(LanguageServer):
    """Server state: documents, options, the engine, the index and the completion worker."""

    def __init__(self) -> None:
        super().__init__("daima", __version__, protocol_cls=DaimaProtocol)
        self.documents = DocumentStore()
        self.options = Options()
        self.option_problems: list[str] = []
        self._loading: WorkDone | None = None  # the model load's progress, while one runs
        self.engine_host = EngineHost(self._publish_status)
        self.scheduler = CompletionScheduler()
        self.index = index_feature.IndexHost(self)
        self.recent_edits = completion_feature.new_recent_edits()
        self.shown = completion_feature.ShownSuggestions()
        self.prefix_anchors = PrefixAnchors()  # where each document's prompt starts (completion/anchor.py)
        # Where a client last said the cursor arrived (daima/cursor): warmed once the model is ready.
        self.last_cursor: tuple[str, lsp.Position] | None = None
        self.warmed: tuple[str, int | None, int, int] | None = (
            None  # (uri, version, offset, engine) last warmed
        )
        self.edit_bursts = next_edit_feature.new_edit_bursts()
        self.recent_renames = next_edit_feature.new_recent_renames()
        self.next_edit_turns = next_edit_feature.ModelTurns()
        self.loop: asyncio.AbstractEventLoop | None = None  # set at initialize; worker threads post to it

    @property
    def encoding(self):
        return convert.encoding(self.workspace.position_encoding)

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve over stdio with daima's framing (framing.py): a bad frame is answered, never fatal."""
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        reader = FrameReader(stdin or sys.stdin.buffer)
        exit_code = 0
        try:
            asyncio.run(self._serve_frames(reader))
        except BrokenPipeError:
            log.error("the client closed the connection; shutting down")
        except KeyboardInterrupt:
            pass
        except SystemExit as stop:  # `exit`: 0 after a shutdown request, 1 without one (the LSP spec)
            exit_code = stop.code if isinstance(stop.code, int) else 0
        finally:
            self.shutdown()
        if exit_code:
            raise SystemExit(exit_code)

    async def _serve_frames(self, reader: FrameReader) -> None:
        loop = asyncio.get_running_loop()
        while self._stop_event is not None and not self._stop_event.is_set():
            item = await loop.run_in_executor(self.thread_pool, reader.next)
            if item is None:
                return
            if isinstance(item, BadFrame):
                log.warning("bad frame from the client: %s", item.reason)
                self._answer_error(None, JsonRpcParseError(item.reason).to_response_error())
                continue
            refusal = self._refusal(item)
            if refusal is not None or not isinstance(item, dict):
                self._answer_error(item.get("id") if isinstance(item, dict) else None, refusal)
                continue
            try:
                self.protocol.handle_message(self.protocol.structure_message(item))
            except JsonRpcException:
                pass  # structure_message answered a request whose params do not decode (DaimaProtocol)
            except Exception:
                log.exception("could not handle a message")

    def _answer_error(self, msg_id: Any, error: lsp.ResponseError | None) -> None:
        # JSON-RPC answers a message it could not read, or whose id it could not read, with id null.
        self.protocol._send_response(msg_id, error=error)

    def _refusal(self, item: object) -> lsp.ResponseError | None:
        """The error a message gets before any handler sees it, as the LSP specification asks."""
        if not isinstance(item, dict) or item.get("jsonrpc") != "2.0":  # LSP has no batches
            return JsonRpcInvalidRequest("expected one JSON-RPC 2.0 message object").to_response_error()
        method, is_request = item.get("method"), "id" in item and "method" in item
        if is_request and self.loop is None and method != lsp.INITIALIZE:
            return lsp.ResponseError(code=lsp.ErrorCodes.ServerNotInitialized, message="initialize first")
        if is_request and self.loop is not None and method == lsp.INITIALIZE:
            return JsonRpcInvalidRequest("the server is initialized already").to_response_error()
        if is_request and self.protocol._shutdown and method != lsp.EXIT:
            return JsonRpcInvalidRequest(f"{method} after shutdown").to_response_error()
        return None

    def notify_threadsafe(
        self, method: str, params: Any, still_wanted: Callable[[], bool] | None = None
    ) -> None:
        """Send a notification from any thread (worker threads never touch the transport directly).
        `still_wanted` is asked on the event loop just before sending: by then the notification may be
        about a document version the user has typed past."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return

        def send() -> None:
            if still_wanted is None or still_wanted():
                self.protocol.notify(method, params)

        loop.call_soon_threadsafe(send)

    def show(self, message: str, kind: lsp.MessageType = lsp.MessageType.Warning) -> None:
        log.warning("%s", message)
        self.window_show_message(lsp.ShowMessageParams(type=kind, message=f"daima: {message}"))

    def _publish_status(self, status: EngineStatus) -> None:
        self.notify_threadsafe(STATUS, status.to_json())
        if status.state == "ready" and self.last_cursor is not None and self.loop is not None:
            uri, position = self.last_cursor
            asyncio.run_coroutine_threadsafe(completion_feature.warm(self, uri, position), self.loop)
        # The model's load as LSP work-done progress too: editors show it without knowing daima/status.
        if status.state == "loading":
            if self._loading is None:
                self._loading = WorkDone(self, "daima: loading the model", "model")
            self._loading.report(status.message or f"starting {status.model}")
        elif self._loading is not None:
            self._loading.end(status.message or f"{status.model} {status.state}")
            self._loading = None

    def apply_options(self, raw: Any) -> None:
        options, problems = parse_options(raw, self.options)
        self.use_options(options)
        for problem in problems:
            self.show(problem)

    def use_options(self, options: Options) -> None:
        """Take `options` as the server's, the log level included."""
        self.options = options
        logging.getLogger("daima").setLevel(options.log_level.upper() if options.log_level else "INFO")


def create_server() -> DaimaServer:
    server = DaimaServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: DaimaServer, params: lsp.InitializeParams) -> None:
        ls.loop = asyncio.get_running_loop()
        options, ls.option_problems = parse_options(params.initialization_options)
        ls.use_options(options)
        ls.index.set_root(params)

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: DaimaServer, params: lsp.InitializedParams) -> None:
        route_to_client(ls)
        for problem in ls.option_problems:
            ls.show(problem)
        ls.engine_host.load(ls.options.model)
        ls.index.start(ls.options.index)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: DaimaServer, params: lsp.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        ls.documents.open(item.uri, item.text, item.version, item.language_id)
        ls.edit_bursts.forget(item.uri)
        ls.index.document_changed(item.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: DaimaServer, params: lsp.DidChangeTextDocumentParams) -> None:
        uri, version = params.text_document.uri, params.text_document.version
        changes = [convert.content_change(change) for change in params.content_changes]
        try:
            edits = ls.documents.change(uri, version, changes, ls.encoding)
        except DocumentError as error:
            log.error("%s", error)
            ls.scheduler.cancel(uri)
            if uri in ls.documents:
                ls.protocol.notify(RESYNC, {"uri": uri})
            return
        ls.scheduler.cancel(uri)
        ls.next_edit_turns.stop(uri)
        document = ls.documents.get(uri)
        if document is not None:
            ls.recent_edits.record(uri, document, edits)
            ls.edit_bursts.record(uri, edits, version)
        ls.index.document_typed(uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: DaimaServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.scheduler.cancel(params.text_document.uri)
        ls.shown.forget(params.text_document.uri)
        ls.prefix_anchors.forget(params.text_document.uri)
        ls.documents.close(params.text_document.uri)
        ls.edit_bursts.forget(params.text_document.uri)
        ls.next_edit_turns.stop(params.text_document.uri)
        ls.index.document_closed(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: DaimaServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.index.document_changed(params.text_document.uri)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: DaimaServer, params: lsp.DidChangeConfigurationParams) -> None:
        settings = params.settings
        raw = settings.get("daima", settings) if isinstance(settings, dict) else settings
        ls.apply_options(raw)
        ls.engine_host.load(ls.options.model)

    @server.feature(lsp.TEXT_DOCUMENT_INLINE_COMPLETION, lsp.InlineCompletionOptions())
    async def inline_completion(
        ls: DaimaServer, params: lsp.InlineCompletionParams
    ) -> lsp.InlineCompletionList | None:
        return await completion_feature.inline_completion(ls, params)

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[".", "(", " "]))
    async def completion(ls: DaimaServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
        return await completion_feature.completion(ls, params)

    @server.feature(lsp.WORKSPACE_SYMBOL)
    async def workspace_symbol(ls: DaimaServer, params: lsp.WorkspaceSymbolParams):
        return await ls.index.workspace_symbols(params.query)

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    async def definition(ls: DaimaServer, params: lsp.DefinitionParams):
        return await ls.index.definition(params.text_document.uri, params.position)

    @server.feature(STATUS)
    def status(ls: DaimaServer, params: Any) -> dict[str, Any]:
        answer = {**ls.engine_host.status.to_json(), "options": options_to_json(ls.options)}
        counters = getattr(getattr(ls.engine_host.engine, "cache", None), "stats", None)
        if counters is not None:  # the local engine's KV prefix cache: how much of the prompts it reused
            answer["promptCache"] = {
                "reusedTokens": counters.reused_tokens, "computedTokens": counters.computed_tokens,
                "hits": counters.hits, "misses": counters.misses,
            }  # fmt: skip
        return answer

    @server.feature(DOCUMENT_TEXT)
    def document_text(ls: DaimaServer, params: Any) -> dict[str, Any] | None:
        """{uri} -> {version, text, inSync}, or None when the document is not open."""
        uri = getattr(params, "uri", None) if not isinstance(params, dict) else params.get("uri")
        if not isinstance(uri, str):
            return None
        document = ls.documents.get(uri)
        if document is None:
            return None
        return {"version": document.version, "text": document.text, "inSync": ls.documents.is_in_sync(uri)}

    @server.feature(completion_feature.CURSOR)
    async def cursor(ls: DaimaServer, params: Any) -> None:
        await completion_feature.warm_at(ls, params)

    @server.feature(next_edit_feature.NEXT_EDIT)
    async def next_edit(ls: DaimaServer, params: Any) -> dict[str, Any]:
        return await next_edit_feature.next_edit(ls, params)

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: DaimaServer, params: Any) -> None:
        ls.scheduler.shutdown()
        ls.index.stop()

    return server
