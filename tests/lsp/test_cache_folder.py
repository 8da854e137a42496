"""A cache folder the server cannot write (read-only, full, or not a folder) costs the index its
persistence, not its use: the user is told once, and definitions still answer."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from stdio_server import frame, initialize, start_server

from daima.lsp.framing import FrameReader


def test_an_unwritable_cache_folder_is_reported_and_the_index_still_answers(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "价格.py").write_text("def 计算总价(商品列表):\n    return 0\n", "utf-8")
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    env = {**os.environ, "XDG_CACHE_HOME": str(blocker)}
    server = start_server(root, env)
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(frame(initialize(root, {"model": {"name": "none"}, "index": {"watch": False}})))
    server.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    server.stdin.flush()
    reader = FrameReader(server.stdout)
    watchdog = threading.Timer(60, server.kill)
    watchdog.start()
    shown: list[str] = []
    symbols = None
    asked = False
    while symbols is None:
        item = reader.next()
        assert item is not None, "the server ended"
        if not isinstance(item, dict):
            continue
        if item.get("method") == "window/showMessage":
            shown.append(item["params"]["message"])
        if item.get("method") == "window/logMessage" and "index ready" in item["params"]["message"]:
            server.stdin.write(frame({"jsonrpc": "2.0", "id": 2, "method": "workspace/symbol",
                                       "params": {"query": "计算总价"}}))  # fmt: skip
            server.stdin.flush()
            asked = True
        if asked and item.get("id") == 2:
            symbols = item["result"]
    watchdog.cancel()
    server.stdin.write(frame({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}))
    server.stdin.write(frame({"jsonrpc": "2.0", "method": "exit"}))
    server.stdin.close()
    server.wait(30)
    assert any("cannot be written" in message and "in memory" in message for message in shown), shown
    assert [s["name"] for s in symbols] == ["计算总价"]
    assert blocker.read_text() == "not a folder"
