"""HTTP for the remote engine with the standard library: timeouts, cancellation, one-sentence errors.

Every failure becomes an `EngineError` that names the server's URL, because that message ends up in
front of the user in the editor: "is not reachable", "did not answer within N ms", "answered HTTP 500:
<excerpt>". Cancellation and deadlines close the socket from a watcher thread, which is the only way
to interrupt a read that http.client is blocked in without waiting for the read timeout.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from daima.model.api import CancelToken, EngineError

EXCERPT_CHARS = 200  # how much of a bad body goes into an error message
MAX_JSON_BYTES = 16 << 20  # a JSON answer larger than this is not a tokenizer/model answer
WATCH_INTERVAL_S = 0.01  # how often the watcher looks at the cancel token


@dataclass(frozen=True)
class Target:
    """Where the server lives, split once from the configured base URL."""

    url: str  # as configured, without a trailing slash, for messages
    https: bool
    host: str
    port: int
    base_path: str  # e.g. "" or "/v1-proxy"; endpoint paths are appended to it

    @classmethod
    def parse(cls, url: str) -> Target:
        """Split a base URL such as `http://127.0.0.1:8000` (a trailing `/v1` is accepted and dropped)."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EngineError(f"remote engine URL '{url}' is not an http:// or https:// URL")
        base = parts.path.rstrip("/")
        if base.endswith("/v1"):  # people paste the OpenAI base URL; endpoints add /v1 themselves
            base = base[:-3]
        https = parts.scheme == "https"
        return cls(url.strip().rstrip("/"), https, parts.hostname, parts.port or (443 if https else 80), base)


def excerpt(body: bytes | str) -> str:
    """A short, single-line piece of a body for an error message."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    return text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else "")


class Exchange:
    """One HTTP request/response on its own connection, closable from another thread."""

    def __init__(self, target: Target, timeout_s: float) -> None:
        self.target = target
        self.timeout_s = timeout_s
        cls = http.client.HTTPSConnection if target.https else http.client.HTTPConnection
        self._conn = cls(target.host, target.port, timeout=timeout_s)
        self.response: http.client.HTTPResponse | None = None
        # Kept apart from the connection: http.client forgets `conn.sock` once a response says
        # "Connection: close", but the response still reads from this socket.
        self._sock: socket.socket | None = None

    def send(self, method: str, path: str, body: Mapping[str, Any] | None, headers: Mapping[str, str]) -> int:
        """Connect, send the request and read the status line and headers; return the status."""
        payload = None if body is None else json.dumps(body).encode("utf-8")
        all_headers = {"Accept": "application/json, text/event-stream", **headers}
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        try:
            if self._conn.sock is None:  # a kept-alive connection is already open
                self._conn.connect()
            self._sock = self._conn.sock
            self._conn.request(method, self.target.base_path + path, body=payload, headers=all_headers)
            self.response = self._conn.getresponse()
        except BaseException as error:
            self.close()
            raise self.translate(error) from error
        return self.response.status

    def read_some(self) -> bytes:
        """The next bytes of the body as they arrive (b"" at the end)."""
        assert self.response is not None
        try:
            return self.response.read1(65536)
        except BaseException as error:
            raise self.translate(error) from error

    def read_all(self, limit: int = MAX_JSON_BYTES) -> bytes:
        """The whole body, refusing bodies over `limit` bytes."""
        chunks: list[bytes] = []
        size = 0
        while chunk := self.read_some():
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise EngineError(f"remote engine at {self.target.url} sent a body over {limit} bytes")
        assert self.response is not None
        self.response.read()  # read1 leaves a finished fixed-length body "open"; read() marks it done
        return b"".join(chunks)

    def set_timeout(self, timeout_s: float) -> None:
        """Use another connect/read timeout for the next request on this connection."""
        self.timeout_s = self._conn.timeout = timeout_s
        if self._conn.sock is not None:
            self._conn.sock.settimeout(timeout_s)

    def reusable(self) -> bool:
        """The response was read to its end and the server keeps the connection open."""
        return self.response is not None and self.response.isclosed() and not self.response.will_close

    def abort(self) -> bool:
        """Unblock a blocked read and make the server see a disconnect; False while not connected."""
        sock = self._sock
        if sock is None:
            return False
        with contextlib.suppress(OSError):  # already closed by the other side
            sock.shutdown(socket.SHUT_RDWR)
        return True

    def close(self) -> None:
        self._conn.close()

    def translate(self, error: BaseException) -> EngineError:
        """One clear sentence for a transport failure, naming the URL."""
        url = self.target.url
        if isinstance(error, EngineError):
            return error
        if isinstance(error, ConnectionRefusedError):
            return EngineError(
                f"remote engine at {url} is not reachable (connection refused); is the server running?"
            )
        if isinstance(error, TimeoutError | socket.timeout):
            return EngineError(f"remote engine at {url} did not answer within {self.timeout_s * 1000:.0f} ms")
        if isinstance(error, socket.gaierror):
            return EngineError(f"remote engine at {url}: cannot resolve host '{self.target.host}'")
        if isinstance(error, http.client.HTTPException):
            return EngineError(f"remote engine at {url} sent a malformed HTTP response ({error!r})")
        if isinstance(error, OSError):
            return EngineError(f"remote engine at {url} failed: {error.strerror or error}")
        return EngineError(f"remote engine at {url} failed: {error!r}")


class Watcher:
    """Aborts an exchange when the cancel token is set or the deadline passes; records which."""

    def __init__(self, exchange: Exchange, cancel: CancelToken | None, deadline: float | None) -> None:
        self.reason = ""  # "cancelled" or "deadline" once it fired
        self._exchange = exchange
        self._cancel = cancel
        self._deadline = deadline
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="daima-remote-watch", daemon=True)
        self._thread.start()

    def check(self) -> str:
        """The reason to stop now ("cancelled", "deadline") or ""; callable from the reading thread."""
        if self._cancel is not None and self._cancel.cancelled:
            return "cancelled"
        if self._deadline is not None and time.monotonic() >= self._deadline:
            return "deadline"
        return ""

    def _run(self) -> None:
        while not self._done.wait(WATCH_INTERVAL_S):
            reason = self.check()
            if reason:
                self.reason = reason
                if self._exchange.abort():
                    return
                # Still connecting: try again next tick, once there is a socket to shut down.

    def stop(self) -> None:
        self._done.set()


Body = Mapping[str, Any] | None
STALE_CONNECTION = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
MAX_IDLE = 4  # kept-alive connections per engine


class JsonClient:
    """JSON calls over kept-alive connections: a tokenize per prompt piece should not pay a handshake."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._idle: list[Exchange] = []
        self._lock = threading.Lock()

    def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        headers: Mapping[str, str],
        timeout_s: float,
    ) -> Any:
        """Send one request; non-2xx, non-JSON or transport failures raise EngineError."""
        with self._lock:
            exchange = self._idle.pop() if self._idle else None
        if exchange is None:
            return self._call_on(Exchange(self._target, timeout_s), method, path, body, headers)
        exchange.set_timeout(timeout_s)
        try:
            return self._call_on(exchange, method, path, body, headers)
        except EngineError as error:
            if not isinstance(error.__cause__, STALE_CONNECTION):
                raise
        # The server closed the idle connection meanwhile: once more on a fresh one.
        return self._call_on(Exchange(self._target, timeout_s), method, path, body, headers)

    def _call_on(
        self,
        exchange: Exchange,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        headers: Mapping[str, str],
    ) -> Any:
        try:
            status = exchange.send(method, path, body, headers)
            raw = exchange.read_all()
        except BaseException:
            exchange.close()
            raise
        with self._lock:
            if exchange.reusable() and len(self._idle) < MAX_IDLE:
                self._idle.append(exchange)
            else:
                exchange.close()
        if not 200 <= status < 300:
            raise HttpStatusError(self._target, method, path, status, raw)
        try:
            return json.loads(raw)
        except ValueError:
            raise BadAnswerError(
                f"remote engine at {self._target.url} answered {method} {path} with non-JSON: "
                f"{excerpt(raw)!r}"
            ) from None


class BadAnswerError(EngineError):
    """The server answered, but not with what the API promises (non-JSON, wrong fields)."""


class HttpStatusError(EngineError):
    """A non-2xx answer; `status` lets callers tell 'no such endpoint' from a failure."""

    def __init__(self, target: Target, method: str, path: str, status: int, body: bytes) -> None:
        super().__init__(
            f"remote engine at {target.url} answered {method} {path} with HTTP {status}: {excerpt(body)!r}"
        )
        self.status = status
