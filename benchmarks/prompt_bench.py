"""Prompt-building latency: `build_prompt` on real files, first call and following keystrokes.

Usage: .venv/bin/python benchmarks/prompt_bench.py [--keystrokes N] [--out FILE.json]

The English reading of Chinese identifiers (completion/readings.py), which the pipeline builds before
the prompt when a file names things in Chinese, is timed on the same keystrokes (`reading_*`).

Uses the real Qwen2.5-Coder tokenizer (tokenizer.json of the fetched 0.5B model; run `daima model
fetch qwen2.5-coder-0.5b` first) behind a tokenizer-only engine, so only prompt building is timed. Each
case types one character at a time at the cursor and rebuilds the prompt, as an editor would.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from tokenizers import Tokenizer

from daima.completion.prompt import build_prompt, counter_for
from daima.completion.readings import english_reading
from daima.config import CompletionOptions
from daima.model.api import EngineInfo
from daima.model.fetch import ensure_model
from daima.text import TextDocument

ROOT = Path(__file__).resolve().parents[1]


class TokenizerEngine:
    """An engine with the real tokenizer and no model (prompt building never generates)."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._tokenizer = tokenizer
        special = {t.content for t in tokenizer.get_added_tokens_decoder().values() if t.special}
        self.info = EngineInfo(name="qwen2.5-coder-0.5b", model_type="qwen2", context_length=32768,
                               special_tokens=frozenset(special))  # fmt: skip

    def tokenize(self, text: str) -> list[int]:
        return list(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def detokenize(self, ids: Sequence[int]) -> str:
        return str(self._tokenizer.decode(list(ids), skip_special_tokens=False))

    def stream(self, request, cancel=None):  # type: ignore[no-untyped-def]
        raise NotImplementedError


def _cases() -> list[tuple[str, str, int, int]]:
    """(name, text, cursor offset, prompt budget)."""
    text_py = (ROOT / "daima" / "text.py").read_text("utf-8")
    generated = "".join(f"def 函数_{i}(参数):\n    return 参数 + {i}  # 注释 🎉\n" for i in range(5000))
    big = text_py * 40
    return [
        (
            "daima/text.py (305 lines)",
            text_py,
            text_py.index("    def line_of") + len("    def line_of"),
            2048,
        ),
        (
            "2,573 generated lines (81 KB)",
            generated[: len(generated) // 4],
            generated.index("def 函数_1000"),
            2048,
        ),
        ("10,000 generated lines", generated, generated.index("def 函数_3500"), 2048),
        ("10,000 generated lines, 8k budget", generated, generated.index("def 函数_3500"), 8192),
        ("text.py x40 (12,161 lines, 480 KB)", big, len(big) // 2, 2048),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keystrokes", type=int, default=30)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    tokenizer = Tokenizer.from_file(str(ensure_model("qwen2.5-coder-0.5b") / "tokenizer.json"))
    rows = []
    for name, text, offset, budget in _cases():
        engine = TokenizerEngine(tokenizer)  # a fresh engine: its token cache starts cold
        options = CompletionOptions(prompt_tokens=budget)
        document = TextDocument("file:///bench.py", text, language_id="python")
        began = time.perf_counter()
        prompt = build_prompt(document, offset, engine=engine, options=options, language_id="python")
        cold = time.perf_counter() - began
        counter = counter_for(engine)
        calls_before = counter.calls
        warm, reading_times = [], []
        reading = None
        for _ in range(args.keystrokes):
            document.replace(offset, offset, "x")
            offset += 1
            began = time.perf_counter()
            prompt = build_prompt(document, offset, engine=engine, options=options, language_id="python")
            warm.append(time.perf_counter() - began)
            began = time.perf_counter()
            reading = english_reading(document, offset, "python")
            reading_times.append(time.perf_counter() - began)
        row = {
            "case": name,
            "lines": document.line_count,
            "budget": budget,
            "prompt_tokens": prompt.tokens.total,
            "first_ms": round(cold * 1000, 1),
            "keystroke_median_ms": round(statistics.median(warm) * 1000, 1),
            "keystroke_p90_ms": round(sorted(warm)[int(len(warm) * 0.9)] * 1000, 1),
            # Pieces the token cache had to tokenize (token healing adds one call on the cursor line).
            "token_cache_misses_per_keystroke": round((counter.calls - calls_before) / len(warm), 1),
            "reading_names": len(reading.aliases) if reading is not None else 0,
            "reading_median_ms": round(statistics.median(reading_times) * 1000, 1),
        }
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False))
    if args.out:
        summary = {"machine": f"{platform.machine()} {platform.processor()}".strip(), "results": rows}
        args.out.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
