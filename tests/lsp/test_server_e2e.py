"""End-to-end: the real server over stdio, driven with the recorded capabilities of VS Code and Neovim.

These run with `model.name = "none"` (identifier completion, deterministic) so they check what the
server owns: positions in every encoding, document sync, cancellation, bad input. The real model is
exercised through the same server in tests/lsp/test_server_model.py.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from daima.text import Position, PositionEncoding, TextDocument

SERVER = [sys.executable, "-m", "daima", "serve"]
CLIENTS = {"vscode": "visual-studio-code", "neovim": "neovim@v0.11.0"}
SOURCE = 'def 计算总价(商品列表):\n    """😀 求和"""\n    return sum(商品列表)\n\n'


def initialize_params(client: str, options: object, root: Path) -> lsp.InitializeParams:
    return lsp.InitializeParams(
        capabilities=client_capabilities(CLIENTS[client]),
        initialization_options=options,
        root_uri=root.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="ws")],
    )


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), params=list(CLIENTS))
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest, tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "购物车.py").write_text(SOURCE, encoding="utf-8")
    options = {"model": {"name": "none"}, "index": {"watch": False}}
    result = await lsp_client.initialize_session(initialize_params(request.param, options, root))
    lsp_client.daima_name = request.param  # type: ignore[attr-defined]
    lsp_client.daima_encoding = PositionEncoding(result.capabilities.position_encoding)  # type: ignore[attr-defined]
    lsp_client.daima_root = root  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def server_status(client: LanguageClient) -> dict:
    """The `daima/status` answer as plain dicts (the client decodes unknown results as named tuples)."""

    def plain(value):
        if hasattr(value, "_asdict"):
            return {k: plain(v) for k, v in value._asdict().items()}
        return value

    return plain(await client.protocol.send_request_async("daima/status", None))


async def send_raw_request(client: LanguageClient, method: str, params: object) -> object:
    """Send a request exactly as given, bypassing the client's own (type-checking) serialisation."""
    msg_id = f"raw-{method}"
    future: asyncio.Future = asyncio.get_running_loop().create_future()
    client.protocol._request_futures[msg_id] = future  # type: ignore[assignment]
    client.protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return await asyncio.wait_for(future, 30)


def open_document(
    client: LanguageClient, uri: str, text: str, version: int = 1, language_id: str = "python"
) -> None:
    item = lsp.TextDocumentItem(uri=uri, language_id=language_id, version=version, text=text)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))


def lsp_position(document: TextDocument, offset: int, encoding: PositionEncoding) -> lsp.Position:
    p = document.position_at(offset, encoding)
    return lsp.Position(line=p.line, character=p.character)


def apply_item(text: str, item: lsp.InlineCompletionItem, encoding: PositionEncoding) -> str:
    document = TextDocument("x", text)
    assert item.range is not None
    start = document.offset_at(Position(item.range.start.line, item.range.start.character), encoding)
    end = document.offset_at(Position(item.range.end.line, item.range.end.character), encoding)
    insert = item.insert_text if isinstance(item.insert_text, str) else item.insert_text.value
    return text[:start] + insert + text[end:]


async def type_text(client: LanguageClient, uri: str, text: str, at: int, typed: str, version: int) -> str:
    """Type `typed` one character at a time at str index `at`, as an editor sends it."""
    encoding = client.daima_encoding  # type: ignore[attr-defined]
    for ch in typed:
        document = TextDocument(uri, text)
        position = lsp_position(document, at, encoding)
        change = lsp.TextDocumentContentChangePartial(range=lsp.Range(start=position, end=position), text=ch)
        version += 1
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change],
            )
        )
        text = text[:at] + ch + text[at:]
        at += len(ch)
    return text


async def test_capabilities_and_negotiated_encoding(client: LanguageClient) -> None:
    assert client.capabilities is not None
    expected = PositionEncoding.UTF8 if client.daima_name == "neovim" else PositionEncoding.UTF16  # type: ignore[attr-defined]
    assert client.daima_encoding is expected  # type: ignore[attr-defined]


async def test_typed_chinese_identifier_completes_with_exact_range(client: LanguageClient) -> None:
    encoding = client.daima_encoding  # type: ignore[attr-defined]
    uri = (client.daima_root / "购物车.py").as_uri()  # type: ignore[attr-defined]
    text = SOURCE + "总 = '👍🏽' + "
    open_document(client, uri, text)
    text = await type_text(client, uri, text, len(text), "计算总", version=1)
    document = TextDocument(uri, text)
    position = lsp_position(document, len(text), encoding)
    result = await client.text_document_inline_completion_async(
        lsp.InlineCompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=position,
            context=lsp.InlineCompletionContext(trigger_kind=lsp.InlineCompletionTriggerKind.Automatic),
        )
    )
    assert result is not None and result.items
    item = result.items[0]
    assert apply_item(text, item, encoding).endswith("总 = '👍🏽' + 计算总价")
    # The range is on the last line and ends at the cursor, counted in the negotiated encoding.
    assert item.range is not None and item.range.end == position


async def test_an_invoked_request_offers_alternatives(client: LanguageClient) -> None:
    """Typing gets one suggestion; a request the user invoked (a manual trigger, or cycling past the
    only item shown) gets the best one first and alternatives after it, each a different name."""
    uri = (client.daima_root / "cycle.py").as_uri()  # type: ignore[attr-defined]
    text = "计算总价 = 1\n计算总价 += 2\n计算总数 = 3\n计算平均值 = 4\nx = 计算"
    open_document(client, uri, text)
    position = lsp_position(TextDocument(uri, text), len(text), client.daima_encoding)  # type: ignore[attr-defined]
    answers = {}
    for kind in (lsp.InlineCompletionTriggerKind.Automatic, lsp.InlineCompletionTriggerKind.Invoked):
        result = await client.text_document_inline_completion_async(
            lsp.InlineCompletionParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri),
                position=position,
                context=lsp.InlineCompletionContext(trigger_kind=kind),
            )
        )
        assert result is not None
        answers[kind] = [item.insert_text for item in result.items]
    assert answers[lsp.InlineCompletionTriggerKind.Automatic] == ["总价"]
    assert answers[lsp.InlineCompletionTriggerKind.Invoked] == ["总价", "平均值", "总数"]


async def test_completion_fallback_returns_a_text_edit(client: LanguageClient) -> None:
    uri = (client.daima_root / "b.py").as_uri()  # type: ignore[attr-defined]
    text = SOURCE + "商品"
    open_document(client, uri, text)
    position = lsp_position(TextDocument(uri, text), len(text), client.daima_encoding)  # type: ignore[attr-defined]
    result = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=position)
    )
    assert isinstance(result, lsp.CompletionList) and result.items
    item = result.items[0]
    edit = item.text_edit
    assert isinstance(edit, lsp.TextEdit) and edit.range.end == position
    # The whole word: the label and the edit start at the typed part, which the client filters by.
    assert edit.new_text == "商品列表" and item.label == "商品列表" and item.filter_text == "商品列表"
    start = lsp_position(TextDocument(uri, text), len(text) - 2, client.daima_encoding)  # type: ignore[attr-defined]
    assert edit.range.start == start


async def test_cancelled_request_returns_no_suggestion(client: LanguageClient) -> None:
    uri = (client.daima_root / "c.py").as_uri()  # type: ignore[attr-defined]
    text = SOURCE + "计算"
    open_document(client, uri, text)
    position = lsp_position(TextDocument(uri, text), len(text), client.daima_encoding)  # type: ignore[attr-defined]
    params = lsp.InlineCompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        position=position,
        context=lsp.InlineCompletionContext(trigger_kind=lsp.InlineCompletionTriggerKind.Automatic),
    )
    task = asyncio.ensure_future(client.text_document_inline_completion_async(params))
    task.cancel()  # the client sends $/cancelRequest
    with pytest.raises(asyncio.CancelledError):
        await task
    # A request superseded by an edit does not answer for the old cursor.
    first = asyncio.ensure_future(client.text_document_inline_completion_async(params))
    await type_text(client, uri, text, len(text), "x", version=1)
    stale = await first
    assert stale is None or stale.items == []
    # The server is still answering.
    status = await server_status(client)
    assert status["state"] == "disabled"


async def test_bad_input_keeps_the_server_up(client: LanguageClient) -> None:
    uri = (client.daima_root / "d.py").as_uri()  # type: ignore[attr-defined]
    open_document(client, uri, SOURCE)
    context = lsp.InlineCompletionContext(trigger_kind=lsp.InlineCompletionTriggerKind.Invoked)

    async def complete_at(u: str, line: int, character: int):
        return await client.text_document_inline_completion_async(
            lsp.InlineCompletionParams(
                text_document=lsp.TextDocumentIdentifier(uri=u),
                position=lsp.Position(line=line, character=character),
                context=context,
            )
        )

    # A position past the end, a document never opened.
    assert await complete_at(uri, 999, 0) is None
    assert await complete_at((client.daima_root / "never.py").as_uri(), 0, 0) is None  # type: ignore[attr-defined]
    # An unknown method and malformed params get error responses.
    with pytest.raises(Exception, match=r"(?i)method not found|unknown"):
        await client.protocol.send_request_async("daima/noSuchMethod", {})
    with pytest.raises(JsonRpcException, match=r"(?i)invalid params"):
        await send_raw_request(client, lsp.TEXT_DOCUMENT_INLINE_COMPLETION, {"textDocument": 5})
    # An edit past the end marks the document out of sync instead of corrupting it.
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                lsp.TextDocumentContentChangePartial(
                    range=lsp.Range(
                        start=lsp.Position(line=50, character=0), end=lsp.Position(line=50, character=1)
                    ),
                    text="x",
                )
            ],
        )
    )
    assert await complete_at(uri, 0, 4) is None
    # A full-text change brings it back.
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=SOURCE + "计算")],
        )
    )
    lines = (SOURCE + "计算").split("\n")
    character = TextDocument(uri, lines[-1]).position_at(len(lines[-1]), client.daima_encoding).character  # type: ignore[attr-defined]
    result = await complete_at(uri, len(lines) - 1, character)
    assert result is not None and result.items
    # Binary and 10 MB documents get no suggestion, and the server stays up.
    big = (client.daima_root / "big.js").as_uri()  # type: ignore[attr-defined]
    open_document(client, big, "var a=1;" * (10 * 1024 * 1024 // 8))
    assert await complete_at(big, 0, 5) is None
    binary = (client.daima_root / "bin.py").as_uri()  # type: ignore[attr-defined]
    open_document(client, binary, "计算\x00\x01\x02")
    assert await complete_at(binary, 0, 2) is None
    status = await server_status(client)
    assert status["state"] == "disabled"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def misconfigured(lsp_client: LanguageClient, tmp_path: Path):
    params = initialize_params(
        "vscode", {"model": {"name": "none"}, "completion": {"maxTokens": "many"}}, tmp_path
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def test_invalid_options_are_shown_and_defaults_used(misconfigured: LanguageClient) -> None:
    for _ in range(50):
        if misconfigured.messages:
            break
        await asyncio.sleep(0.1)
    assert any("completion" in m.message and "defaults" in m.message for m in misconfigured.messages)
    status = await server_status(misconfigured)
    assert status["options"]["completion"]["maxTokens"] == 64
    assert status["options"]["model"]["name"] == "none"


async def test_workspace_symbol_and_definition_come_from_the_index(client: LanguageClient) -> None:
    root = client.daima_root  # type: ignore[attr-defined]
    symbols = None
    for _ in range(300):  # the first index runs in the background
        symbols = await client.workspace_symbol_async(lsp.WorkspaceSymbolParams(query="计算"))
        if symbols:
            break
        await asyncio.sleep(0.1)
    assert symbols and symbols[0].name == "计算总价"
    uri = (root / "use.py").as_uri()
    text = "from 购物车 import 计算总价\n\n总 = '👍🏽' + 计算总价([])\n"
    open_document(client, uri, text)
    at = text.rindex("计算总价") + 2
    result = await client.text_document_definition_async(
        lsp.DefinitionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp_position(TextDocument(uri, text), at, client.daima_encoding),  # type: ignore[attr-defined]
        )
    )
    assert isinstance(result, list) and result
    target = next(r for r in result if unquote(r.uri).endswith("/购物车.py"))
    assert target.range.start == lsp.Position(line=0, character=4)
