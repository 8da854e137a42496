"""build_prompt end to end with the real Qwen tokenizer: sections, budget, healing, stops."""

from __future__ import annotations

from daima.completion.prompt import build_prompt
from daima.config import CompletionOptions
from daima.text import TextDocument

CURSOR = "▮"


def _build(engine, source: str, *, language_id: str = "python", path: str = "/w/a.py", **options):
    offset = source.index(CURSOR)
    document = TextDocument("file:///w/a.py", source.replace(CURSOR, ""), language_id=language_id)
    return build_prompt(
        document, offset, engine=engine, options=CompletionOptions(**options), path=path, language_id=language_id
    )


def test_plain_qwen_prompt_with_healing(qwen_engine) -> None:
    prompt = _build(qwen_engine, "def 计算总价(商品列表):\n    return sum(商品列表)\n\nx = 计算总▮\n")
    assert prompt.template == "qwen"
    assert prompt.text == (
        "<|fim_prefix|>def 计算总价(商品列表):\n    return sum(商品列表)\n\nx =<|fim_suffix|>\n<|fim_middle|>"
    )
    assert prompt.forced_prefix == " 计算总"
    assert prompt.mode == "line"
    assert list(prompt.token_ids) == qwen_engine.tokenize(prompt.text)
    assert prompt.tokens.total == len(prompt.token_ids)
    assert 151643 in prompt.stop_token_ids and 151664 in prompt.stop_token_ids  # <|endoftext|>, <|file_sep|>
