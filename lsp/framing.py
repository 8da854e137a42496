"""LSP base-protocol framing that survives a bad frame: `Content-Length` headers read leniently, bodies
capped, and after any broken frame the reader finds the next header instead of going deaf.

pygls' own reader matches the header byte for byte (`Content-Length: N\\r\\n`), reads lines without a
bound and reads whatever length a header claims, so one frame a byte too long or short, a lowercase
header, LF-only line ends or garbage before a frame left the server alive but answering nothing, and
`Content-Length: 1e12` ended it with a MemoryError. Here every header line is bounded, the header name is
matched in any case and anywhere in its line (the tail of a too-short body glued to the next header is
skipped), and a body that is not JSON is answered with a parse error; if the body swallowed the next
frame's header, reading resumes at that header.
"""

from __future__ import annotations

import functools
import json
import os
import queue
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

# The longest header line read as one; a longer line is garbage and is skipped in pieces of this size.
MAX_HEADER_LINE = 8192
# The largest body accepted: a 64 MB message is far beyond any document the index takes (maxFileKb).
MAX_BODY = 64 * 1024 * 1024
_READ_AHEAD_CHUNKS = 4  # of up to 64 KB each
_DECODER = json.JSONDecoder()
_HEADER_NAME = b"content-length"
_CONTENT_LENGTH = re.compile(rb"content-length[ \t]*:[ \t]*(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class BadFrame:
    """A frame that could not be read as a message; `reason` is said to the client as a parse error."""

    reason: str


class FrameReader:
    """Reads LSP frames from a binary stream: `next()` gives a decoded message (dict or list), a BadFrame,
    or None at the end of the stream. A thread pumps the stream into a queue, so a body that stops
    arriving (a length too long, with nothing more sent) is given up after `stall_s` instead of blocking
    the server until the client happens to send more."""

    def __init__(self, stream: BinaryIO, max_body: int = MAX_BODY, stall_s: float = 1.0) -> None:
        self._max_body = max_body
        self._stall_s = stall_s
        self._pending = b""  # bytes read and not yet used
        self._eof = False
        # Bounded: a client that writes faster than the server handles messages waits on the pipe rather
        # than have its backlog pile up in the server's memory.
        self._chunks: queue.Queue[bytes] = queue.Queue(maxsize=_READ_AHEAD_CHUNKS)
        threading.Thread(target=self._pump, args=(stream,), name="daima-stdin", daemon=True).start()

    def _pump(self, stream: BinaryIO) -> None:
        # From the file descriptor itself where there is one: a thread blocked inside a buffered
        # reader holds its lock, and Python aborts at exit when a daemon thread holds stdin's.
        try:
            descriptor = stream.fileno()
        except (AttributeError, OSError, ValueError):
            descriptor = -1
        read: Callable[[int], bytes]
        if descriptor >= 0:
            read = functools.partial(os.read, descriptor)
        else:
            read = getattr(stream, "read1", stream.read)
        try:
            while chunk := read(1 << 16):
                self._chunks.put(chunk)
        except (OSError, ValueError):
            pass  # closed under us: the end of the stream
        self._chunks.put(b"")

    def _more(self, timeout: float | None) -> bool:
        """Append the next chunk to the pending bytes; False at the end or when none came in time."""
        if self._eof:
            return False
        try:
            chunk = self._chunks.get(timeout=timeout)
        except queue.Empty:
            return False
        if not chunk:
            self._eof = True
            return False
        self._pending += chunk
        return True

    def next(self) -> object | BadFrame | None:
        length: int | None = None
        while True:
            line = self._readline()
            if not line:
                return None
            if line.strip() == b"":
                if length is None:
                    continue  # a blank line with no header before it: noise between frames
                return self._body(length)
            match = _CONTENT_LENGTH.search(line)
            if match is None:
                continue  # another header (Content-Type), or garbage: skipped
            length = int(match.group(1))
            if length > self._max_body:
                # Skipping the body would mean trusting the length; read on for the next header instead.
                return BadFrame(f"Content-Length {length} is over the {self._max_body}-byte limit")

    def _body(self, length: int) -> object | BadFrame:
        while len(self._pending) < length and self._more(self._stall_s):
            pass
        body, self._pending = self._pending[:length], self._pending[length:]
        if len(body) < length:
            self._requeue(body)
            return BadFrame(f"only {len(body)} of a {length}-byte body arrived")
        text = body.decode("utf-8", errors="surrogateescape")
        start = len(text) - len(text.lstrip())
        try:
            message, end = _DECODER.raw_decode(text, start)
        except ValueError as error:
            self._requeue(body)
            return BadFrame(f"the body is not JSON ({error})")
        if text[end:].strip():
            # A length a little too long: the message is whole and what follows begins the next frame.
            self._pending = text[end:].encode("utf-8", errors="surrogateescape") + self._pending
        return message

    def _requeue(self, body: bytes) -> None:
        """A broken body may hold the next frame's header (its length ran on into it): read on from there."""
        header = _CONTENT_LENGTH.search(body)
        if header is not None:
            self._pending = body[header.start() :] + self._pending
            return
        lowered = body[-len(_HEADER_NAME) :].lower()
        for size in range(len(lowered), 0, -1):  # the body may end inside the next header's name
            if _HEADER_NAME.startswith(lowered[-size:]):
                self._pending = body[-size:] + self._pending
                return

    def _readline(self) -> bytes:
        while True:
            cut = self._pending.find(b"\n", 0, MAX_HEADER_LINE)
            if cut >= 0 or len(self._pending) >= MAX_HEADER_LINE:
                end = cut + 1 if cut >= 0 else MAX_HEADER_LINE
                line, self._pending = self._pending[:end], self._pending[end:]
                return line
            if not self._more(None):
                line, self._pending = self._pending, b""
                return line
