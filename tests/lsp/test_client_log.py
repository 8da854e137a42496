"""The server's log reaches the client at each record's level (`window/logMessage`), and stderr, which
editors file under errors, keeps only warnings and errors once the client is there."""

from __future__ import annotations

import threading
from pathlib import Path

from stdio_server import frame, initialize, start_server

from daima.lsp.framing import FrameReader


def test_info_goes_to_the_client_as_info_and_not_to_stderr(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def 计算():\n    return 1\n", "utf-8")
    server = start_server(tmp_path)
    assert server.stdin is not None and server.stdout is not None and server.stderr is not None
    server.stdin.write(frame(initialize(tmp_path, {"model": {"name": "none"}, "index": {"watch": False}})))
    server.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    server.stdin.flush()
    reader = FrameReader(server.stdout)
    logged: list[dict] = []
    watchdog = threading.Timer(60, server.kill)  # a server that never logs it ends the wait
    watchdog.start()
    while not any("index ready" in m["message"] for m in logged):
        item = reader.next()
        assert item is not None, "the server ended"
        if isinstance(item, dict) and item.get("method") == "window/logMessage":
            logged.append(item["params"])
    watchdog.cancel()
    server.stdin.write(frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
    server.stdin.write(frame({"jsonrpc": "2.0", "method": "exit"}))
    server.stdin.close()
    server.wait(30)
    stderr = server.stderr.read().decode("utf-8", "replace")
    ready = next(m for m in logged if "index ready" in m["message"])
    assert ready["type"] == 3 and ready["message"].startswith("daima.")  # Info, with the logger's name
    assert "index ready" not in stderr, stderr
    assert " INFO " not in stderr.split("initialized", 1)[-1]


def test_the_log_level_in_initialization_options_applies_from_the_start(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("总价 = 1\n", "utf-8")
    server = start_server(tmp_path)
    assert server.stdin is not None and server.stdout is not None
    options = {"model": {"name": "none"}, "index": {"watch": False}, "logLevel": "debug"}
    uri = (tmp_path / "a.py").as_uri()
    for message in (
        initialize(tmp_path, options),
        {"method": "initialized", "params": {}},
        {"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": "总价 = 1\n总"}}},
        {"id": 2, "method": "textDocument/inlineCompletion", "params": {
            "textDocument": {"uri": uri}, "position": {"line": 1, "character": 1},
            "context": {"triggerKind": 2}}},
    ):  # fmt: skip
        server.stdin.write(frame({"jsonrpc": "2.0", **message}))
    server.stdin.flush()
    reader = FrameReader(server.stdout)
    logged: list[dict] = []
    watchdog = threading.Timer(60, server.kill)
    watchdog.start()
    answered = False
    while not answered:
        item = reader.next()
        assert item is not None, "the server ended"
        if isinstance(item, dict) and item.get("method") == "window/logMessage":
            logged.append(item["params"])
        answered = isinstance(item, dict) and item.get("id") == 2
    server.stdin.write(frame({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}))
    server.stdin.write(frame({"jsonrpc": "2.0", "method": "exit"}))
    server.stdin.close()
    server.wait(30)
    watchdog.cancel()
    # Debug records (type 4, Log) reach the client: each completion says what it answered.
    assert any(m["type"] == 4 and "completion at" in m["message"] for m in logged), logged
