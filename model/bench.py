"""`daima bench`: a typing replay over a real source file, with two baselines on the same prompts.

The cursor walks through the file; at each chosen line the line is removed and typed again one
character at a time. Every keystroke issues a request (a fill-in-the-middle prompt of the text before
and after the cursor) that is cancelled by the next keystroke as soon as its first token arrives, as a
debounced editor would; when the line is complete the request runs to a whole 32-token suggestion. The
same end-of-line prompts then go through plain `generate` and transformers' static-cache fast path.
Prompts are built as token ids with a left edge that stays put while a line is typed (as a prompt
builder should), so the engine is measured, not the tokenizer.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from daima.model.api import CancelToken, GenerationRequest


@dataclass(kw_only=True)
class BenchSettings:
    """What the replay types and how big its prompts are."""

    lines: int = 6  # lines retyped
    prompt_tokens: int = 2048
    suffix_share: float = 0.25
    new_tokens: int = 32
    long_prompt_tokens: int = 8000  # the cold long-prompt TTFT
    baseline_prompts: int = 4  # end-of-line prompts run through each baseline
    baselines: bool = True


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


class Replay:
    """Builds the keystroke prompts for one file and runs them through an engine."""

    def __init__(self, engine: Any, source: str, settings: BenchSettings) -> None:
        self.engine, self.settings = engine, settings
        self.lines = source.splitlines(keepends=True)
        tok = engine.tokenize
        self.fim = [tok("<|fim_prefix|>"), tok("<|fim_suffix|>"), tok("<|fim_middle|>")]
        # Keep random-weight models from stopping early: the suggestion is always new_tokens long.
        self.no_eos = {i: -1e9 for i in engine.eos_ids}

    def targets(self) -> list[int]:
        """Line numbers to retype: non-blank lines spread evenly over the file, past its first quarter."""
        candidates = [
            i for i, line in enumerate(self.lines) if len(line.strip()) > 8 and i > len(self.lines) // 4
        ]
        step = max(1, len(candidates) // max(1, self.settings.lines))
        return candidates[::step][: self.settings.lines]

    def prompts_for(self, index: int) -> list[list[int]]:
        """One prompt per keystroke of line `index` (the last one is the complete line)."""
        budget = self.settings.prompt_tokens - sum(len(x) for x in self.fim) - 16
        suffix_budget = int(budget * self.settings.suffix_share)
        before = self.engine.tokenize("".join(self.lines[:index]))[-(budget - suffix_budget) :]
        after = self.engine.tokenize("".join(self.lines[index + 1 :]))[:suffix_budget]
        typed_line = self.lines[index].rstrip("\n")
        prompts = []
        for size in range(1, len(typed_line) + 1):
            typed = self.engine.tokenize(typed_line[:size])
            prompts.append(self.fim[0] + before + typed + self.fim[1] + after + self.fim[2])
        return prompts

    def request(self, ids: list[int], tokens: int) -> GenerationRequest:
        return GenerationRequest(prompt=ids, max_tokens=tokens, logit_bias=self.no_eos)

    def first_token(self, ids: list[int]) -> tuple[float, Any]:
        """Submit, wait for the first token, cancel (the next keystroke supersedes it); returns TTFT."""
        cancel = CancelToken()
        began = time.perf_counter()
        stream = self.engine.stream(self.request(ids, self.settings.new_tokens), cancel)
        for _ in stream:
            break
        ttft = time.perf_counter() - began
        cancel.cancel()
        for _ in stream:
            pass
        return ttft, stream.stats

    def suggestion(self, ids: list[int]) -> tuple[float, float, Any]:
        """A whole suggestion: (TTFT, time to the last token, stats)."""
        began = time.perf_counter()
        stream = self.engine.stream(self.request(ids, self.settings.new_tokens))
        first = None
        for _ in stream:
            first = first if first is not None else time.perf_counter() - began
        return first or 0.0, time.perf_counter() - began, stream.stats


def run_bench(engine: Any, source: str, settings: BenchSettings, label: str = "") -> dict[str, Any]:
    """Run the replay (and the baselines) and return the figures as a JSON-ready dict."""
    replay = Replay(engine, source, settings)
    cuda = engine.lm.device.type == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    engine.clear_cache()
    targets = replay.targets()
    all_prompts = [replay.prompts_for(i) for i in targets]
    cold_ttft, cold_stats = replay.first_token(all_prompts[0][0])
    warm: list[float] = []
    suggestions: list[float] = []
    decode_rates: list[float] = []
    final_prompts: list[list[int]] = []
    stats_before = (engine.cache.stats.reused_tokens, engine.cache.stats.computed_tokens)
    for prompts in all_prompts:
        for ids in prompts[:-1]:
            ttft, _ = replay.first_token(ids)
            warm.append(ttft)
        first, total, stats = replay.suggestion(prompts[-1])
        warm.append(first)
        suggestions.append(total)
        if stats.generated_tokens > 1 and total > first:
            decode_rates.append((stats.generated_tokens - 1) / (total - first))
        final_prompts.append(prompts[-1])
    reused = engine.cache.stats.reused_tokens - stats_before[0]
    computed = engine.cache.stats.computed_tokens - stats_before[1]
    long_ids = (replay.fim[0] + engine.tokenize(source * 20))[: settings.long_prompt_tokens]
    engine.clear_cache()
    long_ttft, long_stats = replay.first_token(long_ids)
    result: dict[str, Any] = {
        "label": label,
        "model": engine.info.name,
        "device": _device_name(engine),
        "dtype": str(engine.lm.dtype).replace("torch.", ""),
        "cuda_graphs": engine.graphs is not None,
        "warmup_s": round(engine.warmup_s, 2),
        "keystrokes": len(warm),
        "lines_typed": len(targets),
        "prompt_tokens_mean": round(statistics.mean(len(p) for p in final_prompts)),
        "cold_ttft_ms": _ms(cold_ttft),
        "cold_prompt_tokens": cold_stats.prompt_tokens,
        "cold_long_ttft_ms": _ms(long_ttft),
        "cold_long_prompt_tokens": long_stats.prompt_tokens,
        "warm_ttft_p50_ms": _ms(_pct(warm, 0.5)),
        "warm_ttft_p95_ms": _ms(_pct(warm, 0.95)),
        "suggestion_32_p50_ms": _ms(_pct(suggestions, 0.5)),
        "suggestion_32_p95_ms": _ms(_pct(suggestions, 0.95)),
        "decode_tok_s_p50": round(_pct(decode_rates, 0.5) or 0.0, 1),
        "reused_prompt_tokens": reused,
        "computed_prompt_tokens": computed,
        "reuse_ratio": round(reused / max(1, reused + computed), 4),
    }
    if cuda:
        result["gpu_peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
    if settings.baselines:
        from daima.model.bench_baselines import run_baselines

        baseline = run_baselines(
            engine.lm.hf, final_prompts[: settings.baseline_prompts], settings.new_tokens
        )
        result["baselines"] = baseline
        ours = [_pct(suggestions[: settings.baseline_prompts], 0.5) or 0.0]
        for name, figures in baseline.items():
            if figures.get("p50_ms"):
                result[f"speedup_vs_{name}"] = round(figures["p50_ms"] / (ours[0] * 1000), 2)
    return result


def _device_name(engine: Any) -> str:
    if engine.lm.device.type == "cuda":
        return str(torch.cuda.get_device_name(engine.lm.device))
    import os
    import platform

    return f"{platform.processor() or platform.machine()} CPU, {os.cpu_count()} cores"


def default_source() -> Path:
    """A real source file to replay when none is given: this engine's own code."""
    return Path(__file__).with_name("engine.py")
