"""`daima serve --tcp`: one client at a time.

The server holds one session's state (open documents, the index, the model's cache) and pygls gives a TCP
connection the one protocol object, so a second connection used to take over its writer: the first
client's answers went to the second. A second client is now refused, with an error answering its first
request, and the session goes on with the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import threading
from typing import Any

from pygls.io_ import run_async

log = logging.getLogger(__name__)

BUSY = "daima serve --tcp serves one client at a time, and another client is connected"
_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)
_SERVER_ERROR = -32000  # JSON-RPC's range for errors the server defines


def serve_tcp(server: Any, host: str, port: int) -> None:
    """Serve the first client to connect on host:port; the server stops when it disconnects."""
    stop = server._stop_event = threading.Event()  # what pygls' shutdown sets
    connected = False

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connected
        if connected:
            await _refuse(reader, writer)
            return
        connected = True
        log.info("client connected")
        server.protocol.set_writer(writer)
        await run_async(
            stop_event=stop, reader=reader, protocol=server.protocol, logger=log,
            error_handler=server.report_server_error,
        )  # fmt: skip
        log.info("client disconnected")
        server.shutdown()

    async def serve() -> None:
        server._server = await asyncio.start_server(connection, host, port)
        log.info("serving on %s", ", ".join(str(s.getsockname()) for s in server._server.sockets))
        async with server._server:
            await server._server.serve_forever()

    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(serve())


async def _refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer the newcomer's first request with an error that says why, then close its connection."""
    request_id = None
    try:
        headers = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        length = _LENGTH.search(headers)
        if length is not None:
            body = json.loads(await asyncio.wait_for(reader.readexactly(int(length.group(1))), 5))
            request_id = body.get("id") if isinstance(body, dict) else None
    except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
        pass
    if request_id is not None:
        error = {"code": _SERVER_ERROR, "message": BUSY}
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "error": error}
    else:
        reply = {"jsonrpc": "2.0", "method": "window/showMessage", "params": {"type": 1, "message": BUSY}}
    payload = json.dumps(reply).encode()
    log.warning("refused a second client: %s", BUSY)
    try:
        writer.write(f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
        await writer.drain()
    finally:
        writer.close()
