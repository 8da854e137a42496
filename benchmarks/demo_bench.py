"""The README's first command with the model cached, as a user runs it, and what its model load costs.

Usage: .venv/bin/python benchmarks/demo_bench.py [--runs N] [--out FILE.json]

- The demo: `daima complete 'examples/购物车.py:14:5'` run N times as a new process, exactly as the
  README writes it; wall time and peak memory of each run, and whether it printed the README's lines.
- The load alone, each variant in a fresh process (N times): the default engine (int8 rows quantised
  straight from the built-in model's GGUF codes, `DecoderLM(packed=…)`), against the same int8 engine
  built the way it was before: the fp32 weights rebuilt whole first, then quantised. Both give the same
  int8 matrices (`tests/model/test_int8.py`).
The model must be fetched first (`daima model fetch qwen2.5-coder-0.5b`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEMO = ["complete", "examples/购物车.py:14:5"]

_LOAD = """
import time
began = time.monotonic()
from daima.config import ModelOptions
from daima.model.loader import load_engine, load_weights
from daima.model.engine import LocalEngine
if {rebuilt}:
    import torch
    loaded = load_weights("qwen2.5-coder-0.5b", "cpu", torch.float32)
    engine = LocalEngine(loaded.model, loaded.tokenizer, name="rebuilt", int8=True)
else:
    engine = load_engine(ModelOptions())
assert engine.info.weights == "int8"
print(time.monotonic() - began)
"""


def timed(command: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak resident MB, stdout) of one child process."""
    began = time.monotonic()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - began
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed (status {status})")
    return wall, usage.ru_maxrss / 1024, output


def readme_lines() -> str:
    """The three lines the README says the demo prints (its first ```python block)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    return block


def summary(samples: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(samples), 2), "min": round(min(samples), 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    daima = str(Path(sys.executable).with_name("daima"))
    expected = readme_lines()
    demo_wall, demo_memory, printed_right = [], [], []
    loads: dict[str, dict[str, list[float]]] = {
        v: {"load_s": [], "peak_mb": []} for v in ("packed", "rebuilt")
    }
    for run in range(args.runs):
        wall, memory, output = timed([daima, *DEMO])
        demo_wall.append(wall)
        demo_memory.append(memory)
        printed_right.append(output == expected)
        print(f"demo run {run + 1}: {wall:.2f} s, {memory:.0f} MB, the README's lines: {output == expected}")
        for variant in loads:
            code = _LOAD.format(rebuilt=variant == "rebuilt")
            wall, memory, output = timed([sys.executable, "-c", code])
            loads[variant]["load_s"].append(float(output.strip().splitlines()[-1]))
            loads[variant]["peak_mb"].append(memory)
            print(f"  load {variant}: {loads[variant]['load_s'][-1]:.2f} s, {memory:.0f} MB peak")
    packed, rebuilt = (summary(loads[v]["load_s"])["median"] for v in ("packed", "rebuilt"))
    result: dict[str, Any] = {
        "benchmark": "the README's first command with the model cached, and the model load alone",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
        "runs": args.runs,
        "demo": {
            "command": "daima " + " ".join(DEMO),
            "wall_s": summary(demo_wall),
            "peak_mb": summary(demo_memory),
            "prints_readme_lines": all(printed_right),
        },
        "load": {
            variant: {"load_s": summary(values["load_s"]), "peak_mb": summary(values["peak_mb"])}
            for variant, values in loads.items()
        },
        "load_speedup": round(rebuilt / packed, 2),
        "measured": "each figure from a new process; load_s from the first import to an engine ready",
    }
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
