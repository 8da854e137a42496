"""The real `daima serve` over stdio, started as an editor starts it, for the tests that read its raw
output (log lines, stderr, what reaches the client before any handler runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def start_server(cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`python -m daima serve` in `cwd`, every stream a pipe."""
    server = subprocess.Popen(
        [sys.executable, "-m", "daima", "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, cwd=cwd, env=env,
    )  # fmt: skip
    assert server.stdin is not None and server.stdout is not None and server.stderr is not None
    return server


def initialize(root: Path, options: dict[str, Any], request_id: int = 1) -> dict[str, Any]:
    """The `initialize` request of a client with no capabilities, for the workspace `root`."""
    params = {
        "processId": None,
        "rootUri": root.as_uri(),
        "capabilities": {},
        "initializationOptions": options,
    }
    return {"jsonrpc": "2.0", "id": request_id, "method": "initialize", "params": params}
