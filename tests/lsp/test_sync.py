"""Document sync over the real server: every refused change marks the document out of sync and asks the
client for its full text (`daima/resync`); completions stop until it arrives."""

from __future__ import annotations

from typing import Any

import pytest
from test_framing import RawClient, frame, initialize, request

URI = "file:///tmp/sync-test.py"


def notify(method: str, params: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "params": params}


def change(version: int, changes: list[dict[str, Any]]) -> dict[str, Any]:
    return notify("textDocument/didChange", {"textDocument": {"uri": URI, "version": version},
                                             "contentChanges": changes})  # fmt: skip


def at(line: int, character: int) -> dict[str, int]:
    return {"line": line, "character": character}


def inline(msg_id: int, line: int, character: int) -> dict[str, Any]:
    return request(msg_id, "textDocument/inlineCompletion", {
        "textDocument": {"uri": URI}, "position": at(line, character),
        "context": {"triggerKind": 1}})  # fmt: skip


@pytest.fixture
def opened(tmp_path: Any) -> Any:
    client = RawClient(tmp_path)
    client.send(frame(initialize(1)))
    client.answer(1)
    client.send(frame(notify("initialized", {})))
    client.send(frame(notify("textDocument/didOpen", {"textDocument": {
        "uri": URI, "languageId": "python", "version": 1, "text": "alpha = 1\nal"}})))  # fmt: skip
    client.send(frame(inline(2, 1, 2)))
    assert client.answer(2)["result"]["items"][0]["insertText"] == "pha"  # in sync: it completes
    yield client
    client.close()


@pytest.mark.parametrize(
    "bad",
    [
        change(1, [{"range": {"start": at(1, 2), "end": at(1, 2)}, "text": "p"}]),  # version not newer
        change(2, [{"range": {"start": at(1, 2)}, "text": "p"}]),  # a range without its end
        change(2, [{"range": {"start": at(1, -1), "end": at(1, 2)}, "text": "p"}]),  # character -1
    ],
)
def test_a_refused_change_asks_for_the_full_text(opened: RawClient, bad: dict[str, Any]) -> None:
    opened.send(frame(bad))
    assert opened.notification("daima/resync")["params"] == {"uri": URI}
    opened.send(frame(inline(3, 1, 2)))
    assert opened.answer(3)["result"] is None  # no suggestion on text the editor may not have
    opened.send(frame(change(3, [{"text": "alpha = 1\nalphap = 2\nal"}])))  # the client's full text
    opened.send(frame(inline(4, 2, 2)))
    assert opened.answer(4)["result"]["items"]
