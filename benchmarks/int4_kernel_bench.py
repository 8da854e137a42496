"""Is torch's CPU int4 kernel faster than its int8 kernel for one decode step of the default model?

Usage: .venv/bin/python -m benchmarks.int4_kernel_bench [--repeats 200] [--out FILE.json]

Decode reads every weight once a token, so its speed is bound by bytes read: int4 reads half of int8's.
This times, for the linear layers of one Qwen2.5-Coder-0.5B decode step (24 layers of q/k/v/o and the
MLP, and the tied 151,936-row output head), one token (M=1) through
- fp32 `torch.nn.functional.linear` (the baseline),
- int8 `torch._weight_int8pack_mm` with bf16 activations (what the CPU engine runs today),
- int4 `torch._weight_int4pack_mm_for_cpu` with groups of 32 and bf16 activations (what a GGUF's 4-bit
  codes would map to),
in the same run, interleaved, on random weights of the real shapes (speed does not depend on values).
It prints ms per decode step for each and the ratios; the decision it informs is whether an int4 path
is worth building (issue: decode at least as fast as llama.cpp on the same GGUF).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import torch

HIDDEN, INTERMEDIATE, KV, LAYERS, VOCAB = 896, 4864, 128, 24, 151936
LAYER_SHAPES = [(HIDDEN, HIDDEN), (KV, HIDDEN), (KV, HIDDEN), (HIDDEN, HIDDEN),
                (INTERMEDIATE, HIDDEN), (INTERMEDIATE, HIDDEN), (HIDDEN, INTERMEDIATE)]  # fmt: skip
GROUP = 32
INNER_K_TILES = 2


def fp32_layer(n: int, k: int) -> Any:
    weight = torch.randn(n, k) * 0.02
    return lambda x: torch.nn.functional.linear(x, weight)


def int8_layer(n: int, k: int) -> Any:
    # As model/linear.py's Int8Linear calls it: bf16 activations and scales.
    weight = torch.randint(-127, 128, (n, k), dtype=torch.int8)
    scales = (torch.rand(n) * 0.01).to(torch.bfloat16)
    return lambda x: torch._weight_int8pack_mm(x.to(torch.bfloat16), weight, scales)


def int4_layer(n: int, k: int) -> Any:
    codes = torch.randint(0, 16, (n, k), dtype=torch.int32)
    packed = torch._convert_weight_to_int4pack_for_cpu(codes, INNER_K_TILES)
    scales_and_zeros = (torch.rand(k // GROUP, n, 2) * 0.01).to(torch.bfloat16)
    return lambda x: torch._weight_int4pack_mm_for_cpu(x.to(torch.bfloat16), packed, GROUP, scales_and_zeros)


def step(layers: list[Any], x_hidden: torch.Tensor, x_inter: torch.Tensor) -> None:
    for layer, (_n, k) in zip(layers, LAYER_SHAPES * LAYERS + [(VOCAB, HIDDEN)], strict=True):
        layer(x_inter if k == INTERMEDIATE else x_hidden)


def build(kind: Any) -> list[Any]:
    shapes = LAYER_SHAPES * LAYERS + [(VOCAB, HIDDEN)]
    return [kind(n, k) for n, k in shapes]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.manual_seed(0)
    kinds = {"fp32": fp32_layer, "int8": int8_layer, "int4_g32": int4_layer}
    built, errors = {}, {}
    for name, kind in kinds.items():
        try:
            built[name] = build(kind)
            step(built[name], torch.randn(1, HIDDEN), torch.randn(1, INTERMEDIATE))
        except Exception as error:  # an op this torch build lacks: say so, time the others
            built.pop(name, None)
            errors[name] = f"{type(error).__name__}: {error}"
            print(f"{name}: unavailable ({errors[name]})", flush=True)
    x_hidden, x_inter = torch.randn(1, HIDDEN), torch.randn(1, INTERMEDIATE)
    times: dict[str, list[float]] = {name: [] for name in built}
    with torch.inference_mode():
        for _ in range(args.repeats):
            for name, layers in built.items():  # interleaved: load changes hit every kind alike
                began = time.perf_counter()
                step(layers, x_hidden, x_inter)
                times[name].append((time.perf_counter() - began) * 1000)
    result: dict[str, Any] = {
        "benchmark": "linear layers of one Qwen2.5-Coder-0.5B decode step (M=1), random weights, interleaved",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.processor() or 'cpu'}",
        "torch": torch.__version__, "threads": torch.get_num_threads(), "repeats": args.repeats,
        "unavailable": errors,
        "ms_per_step_median": {name: round(statistics.median(ts), 2) for name, ts in times.items()},
    }  # fmt: skip
    medians = result["ms_per_step_median"]
    if "int8" in medians:
        result["speedup_vs_int8"] = {name: round(medians["int8"] / ms, 2) for name, ms in medians.items()}
    print(json.dumps(result, indent=1), flush=True)
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
