"""Framing that survives bad frames (lsp/framing.py), and the real server answering after each of them."""

from __future__ import annotations

import io
import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from daima.lsp.framing import BadFrame, FrameReader

PING = {"jsonrpc": "2.0", "id": 7, "method": "shutdown"}


def frame(message: Any, *, header: str = "Content-Length", delta: int = 0, eol: str = "\r\n") -> bytes:
    body = json.dumps(message).encode()
    return f"{header}: {len(body) + delta}{eol}{eol}".encode() + body


def messages(data: bytes) -> list[Any]:
    reader, found = FrameReader(io.BytesIO(data), max_body=1 << 20), []
    while (item := reader.next()) is not None:
        found.append(item)
    return found


@pytest.mark.parametrize(
    "bad",
    [
        frame({"a": 1}, delta=1),  # one byte too long: it runs into the next frame's header
        frame({"a": 1}, delta=-1),  # one byte too short: its tail is glued to the next header
        b"garbage before a frame\r\n",
        b"Content-Length: 1000000000000\r\n\r\n{}",  # far over the limit
        b"Content-Length: 5\r\n\r\nnot j",  # not JSON
        b"x" * 100_000,  # one endless line
    ],
)
def test_the_next_good_frame_is_read_after_a_bad_one(bad: bytes) -> None:
    found = messages(bad + frame(PING))
    assert found[-1] == PING
    assert all(isinstance(item, BadFrame) or item == {"a": 1} for item in found[:-1])


@pytest.mark.parametrize(
    "good",
    [frame(PING, header="content-length"), frame(PING, eol="\n"), frame(PING, header="CONTENT-LENGTH")],
)
def test_lenient_headers(good: bytes) -> None:
    assert messages(good) == [PING]


def test_content_type_header_and_blank_lines_between_frames() -> None:
    body = json.dumps(PING).encode()
    data = (
        b"\r\n"
        + b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    assert messages(data + data) == [PING, PING]


class RawClient:
    """The real `daima serve` over stdio, fed bytes exactly as given."""

    def __init__(self, workdir: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daima", "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, cwd=workdir,
        )  # fmt: skip
        self.answers: queue.Queue[Any] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        reader = FrameReader(self.process.stdout)
        while (item := reader.next()) is not None:
            self.answers.put(item)

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def answer(self, msg_id: Any, timeout: float = 60) -> dict[str, Any]:
        """The response with this id (notifications and other responses are passed over)."""
        found = self._next(lambda item: "method" not in item and item.get("id") == msg_id, timeout)
        assert found is not None, f"no answer to id {msg_id!r}: the server is deaf or gone"
        return found

    def notification(self, method: str, timeout: float = 60) -> dict[str, Any]:
        """The next notification of this method (everything else is passed over)."""
        found = self._next(lambda item: item.get("method") == method and "id" not in item, timeout)
        assert found is not None, f"no {method} notification"
        return found

    def _next(self, wanted: Any, timeout: float) -> dict[str, Any] | None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                item = self.answers.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                return None
            if isinstance(item, dict) and wanted(item):
                return item
        return None

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)


def initialize(msg_id: int = 1) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0", "id": msg_id, "method": "initialize",
        "params": {"processId": os.getpid(), "rootUri": None, "capabilities": {},
                   "initializationOptions": {"model": {"name": "none"}, "index": {"enabled": False}}},
    }  # fmt: skip


def request(msg_id: int, method: str, params: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}


@pytest.fixture
def client(tmp_path: Path) -> Any:
    raw = RawClient(tmp_path)
    yield raw
    raw.close()


def test_the_server_answers_as_the_specification_says(client: RawClient) -> None:
    client.send(frame(request(1, "workspace/symbol", {"query": "x"})))
    assert client.answer(1)["error"]["code"] == -32002  # before initialize
    client.send(b"Content-Length: 9\r\n\r\n{not json")
    assert client.answer(None)["error"]["code"] == -32700
    client.send(b"Content-Length: 1000000000000\r\n\r\n")
    assert client.answer(None)["error"]["code"] == -32700
    client.send(frame([1, 2]))
    assert client.answer(None)["error"]["code"] == -32600
    client.send(frame(initialize(2)))
    assert "capabilities" in client.answer(2)["result"]
    client.send(frame(initialize(5)))
    assert client.answer(5)["error"]["code"] == -32600  # a second initialize
    client.send(frame(request(3, "shutdown")))
    assert client.answer(3)["result"] is None
    client.send(frame(request(4, "workspace/symbol", {"query": "x"})))
    assert client.answer(4)["error"]["code"] == -32600  # after shutdown


@pytest.mark.parametrize(
    "bad",
    [
        frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}, delta=1),
        frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}, delta=-1),
        frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}, header="content-length"),
        frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}, eol="\n"),
        b"\x00\xff garbage \r\n",
    ],
)
def test_no_bad_frame_leaves_the_server_deaf(client: RawClient, bad: bytes) -> None:
    client.send(frame(initialize(1)))
    client.answer(1)
    client.send(bad)
    client.send(frame(request(2, "workspace/symbol", {"query": "x"})))
    assert "result" in client.answer(2) or "error" in client.answer(2)


def test_fuzzed_frames(client: RawClient) -> None:
    """Random damage to real frames for a bounded number of rounds; after each, a request is answered."""
    rng = random.Random(0)
    client.send(frame(initialize(1)))
    client.answer(1)
    started, rounds = time.monotonic(), 0
    templates = [
        request(0, "workspace/symbol", {"query": "a"}),
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": "file:///tmp/f.py", "languageId": "python", "version": 1, "text": "x = 1\n"}}},
        request(0, "textDocument/definition",
                {"textDocument": {"uri": "file:///tmp/f.py"}, "position": {"line": -1}}),
    ]  # fmt: skip
    while rounds < 60 and time.monotonic() - started < 45:
        data = bytearray(frame(rng.choice(templates)))
        for _ in range(rng.randint(1, 4)):
            kind, at = rng.randrange(3), rng.randrange(len(data))
            if kind == 0:
                data[at] = rng.randrange(256)
            elif kind == 1:
                del data[at : at + rng.randint(1, 8)]
            else:
                data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        client.send(bytes(data) + b"\r\n")
        msg_id = 1000 + rounds
        client.send(frame(request(msg_id, "workspace/symbol", {"query": "a"})))
        client.answer(msg_id, timeout=30)
        rounds += 1
    assert client.process.poll() is None and rounds >= 10


@pytest.mark.parametrize(("shutdown_first", "code"), [(True, 0), (False, 1)])
def test_exit_code(client: RawClient, shutdown_first: bool, code: int) -> None:
    client.send(frame(initialize(1)))
    client.answer(1)
    if shutdown_first:
        client.send(frame(request(2, "shutdown")))
        client.answer(2)
    client.send(frame({"jsonrpc": "2.0", "method": "exit", "params": None}))
    assert client.process.wait(timeout=30) == code
