"""Token bytes to text: UTF-8 characters split across tokens, stop strings, token-healing candidates."""

from __future__ import annotations

from pathlib import Path

import pytest

from daima.model.detok import DeltaStream, TokenBytes

CJK = "def 计算总价(商品列表):"


@pytest.fixture(scope="module")
def tokens(tiny_dir: Path) -> tuple[object, TokenBytes]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    return tokenizer, TokenBytes.of(tokenizer)


def test_cjk_split_across_tokens_is_never_split_in_deltas(tokens: tuple[object, TokenBytes]) -> None:
    tokenizer, table = tokens
    ids = tokenizer.encode(CJK)  # type: ignore[attr-defined]
    pieces = [table[i] for i in ids]
    # The real tokenizer cuts 计 between two tokens; without that this test would prove nothing.
    assert any(_incomplete(piece) for piece in pieces)
    stream = DeltaStream()
    deltas = [stream.push(piece) for piece in pieces] + [stream.finish()]
    assert "".join(deltas) == CJK
    assert all("\ufffd" not in delta for delta in deltas)
    assert "计" in deltas  # released whole, once its second token arrived


def test_stop_string_across_deltas_is_cut_and_never_released() -> None:
    stream = DeltaStream(stop=("\n\n",))
    released = [stream.push(b"ab"), stream.push(b"c\n"), stream.push(b"\nd")]
    assert "".join(released) == "abc" and released[1] == "c"  # the "\n" waited
    assert stream.stopped and stream.finish() == ""


def test_a_held_back_tail_that_never_becomes_a_stop_is_released() -> None:
    stream = DeltaStream(stop=("</end>",))
    assert stream.push(b"x </e") == "x "
    assert stream.push(b"x") == "</ex"
    assert stream.push(b" </") == " " and stream.finish() == "</"


def test_incomplete_bytes_at_the_end_become_one_replacement_character() -> None:
    stream = DeltaStream()
    assert stream.push(" \u8ba1".encode()[:3]) == " "
    assert stream.finish() == "\ufffd"


def test_healing_candidates_stay_on_the_forced_text(tokens: tuple[object, TokenBytes]) -> None:
    _, table = tokens
    remaining = b"retur"
    allowed = table.allowed_for(remaining)
    assert allowed, "some token must be able to start the forced text"
    for token in allowed:
        piece = table[token]
        assert remaining.startswith(piece) or piece.startswith(remaining)
    assert any(table[t] == b"return" for t in allowed)
    assert all(t not in table.special for t in allowed)


def _incomplete(piece: bytes) -> bool:
    try:
        piece.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
