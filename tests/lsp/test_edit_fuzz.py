"""The differential edit test over the real server: random incremental edits in each position encoding,
computed by this test's own position code, must leave the server's text (`daima/documentText`) equal to
the client's after every batch. CJK, astral characters, CR, LF and CRLF; runs in seconds."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from test_framing import RawClient, frame, request

URI = "file:///tmp/edit-fuzz.py"
PIECES = ["a", "计算", "😀", "𠀋", "\r", "\n", "\r\n", " ", "é", "x = 1\n", "def 函数():\r\n    pass\r\n"]
_BREAK = re.compile(r"\r\n|\r|\n")


def units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def position(text: str, offset: int, encoding: str) -> dict[str, int]:
    """The LSP position of a str index, written without daima's own code."""
    line, start = 0, 0
    for match in _BREAK.finditer(text, 0, offset):
        if match.end() <= offset:
            line, start = line + 1, match.end()
    return {"line": line, "character": units(text[start:offset], encoding)}


def offsets(text: str, rng: random.Random) -> int:
    """A random offset that does not fall between the CR and LF of a CRLF (no position names it)."""
    while True:
        offset = rng.randint(0, len(text))
        if not (0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n"):
            return offset


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_random_edits_leave_the_server_with_the_clients_text(tmp_path: Any, encoding: str) -> None:
    rng = random.Random(f"edits-{encoding}")
    client = RawClient(tmp_path)
    try:
        client.send(frame(request(1, "initialize", {
            "processId": None, "rootUri": None,
            "capabilities": {"general": {"positionEncodings": [encoding]}},
            "initializationOptions": {"model": {"name": "none"}, "index": {"enabled": False}}})))  # fmt: skip
        assert client.answer(1)["result"]["capabilities"]["positionEncoding"] == encoding
        client.send(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        text = "".join(rng.choice(PIECES) for _ in range(40))
        client.send(frame({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": URI, "languageId": "python", "version": 1, "text": text}}}))  # fmt: skip
        version, msg_id, cursor = 1, 1, len(text) // 2
        for _ in range(120):
            changes = []
            for _ in range(rng.choice((1, 1, 1, 2, 3))):  # several changes in one didChange, applied in order
                if rng.random() < 0.7:  # typing near the cursor: the common case, kept apart by the server
                    start = max(0, min(len(text), cursor + rng.randint(-2, 1)))
                    while 0 < start < len(text) and text[start - 1] == "\r" and text[start] == "\n":
                        start -= 1
                    end = start
                    if rng.random() < 0.3:
                        end = offsets(text, rng) if rng.random() < 0.1 else min(len(text), start + 1)
                        start, end = min(start, end), max(start, end)
                        while 0 < end < len(text) and text[end - 1] == "\r" and text[end] == "\n":
                            end += 1
                else:
                    start, end = sorted((offsets(text, rng), offsets(text, rng)))
                new = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 2)))
                span = {"start": position(text, start, encoding), "end": position(text, end, encoding)}
                changes.append({"range": span, "text": new})
                text = text[:start] + new + text[end:]
                cursor = start + len(new)
            version += 1
            client.send(frame({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": URI, "version": version}, "contentChanges": changes}}))  # fmt: skip
            if version % 10 == 0:
                msg_id += 1
                client.send(frame(request(msg_id, "daima/documentText", {"uri": URI})))
                seen = client.answer(msg_id)["result"]
                assert seen == {"version": version, "text": text, "inSync": True}, version
        msg_id += 1
        client.send(frame(request(msg_id, "daima/documentText", {"uri": URI})))
        assert client.answer(msg_id)["result"]["text"] == text
    finally:
        client.close()
