"""End-to-end with the real Qwen2.5-Coder-0.5B on CPU: status, streamed partial text, final suggestion."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

pytestmark = pytest.mark.slow

SERVER = [sys.executable, "-m", "daima", "serve"]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    from daima.model.fetch import ensure_model

    ensure_model("qwen2.5-coder-0.5b")  # download once, outside the server's startup
    lsp_client.daima_status = []  # type: ignore[attr-defined]
    lsp_client.daima_progress = []  # type: ignore[attr-defined]

    @lsp_client.feature("daima/status")
    def on_status(params) -> None:
        lsp_client.daima_status.append(params)  # type: ignore[attr-defined]

    @lsp_client.feature("daima/completionProgress")
    def on_progress(params) -> None:
        lsp_client.daima_progress.append(params)  # type: ignore[attr-defined]

    # A loaded 2-core CI machine is far slower than an editor user's; the deadlines are generous here
    # (a pattern edit asks the model once a candidate: two prompts did not fit 8 s in a loaded CI run).
    options = {
        "model": {"name": "qwen2.5-coder-0.5b"},
        "completion": {"maxTimeMs": 60000, "nextEditTimeMs": 60000},
        "index": {"enabled": False},
    }
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options=options,
            root_uri=tmp_path.as_uri(),
        )
    )
    yield
    await lsp_client.shutdown_session()


async def wait_ready(client: LanguageClient, timeout: float = 240) -> None:
    for _ in range(int(timeout * 10)):
        states = [s.state for s in client.daima_status]  # type: ignore[attr-defined]
        if "ready" in states:
            return
        assert "error" not in states, client.daima_status  # type: ignore[attr-defined]
        await asyncio.sleep(0.1)
    raise AssertionError(f"model not ready: {client.daima_status}")  # type: ignore[attr-defined]


async def test_real_model_completes_the_function_body(client: LanguageClient, tmp_path: Path) -> None:
    await wait_ready(client)
    # The load's steps reach the editor, as daima/status and as LSP work-done progress.
    steps = [s.message for s in client.daima_status if s.state == "loading"]  # type: ignore[attr-defined]
    assert "loading the weights of qwen2.5-coder-0.5b" in steps and "preparing the engine on cpu" in steps, (
        steps
    )
    title = "daima: loading the model"
    for _ in range(100):  # the progress's end is sent right after the ready status
        loads = [v for v in client.progress_reports.values() if v and getattr(v[0], "title", "") == title]
        if loads and isinstance(loads[0][-1], lsp.WorkDoneProgressEnd):
            break
        await asyncio.sleep(0.1)
    assert loads and isinstance(loads[0][-1], lsp.WorkDoneProgressEnd), loads
    uri = (tmp_path / "add.py").as_uri()
    text = "def add(a, b):\n    \n\n\nprint(add(1, 2))\n"
    item = lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
    result = await client.text_document_inline_completion_async(
        lsp.InlineCompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=1, character=4),
            context=lsp.InlineCompletionContext(trigger_kind=lsp.InlineCompletionTriggerKind.Invoked),
        )
    )
    assert result is not None and result.items
    suggestion = result.items[0]
    assert suggestion.insert_text == "return a + b"
    cursor = lsp.Position(line=1, character=4)
    assert suggestion.range == lsp.Range(start=cursor, end=cursor)
    # The same text was streamed first, and the final notification says it is done.
    progress = client.daima_progress  # type: ignore[attr-defined]
    assert progress and progress[-1].done and progress[-1].text == "return a + b"
    assert all("return a + b".startswith(p.text) for p in progress)
    growing = [p.text for p in progress if not p.done]
    assert len(growing) >= 2, growing  # the one-line suggestion streamed token by token
    latencies = [s.lastLatencyMs for s in client.daima_status if s.lastLatencyMs is not None]  # type: ignore[attr-defined]
    assert latencies, "the status carries the last latency"


STORE = (Path(__file__).parents[1] / "data" / "next_edit" / "存储.py").read_text(encoding="utf-8")


async def test_real_model_decides_a_pattern_edit_over_the_server(client: LanguageClient, tmp_path: Path):
    """A method renamed at one call: with the model loaded, daima/nextEdit proposes the other call."""
    from test_next_edit_e2e import apply_answer, change, next_edit

    from daima.text import PositionEncoding

    await wait_ready(client)
    client.daima_encoding = PositionEncoding.UTF16  # type: ignore[attr-defined]
    uri = (tmp_path / "存储.py").as_uri()
    item = lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=STORE)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(item))
    at = STORE.index("warn")
    text = change(client, uri, STORE, at, at + len("warn"), "warning", 2)
    answer = await next_edit(client, uri, text, at + len("warning"), 2)
    assert answer["kind"] == "pattern", answer
    assert apply_answer(text, answer, PositionEncoding.UTF16) == STORE.replace("日志.warn(", "日志.warning(")
