"""`daima index PATH`: build or refresh a workspace's index, with a progress bar, counts and timings."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from daima.config import IndexOptions

from .model import IndexReport, Symbol
from .workspace import WorkspaceIndex


def add_parser(subparsers: Any) -> None:
    """Register `daima index`."""
    parser = subparsers.add_parser(
        "index", help="index a workspace folder (tree-sitter symbols, imports, chunks)", description=__doc__
    )
    parser.add_argument("path", type=Path, help="workspace folder")
    parser.add_argument("--find", metavar="NAME", help="after indexing, print the definitions of NAME")
    parser.add_argument("--json", action="store_true", help="machine-readable output (with --find: a list)")
    parser.add_argument("--db", type=Path, help="index database (default: the user cache directory)")
    parser.add_argument("--max-file-kb", type=int, help="skip files larger than this")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Index the folder, then print the report or the definitions asked for."""
    from daima.cli import CliError

    if not args.path.is_dir():
        raise CliError(f"{args.path} is not a folder")
    options = IndexOptions()
    if args.max_file_kb:
        options = replace(options, max_file_kb=args.max_file_kb)
    began = time.perf_counter()
    index = WorkspaceIndex.open(args.path, options, args.db)
    opened = time.perf_counter() - began
    try:
        show = not args.no_progress and not args.json and sys.stderr.isatty()
        bar = _Bar() if show else None
        report = index.index_all(progress=bar.update if bar else None)
        if bar:
            bar.close()
        report.timings["open"] = opened
        if args.find is not None:
            return _print_definitions(index.definitions(args.find), args.json)
        _print_report(index, report, args.json)
        if index.store.in_memory_reason:  # what `daima index` is for, keeping the index, did not happen
            print(f"error: {index.store.in_memory_reason}; the index was not kept", file=sys.stderr)
            return 1
    finally:
        index.close()
    return 0


def _print_definitions(symbols: list[Symbol], as_json: bool) -> int:
    rows = [
        {
            "path": str(symbol.path),
            "line": symbol.line,
            "column": symbol.column,
            "kind": symbol.kind,
            "name": symbol.name,
            "signature": symbol.signature,
            "scope": symbol.scope,
        }
        for symbol in symbols
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for symbol in symbols:
            print(f"{symbol.path}:{symbol.line + 1}:{symbol.column + 1}: [{symbol.kind}] {symbol.signature}")
    return 0 if rows else 1


def _print_report(index: WorkspaceIndex, report: IndexReport, as_json: bool) -> None:
    if as_json:
        data = {key: value for key, value in vars(report).items()}
        data["database"] = str(index.store.path)
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    print(report.summary())
    print("timings: " + ", ".join(f"{name} {seconds:.2f}s" for name, seconds in report.timings.items()))
    print(f"database: {index.store.path}")
    if report.skipped:
        print(f"skipped ({len(report.skipped)} listed):")
        for line in report.skipped[:20]:
            print(f"  {line}")


class _Bar:
    """A one-line progress bar on stderr (redrawn at most ~20 times a second)."""

    def __init__(self) -> None:
        self._last = 0.0

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.05:
            return
        self._last = now
        width = 30
        filled = width * done // total if total else width
        sys.stderr.write(f"\rindexing [{'#' * filled}{'.' * (width - filled)}] {done}/{total} files")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
