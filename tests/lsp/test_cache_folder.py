"""A cache folder the server cannot write (read-only, full, or not a folder) costs the index its
persistence, not its use: the user is told once, and definitions still answer."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from stdio_server import frame, initialize, start_server

from daima.lsp.framing import FrameReader


def _index_and_ask(root: Path, env: dict[str, str], name: str) -> tuple[list[str], list[dict]]:
    """Start the server, wait for the index, ask workspace/symbol for `name`: (messages shown, symbols)."""
    server = start_server(root, env)
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(frame(initialize(root, {"model": {"name": "none"}, "index": {"watch": False}})))
    server.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    server.stdin.flush()
    reader = FrameReader(server.stdout)
    watchdog = threading.Timer(120, server.kill)
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
                                       "params": {"query": name}}))  # fmt: skip
            server.stdin.flush()
            asked = True
        if asked and item.get("id") == 2:
            symbols = item["result"]
    watchdog.cancel()
    server.stdin.write(frame({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}))
    server.stdin.write(frame({"jsonrpc": "2.0", "method": "exit"}))
    server.stdin.close()
    server.wait(30)
    return shown, symbols


def test_an_unwritable_cache_folder_is_reported_and_the_index_still_answers(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "价格.py").write_text("def 计算总价(商品列表):\n    return 0\n", "utf-8")
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    shown, symbols = _index_and_ask(root, {**os.environ, "XDG_CACHE_HOME": str(blocker)}, "计算总价")
    assert any("cannot be written" in message and "in memory" in message for message in shown), shown
    assert [s["name"] for s in symbols] == ["计算总价"]
    assert blocker.read_text() == "not a folder"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 192 KiB file system (tmpfs); needs the right to mount, as root in CI's container has."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_cache_folder_that_fills_up_while_indexing_is_reported_and_the_index_still_answers(
    tmp_path: Path, small_disk: Path
) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    for i in range(400):  # about 600 KiB of index, on a disk of 192 KiB
        (root / f"模块{i}.py").write_text(
            f"def 函数{i}(参数):\n    return 参数 + {i}\n\nclass 类{i}:\n    def 方法(self):\n"
            f"        return 函数{i}(1)\n",
            "utf-8",
        )
    shown, symbols = _index_and_ask(root, {**os.environ, "XDG_CACHE_HOME": str(small_disk)}, "函数399")
    assert any("cannot be written" in m and "full" in m and "in memory" in m for m in shown), shown
    assert [s["name"] for s in symbols] == ["函数399"]
