"""`daima bench`: the typing-replay benchmark from the command line (see bench.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_bench_parser(subparsers: Any) -> None:
    """Register `daima bench`."""
    bench = subparsers.add_parser("bench", help="typing-replay latency benchmark of the local engine")
    bench.add_argument(
        "--model",
        default="tiny",
        help="'tiny', a real shape with random weights "
        "(qwen2.5-coder-1.5b / -7b with --random), or a model name for load_engine",
    )
    bench.add_argument("--random", action="store_true", help="random weights of the named shape")
    bench.add_argument("--file", type=Path, help="source file to replay (default: the engine's own code)")
    bench.add_argument("--device", default="auto")
    bench.add_argument("--dtype", default="auto")
    bench.add_argument("--lines", type=int, default=6, help="lines to retype")
    bench.add_argument("--prompt-tokens", type=int, default=2048)
    bench.add_argument("--long-prompt-tokens", type=int, default=8000)
    bench.add_argument(
        "--suffix-share", type=float, default=0.25, help="share of the prompt after the cursor"
    )
    bench.add_argument("--no-baselines", action="store_true", help="skip plain generate and static cache")
    bench.add_argument("--no-compile", action="store_true", help="no CUDA graphs")
    bench.add_argument("--speculative", action="store_true", help="prompt-lookup speculative decoding")
    bench.add_argument("--out", type=Path, help="write the JSON result here too")
    bench.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the engine, replay the file, print (and save) the figures."""
    from daima.model.bench import BenchSettings, default_source, run_bench
    from daima.model.fetch import ensure_model
    from daima.model.loader import pick_device
    from daima.model.testing import random_engine

    device = pick_device(args.device)
    if args.model == "tiny" or args.random:
        engine = random_engine(
            args.model,
            ensure_model("qwen2.5-coder-0.5b"),
            device=device,
            dtype=args.dtype,
            graphs=not args.no_compile,
            speculative=args.speculative,
        )
    else:
        from daima.config import ModelOptions
        from daima.model.loader import load_engine

        options = ModelOptions(name=args.model, device=device, dtype=args.dtype, compile=not args.no_compile)
        options.speculative = args.speculative
        engine = load_engine(options)
    settings = BenchSettings(
        lines=args.lines,
        prompt_tokens=args.prompt_tokens,
        long_prompt_tokens=args.long_prompt_tokens,
        suffix_share=args.suffix_share,
        baselines=not args.no_baselines,
    )
    source = (args.file or default_source()).read_text("utf-8")
    result = run_bench(
        engine,
        source,
        settings,
        label=f"{args.model}{' random' if args.random else ''} suffix_share={args.suffix_share}",
    )
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    engine.close()
    print("done", file=sys.stderr)
    return 0


def main() -> int:
    """`python -m daima.model.bench_cli ...`: the benchmark without the rest of the CLI's imports."""
    parser = argparse.ArgumentParser(prog="daima-bench")
    add_bench_parser(parser.add_subparsers(dest="command", required=True))
    return int(run(parser.parse_args(["bench", *sys.argv[1:]])))


if __name__ == "__main__":
    raise SystemExit(main())
