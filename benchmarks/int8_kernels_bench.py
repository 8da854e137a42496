"""Why the local engine multiplies int8 weights with torch's own CPU kernel and not torchao's int8 path.

Usage: .venv/bin/python -m benchmarks.int8_kernels_bench [--out FILE.json]
Needs torchao for its rows (`pip install torchao==0.18.0`, not a dependency of daima); without it only
daima's and fp32's rows are measured, and the output says so.

Every matrix of Qwen2.5-Coder-0.5B's 24 layers (q/k/v, o, gate/up, down) and its 151,936-row lm_head,
random weights, multiplied the way a decode step (1 row) and a keystroke's prefill (32 and 128 rows) ask,
all matrices in turn so they come from memory as in the model. Each way is timed on the same thread
that quantised its weights (one OpenMP team, as the engine runs; model/worker.py), best of 3 passes:
- `daima`: `model.linear.Int8Linear` (per-row int8, `torch._weight_int8pack_mm`, bf16 activations);
- `torchao_eager`: torchao's `Int8WeightOnlyConfig` (per-row int8) on a bf16 `nn.Linear` (the dtype it
  is meant for), bf16 activations, as a model runs without compiling;
- `fp32`: `nn.Linear` with the float weights.
torchao's fast path is meant to run under `torch.compile`; the engine runs eager (no compile at start,
no C++ compiler on the user's machine), so eager is what is compared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path
from typing import Any

HIDDEN, INTERMEDIATE, LAYERS, VOCAB = 896, 4864, 24, 151936
KV = 128  # two KV heads of 64
ROWS = (1, 32, 128)


def shapes() -> list[tuple[int, int]]:
    """(out, in) of every matrix a 0.5B forward multiplies by, in order."""
    layer = [(HIDDEN + 2 * KV, HIDDEN), (HIDDEN, HIDDEN), (2 * INTERMEDIATE, HIDDEN), (HIDDEN, INTERMEDIATE)]
    return layer * LAYERS + [(VOCAB, HIDDEN)]


def best_of(passes: int, run: Any) -> float:
    best = float("inf")
    for _ in range(passes):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return best


def measure() -> dict[str, Any]:
    import torch

    from daima.model.linear import Int8Linear

    torch.manual_seed(0)
    weights = [torch.randn(out, inp) * 0.02 for out, inp in shapes()]
    inputs = {(rows, inp): torch.randn(rows, inp) for rows in ROWS for inp in (HIDDEN, INTERMEDIATE)}
    results: dict[str, Any] = {}

    def pass_over(layers: list[Any]) -> dict[str, dict[str, float]]:
        """ms per pass over the 96 layer matrices, and over the lm_head alone (a prefill multiplies
        only its last row by the lm_head; a decode step its one row)."""
        pairs = list(zip(layers, weights, strict=True))
        timed: dict[str, dict[str, float]] = {"layers": {}, "lm_head": {}}
        with torch.inference_mode():
            for part, chosen in (("layers", pairs[:-1]), ("lm_head", pairs[-1:])):
                for rows in ROWS:

                    def run(rows: int = rows, chosen: list[Any] = chosen) -> None:
                        for layer, weight in chosen:
                            layer(inputs[(rows, weight.shape[1])])

                    run()
                    timed[part][str(rows)] = round(best_of(3, run) * 1000, 1)
        return timed

    results["daima"] = pass_over([Int8Linear(w) for w in weights])
    floats = []
    for weight in weights:
        linear = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=False)
        linear.weight.data = weight
        floats.append(linear)
    results["fp32"] = pass_over(floats)
    try:
        from torchao.quantization import Int8WeightOnlyConfig, quantize_
    except ImportError:
        results["torchao"] = "not installed (pip install torchao==0.18.0)"
        return results
    import torchao

    results["torchao_version"] = torchao.__version__
    # torchao's int8 weight-only path is meant for bf16 models (inductor lowers it to the CPU int8 kernel
    # for bf16 activations), as daima's kernel takes bf16 activations too.
    model = torch.nn.Sequential(*floats).to(torch.bfloat16)
    quantize_(model, Int8WeightOnlyConfig())
    inputs.update({key: value.to(torch.bfloat16) for key, value in inputs.items()})
    results["torchao_eager"] = pass_over(list(model))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    found: dict[str, Any] = {}

    def run() -> None:  # one fresh thread: its OpenMP team is the only one that multiplies
        found.update(measure())

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    for name in ("daima", "torchao_eager", "fp32"):
        for part, timed in found.get(name, {}).items() if isinstance(found.get(name), dict) else ():
            row = "  ".join(f"{rows} rows {ms:8.1f} ms" for rows, ms in timed.items())
            print(f"{name:14} {part:8} {row}")
    summary = {
        "benchmark": "int8 weight-only matrix products of a 0.5B forward (all 24 layers and the lm_head)",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
        "how": "random weights, ms per pass over every matrix, best of 3, one thread that also quantised",
        "results_ms": found,
    }
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
