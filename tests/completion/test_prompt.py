"""build_prompt end to end with the real Qwen tokenizer: sections, exact budget, context, healing, stops."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daima.completion.prompt import build_prompt, counter_for
from daima.config import CompletionOptions
from daima.indexer import CodeIndex, WorkspaceIndex
from daima.model.api import GenerationRequest
from daima.text import TextDocument

CURSOR = "▮"
SHOP = '''"""购物车模块 🛒"""

import json


def 计算总价(商品列表):
    """返回总价。"""
    总价 = 0
    for 商品 in 商品列表:
        总价 += 商品["价格"] * 商品["数量"]
    return 总价


def 打印清单(商品列表):
    for 商品 in 商品列表:
        print(f"{商品['名称']}: {商品['价格']} 元 🎉")
'''


def _build(engine, source: str, *, language_id: str = "python", path: str = "/w/a.py", index=None, **options):
    offset = source.index(CURSOR)
    document = TextDocument("file:///w/a.py", source.replace(CURSOR, ""), language_id=language_id)
    return build_prompt(
        document,
        offset,
        engine=engine,
        index=index,
        options=CompletionOptions(**options),
        path=path,
        language_id=language_id,
    )


def _common(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def test_plain_qwen_prompt_with_healing(qwen_engine) -> None:
    prompt = _build(qwen_engine, "def 计算总价(商品列表):\n    return sum(商品列表)\n\nx = 计算总▮\n")
    assert prompt.template == "qwen"
    assert prompt.text == (
        "<|fim_prefix|>def 计算总价(商品列表):\n    return sum(商品列表)\n\nx =<|fim_suffix|>\n<|fim_middle|>"
    )
    assert prompt.forced_prefix == " 计算总"
    assert prompt.prefix_end == prompt.prefix_start + len(
        "def 计算总价(商品列表):\n    return sum(商品列表)\n\nx ="
    )
    assert prompt.mode == "line" and prompt.max_lines == 1
    assert list(prompt.token_ids) == qwen_engine.tokenize(prompt.text)
    assert prompt.tokens.total == len(prompt.token_ids)
    assert 151643 in prompt.stop_token_ids and 151664 in prompt.stop_token_ids  # <|endoftext|>, <|file_sep|>
    assert "<|fim_pad|>" in prompt.stop


def test_block_mode_and_empty_document(qwen_engine) -> None:
    prompt = _build(qwen_engine, "def 加法(a, b):\n    ▮", max_lines=5)
    assert (prompt.mode, prompt.max_lines) == ("block", 5)
    assert prompt.text == "<|fim_prefix|>def 加法(a, b):\n<|fim_suffix|><|fim_middle|>"
    assert prompt.forced_prefix == "    "  # the indentation is regenerated, not glued onto
    empty = _build(qwen_engine, "▮")
    assert empty.text == "<|fim_prefix|><|fim_suffix|><|fim_middle|>" and empty.forced_prefix == ""


@pytest.mark.parametrize("budget", [40, 64, 128, 300])
def test_exact_budget_at_every_cursor(qwen_engine, budget: int) -> None:
    document = TextDocument("file:///w/shop.py", SHOP, language_id="python")
    for offset in range(0, len(SHOP), 7):
        prompt = build_prompt(
            document,
            offset,
            engine=qwen_engine,
            options=CompletionOptions(prompt_tokens=budget),
            language_id="python",
        )
        assert prompt.tokens.total == len(prompt.token_ids) <= budget
        assert list(prompt.token_ids) == qwen_engine.tokenize(prompt.text)
        assert prompt.prefix_end + len(prompt.forced_prefix) == offset
        prefix = SHOP[prompt.prefix_start : prompt.prefix_end]
        suffix = SHOP[offset : prompt.suffix_end]
        assert prompt.text == f"<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>"


def test_larger_than_the_model_context_is_truncated(qwen_engine) -> None:
    source = SHOP * 400  # about 6,000 lines
    offset = len(SHOP) * 200 + SHOP.index("总价 = 0")
    small = qwen_engine.with_context_length(512)
    options = CompletionOptions(prompt_tokens=100_000, max_tokens=64)
    prompt = build_prompt(TextDocument("file:///w/big.py", source), offset, engine=small, options=options)
    assert prompt.tokens.budget == 512 - 64 - 1
    assert prompt.tokens.total <= prompt.tokens.budget
    assert "总价 +=" in prompt.text.split("<|fim_suffix|>")[1]  # the suffix right after the cursor is kept
    # No context here: its share went to the prefix and suffix.
    assert prompt.tokens.prefix + prompt.tokens.suffix >= 0.85 * (
        prompt.tokens.budget - prompt.tokens.overhead
    )
    assert prompt.tokens.prefix > prompt.tokens.suffix


def test_repo_level_prompt_with_context(qwen_engine, workspace: WorkspaceIndex) -> None:
    path = workspace.root / "主程序.py"
    source = path.read_text("utf-8") + "折后价 = 打折(计算总▮"
    prompt = _build(qwen_engine, source, path=str(path), index=workspace, prompt_tokens=1024)
    assert prompt.text.startswith(f"<|repo_name|>{workspace.root.name}\n<|file_sep|>商店/价格.py\n")
    assert "<|file_sep|>商店/工具.py\ndef 打折(总价, 折扣):" in prompt.text
    assert "<|file_sep|>主程序.py\n<|fim_prefix|>from 商店.价格 import 计算总价, 商品\n" in prompt.text
    assert prompt.text.endswith("折后价 = 打折(<|fim_suffix|><|fim_middle|>")
    assert prompt.forced_prefix == "计算总"
    assert prompt.tokens.context > 0 and prompt.tokens.total <= 1024
    assert prompt.snippets[0].kind == "import"


def test_consecutive_keystrokes_share_a_long_token_prefix(qwen_engine, workspace: WorkspaceIndex) -> None:
    path = workspace.root / "主程序.py"
    base = path.read_text("utf-8") + "\n" + SHOP * 3 + "\n折后价 = 打折("
    prompts = []
    for typed in ["", "计", "计算", "计算总", "计算总价(购物车), 0.8)"]:
        prompts.append(_build(qwen_engine, base + typed + CURSOR + "\n", path=str(path), index=workspace))
    for before, after in itertools.pairwise(prompts):
        shared = _common(before.token_ids, after.token_ids)
        # Context and prefix up to the typing point are the same tokens (the KV cache reuses them).
        assert shared >= before.tokens.context + before.tokens.prefix - 8, (shared, before.tokens)
        assert before.snippets == after.snippets


def test_template_override_and_unknown_template(qwen_engine, caplog: pytest.LogCaptureFixture) -> None:
    prompt = _build(qwen_engine, "x = 1▮", template="codestral")
    assert prompt.template == "codestral" and prompt.text.startswith("[SUFFIX]")
    with caplog.at_level(logging.WARNING):
        prompt = _build(qwen_engine, "x = 1▮", template="no-such-family")
    assert prompt.template == "qwen" and "unknown FIM template" in caplog.text


def test_failing_index_still_builds_a_prompt(qwen_engine, caplog: pytest.LogCaptureFixture) -> None:
    class BrokenIndex:
        root = Path("/w")

        def relative(self, path: Path) -> str | None:
            return None

        def definitions(self, name: str) -> list:
            raise OSError("disk gone")

        def definitions_with_prefix(self, prefix: str, limit: int = 50) -> list:
            raise OSError("disk gone")

        def visible_names(self, path: Path, text: str, byte_offset: int) -> list:
            raise OSError("disk gone")

        def similar_chunks(self, text: str, k: int = 4, exclude: Path | None = None) -> list:
            raise OSError("disk gone")

    assert isinstance(BrokenIndex(), CodeIndex)
    with caplog.at_level(logging.ERROR):
        prompt = _build(qwen_engine, SHOP + "计算总价(▮", index=BrokenIndex())
    assert prompt.snippets == () and prompt.text.startswith("<|fim_prefix|>")
    assert "failed; going on without them" in caplog.text


def test_ten_thousand_lines_next_keystroke_is_cheap(qwen_engine) -> None:
    lines = [f"def 函数_{i}(参数):\n    return 参数 + {i}  # 注释 🎉\n" for i in range(5000)]
    source = "".join(lines)
    offset = source.index("def 函数_3500")
    document = TextDocument(
        "file:///w/big.py", source[:offset] + "x = 函" + source[offset:], language_id="python"
    )
    build_prompt(document, offset + 5, engine=qwen_engine, language_id="python")
    counter = counter_for(qwen_engine)
    calls = counter.calls
    document.replace(offset + 5, offset + 5, "数")
    prompt = build_prompt(document, offset + 6, engine=qwen_engine, language_id="python")
    assert counter.calls - calls <= 6  # the changed line, the whole prompt, a few healing/headers
    assert prompt.tokens.total <= 2048 and prompt.forced_prefix == " 函数"


def test_prompt_runs_through_the_real_engine(tiny_engine) -> None:
    source = "def 计算总价(商品列表):\n    return sum(商品列表)\n\n总价 = 计算总▮\n"
    prompt = _build(tiny_engine, source)
    assert prompt.template == "qwen"  # matched by the engine's special tokens (its name is a temp path)
    assert prompt.forced_prefix == " 计算总"
    assert list(prompt.token_ids) == tiny_engine.tokenize(prompt.text)
    request = GenerationRequest(
        prompt=list(prompt.token_ids),
        max_tokens=8,  # the forced tokens count too
        forced_prefix=prompt.forced_prefix,
        stop_token_ids=prompt.stop_token_ids,
    )
    assert tiny_engine.stream(request).text().startswith(" 计算总")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("source", "forced", "starts"),
    [
        # Token healing: the partial Chinese identifier is regenerated whole, not glued onto (`计算总 价`).
        (
            "def 计算总价(商品列表):\n    return sum(商品列表)\n\n\n总价 = 计算总▮\n",
            " 计算总",
            " 计算总价(商品列表)",
        ),
        # The indentation is regenerated too, so the body is not indented twice.
        ("def add(a, b):\n    ▮", "    ", "    return a + b"),
    ],
    ids=["chinese-identifier", "indentation"],
)
def test_real_model_completes_through_the_prompt(real_engine, source: str, forced: str, starts: str) -> None:
    prompt = _build(real_engine, source)
    assert prompt.forced_prefix == forced
    request = GenerationRequest(
        prompt=list(prompt.token_ids),
        max_tokens=10,
        forced_prefix=prompt.forced_prefix,
        stop=prompt.stop,
        stop_token_ids=prompt.stop_token_ids,
    )
    assert real_engine.stream(request).text().startswith(starts)


_PIECES = [
    "def ",
    "计算",
    "总价",
    "(",
    ")",
    ":",
    "\n",
    "    ",
    "\t",
    " ",
    "😀",
    "🎉",
    '"',
    "'",
    "#",
    "注释",
    "x",
    "=",
    "{",
    "}",
    "\r\n",
    "\r",
    "return ",
    "商品列表",
    "1",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    parts=st.lists(st.sampled_from(_PIECES), max_size=120),
    cursor=st.floats(min_value=0, max_value=1),
    budget=st.integers(min_value=0, max_value=200),
    language=st.sampled_from(["python", "javascript", "go", "plaintext"]),
)
def test_any_document_any_cursor_any_budget(
    qwen_engine, parts, cursor: float, budget: int, language: str
) -> None:
    text = "".join(parts)
    offset = round(cursor * len(text))
    document = TextDocument("file:///w/任意.py", text, language_id=language)
    prompt = build_prompt(
        document,
        offset,
        engine=qwen_engine,
        options=CompletionOptions(prompt_tokens=budget),
        language_id=language,
    )
    assert list(prompt.token_ids) == qwen_engine.tokenize(prompt.text)
    overhead = len(qwen_engine.tokenize("<|fim_prefix|><|fim_suffix|><|fim_middle|>"))
    assert prompt.tokens.total <= max(budget, overhead)
    assert prompt.prefix_start <= prompt.prefix_end <= offset <= prompt.suffix_end <= len(text)
    assert text[prompt.prefix_end : offset] == prompt.forced_prefix
    prefix, suffix = text[prompt.prefix_start : prompt.prefix_end], text[offset : prompt.suffix_end]
    assert prompt.text == f"<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>"
    assert prompt.mode in {"line", "block"}


@pytest.mark.parametrize("budget", [256, 512, 1024])
def test_typing_in_a_large_file_keeps_the_prefix_start(qwen_engine, budget: int) -> None:
    # The prefix is cut at a top-level boundary with some slack, so typing a line or two does not move
    # the cut (which would change every token after the context and miss the KV prefix cache).
    source = SHOP * 30 + "\ndef 新函数(参数):\n    "
    typed = "结果 = 计算总价(参数) + 打印清单(参数)\n    return 结果 * 2 if 结果 else 0\n"
    starts, shared = [], []
    previous = None
    for count in range(len(typed) + 1):
        text = source + typed[:count]
        document = TextDocument("file:///w/a.py", text, language_id="python")
        options = CompletionOptions(prompt_tokens=budget)
        prompt = build_prompt(document, len(text), engine=qwen_engine, language_id="python", options=options)
        assert prompt.tokens.total <= budget
        starts.append(prompt.prefix_start)
        if previous is not None:
            shared.append(_common(previous.token_ids, prompt.token_ids) / len(previous.token_ids))
        previous = prompt
    moves = sum(1 for a, b in itertools.pairwise(starts) if a != b)
    assert moves <= 2, starts
    assert sum(shared) / len(shared) >= 0.9


def test_a_slow_engine_gets_a_shorter_suffix_and_the_same_prefix(qwen_engine) -> None:
    """Every keystroke recomputes the suffix: at a measured 200 tokens/s and the default deadline the
    suffix keeps to 40 tokens (budget.suffix_cap). The prefix is the one it would be without the cap,
    whatever the measured speed: a prefix that moved with the speed would miss the KV cache."""
    from daima.model.api import PrefillMeter

    body = "".join(f"def 函数_{i}(参数):\n    return 参数 + {i}\n\n" for i in range(200))
    source = body + "def 新函数(x):\n    return ▮\n\n" + body
    plain = _build(qwen_engine, source)
    slow = qwen_engine.with_context_length(32768)
    slow.prefill_meter = PrefillMeter()
    slow.prefill_meter.record(400, 2.0)
    capped = _build(slow, source)
    assert plain.tokens.suffix_cap is None and plain.tokens.suffix > 400
    assert capped.tokens.suffix_cap == 40
    assert 0 < capped.tokens.suffix <= 40
    assert capped.prefix_start == plain.prefix_start and capped.tokens.prefix == plain.tokens.prefix
    assert capped.tokens.total <= capped.tokens.budget
    slow.prefill_meter.record(400, 1.9)  # the speed moves a little: the prompt's head does not
    again = _build(slow, source)
    assert (
        again.token_ids[: len(again.token_ids) - again.tokens.suffix - 8]
        == capped.token_ids[: len(again.token_ids) - again.tokens.suffix - 8]
    )
    assert _build(slow, source, suffix_time_share=0.0).tokens.suffix == plain.tokens.suffix
