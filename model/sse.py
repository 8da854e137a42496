"""Incremental parsing for remote streams: server-sent events and stop strings, as plain Python.

Both are fed pieces as they arrive from the network, so neither may assume it sees whole lines or
whole words: an SSE line can be split across two socket reads, and a stop string across two deltas.
"""

from __future__ import annotations


class SseParser:
    """Turns raw bytes of a `text/event-stream` body into the `data` payloads of complete events.

    Follows the WHATWG event-stream rules that matter for completion servers: lines end in LF, CRLF
    or CR; `data:` lines of one event are joined with LF; a blank line ends the event; comment lines
    (`: ping`, sent by llama-cpp-python as keep-alives) and other fields are ignored.
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[str] = []
        self._pending_cr = False  # a CR ended the last chunk; an LF starting the next one belongs to it

    def feed(self, chunk: bytes) -> list[str]:
        """Add bytes; return the data payloads of the events they completed."""
        if self._pending_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._pending_cr = chunk.endswith(b"\r")
        self._buffer += chunk
        events: list[str] = []
        # Normalise line ends on the whole buffer: a CRLF split across chunks was handled above.
        lines = self._buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        self._buffer = lines.pop()  # the unfinished last line (b"" when the chunk ended a line)
        for raw in lines:
            line = raw.decode("utf-8", errors="replace")
            if not line:
                if self._data:
                    events.append("\n".join(self._data))
                    self._data = []
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            if name == "data":
                self._data.append(value[1:] if value.startswith(" ") else value)
        return events

    def close(self) -> list[str]:
        """End of body: an event not followed by a blank line is still delivered (lenient servers)."""
        events = self.feed(b"\n\n") if (self._buffer or self._data) else []
        self._buffer = b""
        return events
