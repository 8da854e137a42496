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


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def test_memory_stays_flat_over_twenty_thousand_changes(opened: RawClient) -> None:
    """Each didChange used to leave ~1.9 KB behind for good (a handler future pygls never dropped)."""

    def type_chars(first_version: int, count: int) -> int:
        # One character in, one out: the document stays the same size, so what grows is what leaks.
        for version in range(first_version, first_version + count):
            text = "x" if version % 2 else ""
            end = at(1, 3) if version % 2 == 0 else at(1, 2)
            batch = change(version, [{"range": {"start": at(1, 2), "end": end}, "text": text}])
            opened.send(frame(batch))
        return first_version + count

    version = type_chars(2, 2_000)  # warm-up: caches and allocator pools reach their working size
    opened.send(frame(request(90, "workspace/symbol", {"query": "a"})))
    opened.answer(90)  # every change before it has been handled
    before = rss_kb(opened.process.pid)
    type_chars(version, 20_000)
    opened.send(frame(request(91, "workspace/symbol", {"query": "a"})))
    opened.answer(91, timeout=300)
    grown = rss_kb(opened.process.pid) - before
    print(f"RSS grew by {grown} KB over 20,000 didChange")
    assert grown < 5 * 1024, grown
