"""`daima model fetch|list|info` and `daima bench`: the engine's command-line surface."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Register `model` (fetch, list, info) and `bench`."""
    model = subparsers.add_parser("model", help="fetch and inspect local models")
    sub = model.add_subparsers(dest="model_command", metavar="ACTION")
    fetch = sub.add_parser("fetch", help="download, verify and convert a built-in model alias")
    fetch.add_argument("alias", help="e.g. qwen2.5-coder-0.5b or qwen2.5-coder-1.5b")
    fetch.add_argument("--force", action="store_true", help="fetch and convert again even when present")
    fetch.set_defaults(func=_fetch)
    listing = sub.add_parser(
        "list", help="list built-in aliases (fetched or not) and checkpoint names with the memory they need"
    )
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.add_argument(
        "--context-tokens",
        type=int,
        default=8192,
        help="context the KV memory figures are for (default 8192)",
    )
    listing.set_defaults(func=_list)
    info = sub.add_parser("info", help="load a model and print what the engine knows about it")
    info.add_argument("name", nargs="?", default="auto", help="alias, directory, .gguf file or HF id")
    info.add_argument("--device", default="auto")
    info.add_argument("--dtype", default="auto")
    info.set_defaults(func=_info)
    model.set_defaults(func=lambda args: (model.print_help(), 2)[1])
    try:
        from daima.model.bench_cli import add_bench_parser
    except ModuleNotFoundError as error:
        if error.name != "daima.model.bench_cli":
            raise
    else:
        add_bench_parser(subparsers)


def _fetch(args: argparse.Namespace) -> int:
    from daima.cli import CliError
    from daima.model.api import EngineError
    from daima.model.fetch import fetch

    try:
        path = fetch(args.alias, progress=True, force=args.force)
    except EngineError as error:
        raise CliError(str(error)) from error
    print(path)
    return 0


def _list(args: argparse.Namespace) -> int:
    from daima.model.checkpoints import checkpoints, describe, memory_needs, shapes
    from daima.model.fetch import list_models

    rows = list_models()
    hub = checkpoints()
    if args.json:
        for checkpoint in hub.values():
            needs = memory_needs(shapes()[checkpoint.shape], args.context_tokens)
            rows.append(
                {
                    "alias": checkpoint.name,
                    "hub": checkpoint.hub,
                    "description": checkpoint.description,
                    "context": checkpoint.context,
                    **needs,
                }
            )
        print(json.dumps(rows, indent=1))
        return 0
    for row in rows:
        state = f"fetched, {row['disk_bytes'] / 1e9:.2f} GB" if row["fetched"] else "not fetched"
        print(f"{row['alias']:<22} {state:<22} {row['path']}")
    print("\ncheckpoints loaded from the Hugging Face hub (or its cache) by name:")
    for checkpoint in hub.values():
        print(f"{checkpoint.name:<22} {checkpoint.hub}")
        print(f"{'':<22} {describe(checkpoint, args.context_tokens)}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from daima.cli import CliError
    from daima.config import ModelOptions
    from daima.model.api import EngineError
    from daima.model.loader import load_engine

    try:
        engine = load_engine(ModelOptions(name=args.name, device=args.device, dtype=args.dtype))
    except EngineError as error:
        raise CliError(str(error)) from error
    info = engine.info
    print(
        json.dumps(
            {
                "name": info.name,
                "model_type": info.model_type,
                "context_length": info.context_length,
                "device": info.device,
                "special_tokens": len(info.special_tokens),
            },
            indent=1,
        ),
        file=sys.stdout,
    )
    return 0
