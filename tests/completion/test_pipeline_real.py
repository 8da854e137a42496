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


@pytest.mark.slow
def test_add_returns_sum_and_nothing_after_the_block(real_engine: Any) -> None:
    suggestion = _run(real_engine, "def add(a, b):\n    ▮\n")[2]
    assert suggestion is not None
    assert suggestion.text == "return a + b"


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
