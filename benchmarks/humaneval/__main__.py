"""`python -m benchmarks.humaneval`: run the eval and write its summary and per-task records."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

from daima.config import CompletionOptions, ModelOptions

from .evaluate import EvalConfig, Record, evaluate, format_summary
from .split import SPLITS, split_of
from .tasks import MissingData, load_problems

RESULTS = Path("benchmarks/results")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.humaneval", description=__doc__)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--quantize",
        default="auto",
        choices=("auto", "none", "int8", "int4"),
        help="model.quantize (auto: int8 on a CPU)",
    )
    parser.add_argument(
        "--speculative",
        choices=("default", "on", "off"),
        default="default",
        help="model.speculative (prompt-lookup drafts; in-process sources only)",
    )
    parser.add_argument(
        "--split",
        default="heldout",
        choices=(*SPLITS, "all"),
        help="which half of the problems (dev: tune and cite; heldout: report only)",
    )
    parser.add_argument(
        "--size", type=int, default=40, help="tasks in the seeded sample (0: the whole split)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--extra-candidates", type=int, default=2, help="daima's completion.extraCandidates")
    parser.add_argument(
        "--max-time-ms",
        type=int,
        default=0,
        help=f"daima's deadline per suggestion (0: none; an editor gets {CompletionOptions().max_time_ms})",
    )
    parser.add_argument("--variants", default="en,zh", help="en, zh (Chinese identifiers) or both")
    parser.add_argument(
        "--sources",
        default="naive,daima",
        help="naive, daima (this process) and/or server (the real server, default options and deadline)",
    )
    parser.add_argument(
        "--out", type=Path, help="summary JSON (default benchmarks/results/eval_MODEL_SPLIT.json)"
    )
    parser.add_argument("--list-split", action="store_true", help="print each problem's half and exit")
    args = parser.parse_args(argv)
    try:
        problems = load_problems()  # first, so missing data fails before the model loads
    except MissingData as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.list_split:
        for problem in problems:
            print(problem.task_id, split_of(problem.task_id))
        return 0
    variants = tuple(v for v in args.variants.split(",") if v)
    sources = tuple(s for s in args.sources.split(",") if s)
    if (
        not variants
        or not sources
        or not set(variants) <= {"en", "zh"}
        or not set(sources) <= {"naive", "daima", "server"}
    ):
        parser.error("--variants takes en and/or zh, --sources naive, daima and/or server (comma-separated)")
    config = EvalConfig(
        size=args.size, seed=args.seed, split=args.split, max_tokens=args.max_tokens, variants=variants,
        sources=sources, extra_candidates=args.extra_candidates, max_time_ms=args.max_time_ms,
    )  # fmt: skip
    from daima.model.loader import load_engine

    in_process = set(sources) & {"naive", "daima"}
    model_options = ModelOptions(name=args.model, device=args.device, quantize=args.quantize)
    if args.speculative != "default":
        model_options = replace(model_options, speculative=args.speculative == "on")
    engine = load_engine(model_options) if in_process else None
    server = None
    if "server" in sources:
        from .over_server import ServerCompleter

        server = ServerCompleter(args.model, args.device, args.quantize)
    suffix = f"_{args.split}" + (f"_{args.max_time_ms}ms" if args.max_time_ms else "")
    suffix += "_server" if sources == ("server",) else ""
    suffix += "_int8" if args.quantize == "int8" else ""
    out = args.out or RESULTS / f"eval_{args.model.replace('/', '_')}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)

    def progress(record: Record) -> None:
        mark = "pass" if record.passed else "FAIL"
        print(
            f"{record.variant} {record.source:5} {record.task_id:20} {mark} {record.seconds:5.1f}s "
            f"{record.completion.strip()[:60]!r}",
            file=sys.stderr,
            flush=True,
        )

    try:
        with out.with_suffix(".jsonl").open("w", encoding="utf-8") as records:
            summary = evaluate(
                engine, config, records=records, progress=progress, problems=problems, server=server
            )
    finally:
        close = getattr(engine, "close", None)
        if close is not None:
            close()
        if server is not None:
            server.close()
    summary["quantize"] = args.quantize
    if engine is not None:
        summary["weights"] = engine.info.weights  # what "auto" chose
    device = summary.get("device") or (summary.get("server_status") or {}).get("device")
    summary["machine"] = f"{os.cpu_count()} CPU cores" if device == "cpu" else device
    out.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(format_summary(summary))
    print(f"results: {out} and {out.with_suffix('.jsonl')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
