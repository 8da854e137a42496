"""The pipeline end to end on real engines: the tiny random model (fast) and the real 0.5B (slow)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from daima.completion.pipeline import complete
from daima.completion.syntax import SpliceChecker
from daima.config import CompletionOptions
from daima.model.api import CancelToken
from daima.text import TextDocument

ROOT = Path(__file__).parents[2]
OPTIONS = CompletionOptions(max_time_ms=0)


def _run(engine: Any, source: str, **kwargs: Any) -> tuple[TextDocument, int, Any]:
    cursor = source.index("▮")
    document = TextDocument("file:///t.py", source.replace("▮", ""), language_id="python")
    suggestion = complete(document, cursor, engine=engine, options=kwargs.pop("options", OPTIONS), **kwargs)
    return document, cursor, suggestion


def test_cancelled_request_gives_no_suggestion(tiny_engine: Any) -> None:
    cancel = CancelToken()
    cancel.cancel()
    assert _run(tiny_engine, "def f(x):\n    ▮\n", cancel=cancel)[2] is None


def test_tiny_model_suggestion_is_well_formed(tiny_engine: Any) -> None:
    partials: list[str] = []
    _, cursor, suggestion = _run(tiny_engine, "def 函数(参数):\n    ▮\n", on_partial=partials.append)
    if suggestion is not None:  # random weights: any text, but always a clean, in-range suggestion
        assert suggestion.start <= cursor == suggestion.end
        assert suggestion.text.strip()
        assert all(p.strip() for p in partials)


class _PromptRecorder:
    """The tiny real engine, keeping the prompt text of every request it serves."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self.prompts: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def stream(self, request: Any, cancel: Any = None) -> Any:
        prompt = request.prompt
        self.prompts.append(prompt if isinstance(prompt, str) else self._engine.detokenize(prompt))
        return self._engine.stream(request, cancel)


CHINESE_SOURCE = (
    'def 数偶数(数字列表):\n    """数一数偶数。"""\n'
    "    个数 = 0\n    for 数 in 数字列表:\n        ▮\n    return 个数\n"
)


@pytest.mark.parametrize("english_reading", [True, False])
def test_the_model_reads_chinese_names_in_english_and_the_user_gets_them_back(
    tiny_engine: Any, english_reading: bool
) -> None:
    engine = _PromptRecorder(tiny_engine)
    options = CompletionOptions(max_time_ms=0, extra_candidates=0, english_reading=english_reading)
    _document, cursor, suggestion = _run(engine, CHINESE_SOURCE, options=options)
    assert engine.prompts
    prompt = engine.prompts[0]
    assert "数一数偶数" in prompt  # the docstring keeps its text either way
    if english_reading:
        assert "for number in number_list:" in prompt and "数字列表" not in prompt
    else:
        assert "for 数 in 数字列表:" in prompt
    if suggestion is not None:  # random weights: whatever it wrote lands at the user's cursor
        assert suggestion.start <= cursor == suggestion.end
        assert "number_list" not in suggestion.text


@pytest.mark.slow
def test_add_returns_sum_and_nothing_after_the_block(real_engine: Any) -> None:
    suggestion = _run(real_engine, "def add(a, b):\n    ▮\n")[2]
    assert suggestion is not None
    assert suggestion.text == "return a + b"


def test_alternatives_pass_the_checks_and_differ(real_engine: Any) -> None:
    """Asked for alternatives (the user cycles), the pipeline samples further candidates after the
    greedy one: the greedy one stays first, each alternative passed the same checks (here: it keeps
    the file parsing), and none repeats another's text."""
    source = "def 计算总价(商品列表):\n    总价 = 0\n    for 商品 in 商品列表:\n        ▮\n    return 总价\n"
    document, _, plain = _run(real_engine, source)
    wanted = _run(real_engine, source, alternatives=2)[2]
    assert plain is not None and wanted is not None and wanted.text == plain.text
    texts = [wanted.text, *(a.text for a in wanted.alternatives)]
    assert len(texts) >= 2 and len(set(texts)) == len(texts), texts
    for alternative in wanted.alternatives:
        checker = SpliceChecker(document.text, alternative.start, alternative.end, "python")
        assert checker.parses(alternative.text), alternative.text


@pytest.mark.slow
def test_chinese_identifiers_are_used(real_engine: Any) -> None:
    source = (
        "def 计算总价(商品列表):\n    总价 = 0\n"
        "    for 商品 in 商品列表:\n        总价 += 商品.价格 * 商品.数量\n    ▮\n"
    )
    suggestion = _run(real_engine, source)[2]
    assert suggestion is not None
    assert suggestion.text.startswith("return 总价")
    assert "\ndef " not in suggestion.text


@pytest.mark.slow
def test_closing_paren_is_not_repeated_and_the_file_still_parses(real_engine: Any) -> None:
    source = 'def 问候(名字):\n    print("你好，" + ▮)\n'
    document, _, suggestion = _run(real_engine, source)
    assert suggestion is not None
    checker = SpliceChecker(document.text, suggestion.start, suggestion.end, "python")
    assert checker.parses(suggestion.text), suggestion.text
    assert "\n" not in suggestion.text


@pytest.mark.slow
def test_daima_complete_on_the_bundled_example() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "daima",
            "complete",
            "examples/购物车.py:14:5",
            "--device",
            "cpu",
            "--no-index",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # A blank first line of a body asks for the block that goes before the `return` already there:
    # the total and the loop that sums it, without a second return that would make that one dead.
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("总价 =") and len(lines) > 1, result.stdout
    assert "return" not in result.stdout, result.stdout


def test_daima_complete_reports_a_bad_location() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "daima", "complete", "examples/购物车.py:999:1", "--model", "none"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("daima: ") and len(result.stderr.strip().splitlines()) == 1
