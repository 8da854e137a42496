"""Token healing with the real Qwen tokenizer, data-driven over tests/data/healing/cases.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daima.completion.healing import heal
from daima.completion.words import identifier_before

CASES = json.loads((Path(__file__).parents[1] / "data" / "healing" / "cases.json").read_text("utf-8"))


def check(engine, source: str, forced: str, completed: str | None = None) -> None:
    cursor = source.index("▮")
    text = source.replace("▮", "")
    healing = heal(text, cursor, engine.tokenize, engine.detokenize)
    assert healing.forced_prefix == forced
    assert text[: healing.cut] + healing.forced_prefix == text[:cursor]
    line_start = max(text.rfind("\n", 0, cursor), text.rfind("\r", 0, cursor)) + 1
    kept, full = text[line_start : healing.cut], text[line_start:cursor]
    # The cut is a real token boundary: the kept text's tokens begin the tokens of the whole line.
    kept_ids = engine.tokenize(kept)
    assert engine.tokenize(full)[: len(kept_ids)] == kept_ids
    assert engine.detokenize(kept_ids) == kept
    word = identifier_before(text, cursor)
    if len(word) <= 12:  # the whole partial identifier is regenerated, not glued onto
        assert healing.forced_prefix.endswith(word)
    if completed is not None:
        # With the natural continuation the tokenizer keeps the same boundary, so the model can choose
        # the natural tokens for the forced text (`总价`, not `总` + `价`).
        assert completed.startswith(forced)
        natural = engine.tokenize(kept + completed)
        assert natural[: len(kept_ids)] == kept_ids


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_healing(qwen_engine, case: dict) -> None:
    check(qwen_engine, case["source"], case["forced"], case.get("completed"))


def test_naive_prompt_would_end_in_an_unnatural_token(qwen_engine) -> None:
    # Why healing matters: `计算总` ends in `总`, which the natural spelling `计算总价` never uses.
    assert qwen_engine.tokenize("计算总") == [100768, 59743]
    assert qwen_engine.tokenize("计算总价") == [100768, 118123]


def test_no_forced_prefix_when_the_engine_cannot_honour_it(qwen_engine) -> None:
    from daima.completion.prompt import build_prompt
    from daima.text import TextDocument

    class NoHealing(type(qwen_engine)):  # type: ignore[misc]
        @property
        def info(self):
            from dataclasses import replace

            return replace(super().info, supports_forced_prefix=False)

    engine = NoHealing(qwen_engine._tokenizer)
    prompt = build_prompt(TextDocument("file:///t.py", "x = 计算总"), 7, engine=engine, language_id="python")
    assert prompt.forced_prefix == ""
    assert prompt.text.startswith("<|fim_prefix|>x = 计算总<|fim_suffix|>")
