"""`daima serve --tcp` serves one client: a second connection is refused with a reason, and the first
client's answers keep going to the first client (they went to whoever connected last)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from daima.lsp.tcp import BUSY


def _frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def _read(sock: socket.socket) -> dict[str, Any]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
                 .split(b":")[1])  # fmt: skip
    while len(body) < length:
        body += sock.recv(4096)
    return json.loads(body[:length])


def _connect(port: int) -> socket.socket:
    for _ in range(100):
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=30)
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the server did not listen")


def test_a_second_client_is_refused_and_the_first_keeps_its_answers(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "daima", "serve", "--tcp", f"127.0.0.1:{port}"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        options = {"model": {"name": "none"}, "index": {"watch": False}}
        initialize = {
            "processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {},
            "initializationOptions": options,
        }  # fmt: skip
        first = _connect(port)
        first.sendall(_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize}))
        assert "capabilities" in _read(first)["result"]
        second = _connect(port)
        second.sendall(_frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize}))
        refused = _read(second)
        assert refused["id"] == 1 and refused["error"]["message"] == BUSY
        assert second.recv(1) == b""  # and closed
        first.sendall(_frame({"jsonrpc": "2.0", "id": 2, "method": "daima/status", "params": {}}))
        answer = _read(first)
        while "id" not in answer:  # notifications (log lines) may come first
            answer = _read(first)
        assert answer["id"] == 2 and "state" in answer["result"]
        first.close()
        server.wait(30)  # the session ends with its client
    finally:
        server.kill()
