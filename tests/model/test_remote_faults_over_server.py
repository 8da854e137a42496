"""The remote engine's faults as a person meets them: through the real `daima serve`, in the editor.

A real HTTP server stands in for vLLM / llama.cpp and misbehaves in the middle of an answer: HTTP 500, a
malformed event, a stall, a server that drips one byte a second. At each: the request is answered within
its deadline with what arrived (never a broken name), the user is told what went wrong once (not once a
keystroke), the server stays up, and the next request after the remote server recovers gets a suggestion.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from remote_servers import Handler, choice_event, scripted_server

SERVER = [sys.executable, "-m", "daima", "serve"]
SOURCE = "def 计算总价(商品列表):\n    总价 = 0\n    for 商品 in 商品列表:\n        "
DEADLINE_MS = 1500


class Faults:
    """What the remote server does with the next completion request."""

    mode = "good"


def completions(handler: Handler, _body: Any) -> None:
    mode = Faults.mode
    if mode == "http500":
        handler.send_json(500, {"error": {"message": "CUDA error: an illegal memory access"}})
        return
    handler.start_sse()
    handler.write(choice_event("总价 += "))
    if mode == "good":
        handler.write(choice_event("商品.单价\n", "stop"))
        handler.write(b"data: [DONE]\n\n")
    elif mode == "malformed":
        handler.write(b'data: {"choices": [{"text": "\xe5\x95\x86\n\n')  # cut inside a name, bad JSON
        handler.write(b"data: [DONE]\n\n")
    elif mode == "stall":
        handler.sleep(30)
    elif mode == "drip":
        for byte in choice_event("商品.单价\n", "stop"):
            handler.write(bytes([byte]))
            handler.sleep(1.0)


@pytest.fixture(scope="module")
def remote():
    with scripted_server({("POST", "/v1/completions"): completions}) as server:
        yield server


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path: Path, remote, fetched_model_dir: Path):
    lsp_client.daima_status = []  # type: ignore[attr-defined]

    @lsp_client.feature("daima/status")
    def on_status(params) -> None:
        lsp_client.daima_status.append(params)  # type: ignore[attr-defined]

    root = tmp_path / "ws"
    root.mkdir()
    options = {
        "model": {"name": "qwen2.5-coder-0.5b", "remoteUrl": remote.url, "remoteTimeoutMs": 1000,
                  "remoteTokenizer": str(fetched_model_dir)},
        "completion": {"maxTimeMs": DEADLINE_MS},
        "index": {"watch": False},
    }  # fmt: skip
    params = lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"), initialization_options=options,
        root_uri=root.as_uri(), workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="ws")],
    )  # fmt: skip
    await lsp_client.initialize_session(params)
    for _ in range(600):
        status = await lsp_client.protocol.send_request_async("daima/status", None)
        if status.state != "loading":
            break
        await asyncio.sleep(0.1)
    assert status.state == "ready", status
    lsp_client.daima_root = root  # type: ignore[attr-defined]
    lsp_client.remote_url = remote.url  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def ask(client: LanguageClient, uri: str, text: str) -> tuple[str, float]:
    lines = text.split("\n")
    position = lsp.Position(line=len(lines) - 1, character=len(lines[-1].encode("utf-16-le")) // 2)
    began = time.monotonic()
    result = await client.text_document_inline_completion_async(
        lsp.InlineCompletionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=position,
            context=lsp.InlineCompletionContext(trigger_kind=lsp.InlineCompletionTriggerKind.Automatic),
        )
    )  # fmt: skip
    took = time.monotonic() - began
    items = result.items if isinstance(result, lsp.InlineCompletionList) else (result or [])
    first = items[0].insert_text if items else ""
    return (first if isinstance(first, str) else first.value), took


@pytest.mark.slow
async def test_faults_mid_stream_are_answered_in_time_told_once_and_recovered_from(client: LanguageClient):
    uri = (client.daima_root / "价格.py").as_uri()  # type: ignore[attr-defined]
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=SOURCE)))  # fmt: skip
    statuses = client.daima_status  # type: ignore[attr-defined]
    answers: list[tuple[str, str, float]] = []
    for mode in ("good", "http500", "http500", "malformed", "stall", "drip", "good"):
        Faults.mode = mode
        text, took = await ask(client, uri, SOURCE)
        answers.append((mode, text, took))
        await asyncio.sleep(0.2)  # the status notification follows the answer
    errors = [s.message for s in statuses if s.state == "error"]
    assert answers[0][1] == answers[-1][1] == "总价 += 商品.单价", answers
    for mode, text, took in answers[1:-1]:
        assert text in ("", "总价 += "), (mode, text)  # what arrived whole, never a cut name
        assert took < DEADLINE_MS / 1000 + 1.0, (mode, took)  # the drip and the stall end at the deadline
    # Told once per distinct failure (two HTTP 500s: one status), each naming the server and the fault.
    assert sum("HTTP 500" in m for m in errors) == 1, errors
    assert any("malformed" in m or "not valid" in m or "event" in m for m in errors), errors
    assert any("did not answer within 1000 ms" in m for m in errors), errors
    assert all(client.remote_url in m for m in errors), errors  # type: ignore[attr-defined]
    assert statuses[-1].state == "ready" and statuses[-1].message == "", statuses[-1]
