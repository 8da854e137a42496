"""The real server over stdio: `daima/cursor` warms the prompt a request there will build, and typing
the start of a shown suggestion is answered with its rest without asking the completer again."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SERVER = [sys.executable, "-m", "daima", "serve"]


def _plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


async def _start(client: LanguageClient, root: Path, options: dict[str, Any]) -> None:
    client.daima_done = []  # type: ignore[attr-defined]

    @client.feature("daima/completionProgress")
    def on_progress(params: Any) -> None:
        params = _plain(params)
        if params.get("done"):
            client.daima_done.append(params)  # type: ignore[attr-defined]

    await client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), initialization_options=options,
            root_uri=root.as_uri(),
        )
    )  # fmt: skip


async def _ready(client: LanguageClient) -> None:
    for _ in range(1200):
        status = _plain(await client.protocol.send_request_async("daima/status", None))
        if status["state"] in ("ready", "error", "disabled"):
            assert status["state"] == "ready", status
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the model did not load")


def _at(line: int, character: int) -> lsp.Range:
    return lsp.Range(
        start=lsp.Position(line=line, character=character), end=lsp.Position(line=line, character=character)
    )


def _insert(client: LanguageClient, uri: str, version: int, line: int, character: int, text: str) -> None:
    """One typed insertion at line:character (a didChange as an editor sends it)."""
    change = lsp.TextDocumentContentChangePartial(range=_at(line, character), text=text)
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[change],
        )
    )


def _open(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
        )
    )  # fmt: skip


async def _ask(client: LanguageClient, uri: str, line: int, character: int) -> Any:
    return await client.text_document_inline_completion_async(
        lsp.InlineCompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=line, character=character),
            context=lsp.InlineCompletionContext(trigger_kind=lsp.InlineCompletionTriggerKind.Automatic),
        )
    )  # fmt: skip


async def _last_done(client: LanguageClient, count: int) -> dict[str, Any]:
    for _ in range(100):
        if len(client.daima_done) >= count:  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.05)
    return client.daima_done[-1]  # type: ignore[attr-defined]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def words_client(lsp_client: LanguageClient, tmp_path: Path):
    await _start(lsp_client, tmp_path, {"model": {"name": "none"}, "index": {"enabled": False}})
    yield
    await lsp_client.shutdown_session()


async def test_typing_the_start_of_the_suggestion_shows_its_rest_without_asking_again(
    words_client: LanguageClient,
) -> None:
    uri = "file:///tmp/甲.py"
    text = "总价格式化 = 1\n总"
    _open(words_client, uri, text)
    first = await _ask(words_client, uri, 1, 1)
    assert first is not None and first.items[0].insert_text == "价格式化"
    assert (await _last_done(words_client, 1))["stats"]["source"] == "words"
    _insert(words_client, uri, 2, 1, 1, "价")
    rest = await _ask(words_client, uri, 1, 2)
    assert rest is not None and rest.items[0].insert_text == "格式化"
    done = await _last_done(words_client, 2)
    assert done["stats"]["source"] == "type-through" and done["version"] == 2
    # A character the suggestion does not have: the completer is asked again.
    _insert(words_client, uri, 3, 1, 2, "x")
    assert await _ask(words_client, uri, 1, 3) is None


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def tiny_client(lsp_client: LanguageClient, tmp_path: Path, fetched_model_dir: Path):
    from daima.model.testing import tiny_model_dir

    tiny = str(tiny_model_dir(tmp_path / "tiny"))
    # One generation a request: how many more the checks ask for depends on what the random weights
    # write and on the time left, and a steered one may ask another prompt. A deadline no load reaches:
    # on a busy machine the measured speed falls and a 2 s deadline would ask with the quick prompt.
    options = {
        "model": {"name": tiny, "device": "cpu", "quantize": "none"}, "index": {"enabled": False},
        "completion": {"extraCandidates": 0, "maxTimeMs": 60000},
    }  # fmt: skip
    await _start(lsp_client, tmp_path, options)
    await _ready(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def _prompt_cache(client: LanguageClient) -> dict[str, int]:
    return _plain(await client.protocol.send_request_async("daima/status", None))["promptCache"]


def _warmed(client: LanguageClient) -> list[str]:
    return [m.message for m in client.log_messages if "completion_feature: warmed " in m.message]


SOURCE = "".join(f"def 函数{n}(参数):\n    值 = 参数 * {n}\n    return 值\n\n" for n in range(60))


@pytest.mark.slow
async def test_a_cursor_note_warms_the_prompt_that_a_request_there_then_finds_cached(
    tiny_client: LanguageClient,
) -> None:
    uri = "file:///tmp/乙.py"
    _open(tiny_client, uri, SOURCE)
    line = 4 * 30 + 1  # inside the 31st function, after its indentation
    tiny_client.protocol.notify(
        "daima/cursor", {"textDocument": {"uri": uri}, "position": {"line": line, "character": 4}}
    )
    for _ in range(600):
        if _warmed(tiny_client):
            break
        await asyncio.sleep(0.1)
    assert _warmed(tiny_client), [m.message for m in tiny_client.log_messages]
    warmed = await _prompt_cache(tiny_client)
    assert warmed["computedTokens"] > 500 and warmed["misses"] == 1, warmed
    await _ask(tiny_client, uri, line, 4)
    asked = await _prompt_cache(tiny_client)
    # The request's generation computed only the last token of its prompt: the rest was prefilled
    # before the request came.
    assert asked["hits"] - warmed["hits"] == 1 and asked["misses"] == 1, (warmed, asked)
    assert asked["computedTokens"] - warmed["computedTokens"] == 1, (warmed, asked)
    assert asked["reusedTokens"] - warmed["reusedTokens"] == warmed["computedTokens"] - 1, (warmed, asked)


@pytest.mark.slow
async def test_without_a_cursor_note_the_first_request_prefills_its_whole_prompt(
    tiny_client: LanguageClient,
) -> None:
    uri = "file:///tmp/丙.py"
    _open(tiny_client, uri, SOURCE)
    await _ask(tiny_client, uri, 4 * 30 + 1, 4)
    asked = await _prompt_cache(tiny_client)
    # The first generation found nothing cached (a miss) and computed the whole prompt.
    assert asked["misses"] == 1 and asked["computedTokens"] > 1000, asked
