"""SSE parsing and stop strings fed in every possible split: the network may cut anywhere."""

from __future__ import annotations

import pytest

from daima.model.sse import SseParser
from daima.model.stops import StopScanner

BODY = (
    b": ping\r\n\r\n"
    b'data: {"a": "\xe8\xae\xa1\xe7\xae\x97"}\r\n\r\n'
    b"event: message\ndata: line one\ndata: line two\n\n"
    b"data:no-space\r\rdata: [DONE]\n\n"
)
EVENTS = ['{"a": "计算"}', "line one\nline two", "no-space", "[DONE]"]


def feed_in_pieces(parser: SseParser, body: bytes, cuts: list[int]) -> list[str]:
    events: list[str] = []
    last = 0
    for cut in [*cuts, len(body)]:
        events += parser.feed(body[last:cut])
        last = cut
    return events + parser.close()


def test_whole_body() -> None:
    assert feed_in_pieces(SseParser(), BODY, []) == EVENTS


@pytest.mark.parametrize("cut", range(1, len(BODY)))
def test_every_single_cut(cut: int) -> None:
    assert feed_in_pieces(SseParser(), BODY, [cut]) == EVENTS


def test_one_byte_at_a_time() -> None:
    assert feed_in_pieces(SseParser(), BODY, list(range(1, len(BODY)))) == EVENTS


def test_event_without_final_blank_line_is_delivered_at_close() -> None:
    parser = SseParser()
    assert parser.feed(b"data: last") == []
    assert parser.close() == ["last"]


STOP_CASES = [
    # (deltas, stops, expected output, stopped)
    (["return a", " + b\n", "def"], ["\n"], "return a + b", True),
    (["foo", "\n", "\nbar"], ["\n\n"], "foo", True),
    (["ab", "c"], ["abd"], "abc", False),  # a held-back prefix that turns out not to be a stop
    (["计算", "总价\n\n", "x"], ["\n\n", "总价\n"], "计算", True),  # earliest stop wins
    (["x = 1"], [], "x = 1", False),
    (["a<|fim", "_pad|>b"], ["<|fim_pad|>"], "a", True),
]


@pytest.mark.parametrize(("deltas", "stops", "expected", "stopped"), STOP_CASES)
def test_stop_scanner(deltas: list[str], stops: list[str], expected: str, stopped: bool) -> None:
    scanner = StopScanner(stops)
    out = "".join(scanner.feed(delta) for delta in deltas) + scanner.flush()
    assert (out, scanner.stopped) == (expected, stopped)


def test_stop_scanner_emits_early_what_cannot_start_a_stop() -> None:
    scanner = StopScanner(["\n\n"])
    assert scanner.feed("return x\n") == "return x"  # only the "\n" is held back
    assert scanner.feed("y") == "\ny"
