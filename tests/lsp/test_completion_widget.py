"""A client that shows inline completions gets no `textDocument/completion` items from daima: VS Code
opens its suggest widget for them, and while the widget is open it hides the inline ghost text."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SERVER = [sys.executable, "-m", "daima", "serve"]
TEXT = "def 计算总价(商品列表):\n    return sum(商品列表)\n\n商品"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    capabilities = client_capabilities("visual-studio-code")
    # What vscode-languageclient 9 announces with its proposed features (the extension registers them).
    capabilities.text_document.inline_completion = lsp.InlineCompletionClientCapabilities(  # type: ignore[union-attr]
        dynamic_registration=True
    )
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=capabilities, root_uri=tmp_path.as_uri(),
            initialization_options={"model": {"name": "none"}, "index": {"enabled": False}},
        )
    )  # fmt: skip
    yield
    await lsp_client.shutdown_session()


async def test_an_inline_client_gets_its_suggestion_inline_and_no_completion_items(
    client: LanguageClient,
) -> None:
    uri = "file:///tmp/购物车.py"
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=TEXT)
        )
    )  # fmt: skip
    position = lsp.Position(line=3, character=2)
    inline = await client.text_document_inline_completion_async(
        lsp.InlineCompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=position,
            context=lsp.InlineCompletionContext(trigger_kind=lsp.InlineCompletionTriggerKind.Automatic),
        )
    )  # fmt: skip
    assert inline is not None and inline.items[0].insert_text == "列表"
    items = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=position)
    )
    assert items is None
