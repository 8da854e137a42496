"""The two baselines `daima bench` compares against, on the same prompts and model weights.

`generate`: plain transformers `generate` (dynamic cache, eager, no reuse between requests).
`static_cache`: transformers' own fast path (`cache_implementation="static"`, which compiles the
decode step on first use; that compile time is reported separately and not counted per request).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import torch

log = logging.getLogger(__name__)


def _timed_generate(model: Any, ids: list[int], new_tokens: int, **extra: Any) -> float:
    inputs = torch.tensor([ids], device=model.device)
    if model.device.type == "cuda":
        torch.cuda.synchronize()
    began = time.perf_counter()
    out = model.generate(
        inputs,
        attention_mask=torch.ones_like(inputs),
        max_new_tokens=new_tokens,
        min_new_tokens=new_tokens,
        do_sample=False,
        pad_token_id=0,
        **extra,
    )
    if model.device.type == "cuda":
        torch.cuda.synchronize()
    assert out.shape[1] == len(ids) + new_tokens
    return time.perf_counter() - began


def _figures(times: list[float], **extra: Any) -> dict[str, Any]:
    ordered = sorted(times)
    return {"p50_ms": round(ordered[len(ordered) // 2] * 1000, 2), "runs": len(times), **extra}


def run_baselines(model: Any, prompts: list[list[int]], new_tokens: int) -> dict[str, Any]:
    """Time 32-token greedy suggestions for each prompt with both baselines."""
    results: dict[str, Any] = {}
    saved = model.generation_config.cache_implementation
    try:
        _timed_generate(model, prompts[0], 2)  # load kernels once; not counted
        results["generate"] = _figures([_timed_generate(model, ids, new_tokens) for ids in prompts])
    except Exception as error:
        log.warning("plain generate baseline failed: %s", error)
        results["generate"] = {"error": str(error)[:300]}
    try:
        model.generation_config.cache_implementation = "static"
        began = time.perf_counter()
        _timed_generate(model, prompts[0], new_tokens)  # compiles the decode step
        _timed_generate(model, prompts[0], new_tokens)
        compile_s = time.perf_counter() - began
        times = [_timed_generate(model, ids, new_tokens) for ids in prompts]
        results["static_cache"] = _figures(times, first_use_s=round(compile_s, 1))
    except Exception as error:
        log.warning("static-cache baseline failed: %s", error)
        results["static_cache"] = {"error": str(error)[:300]}
    finally:
        model.generation_config.cache_implementation = saved
    return results
