"""The `daima` command line: one entry point whose subcommands live next to the code they drive."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from daima import __version__

# Each module has `add_parser(subparsers)` that registers its subcommand(s) with a `func(args) -> int`.
# A subcommand appears in --help only when its module exists, so nothing unfinished is advertised.
SUBCOMMAND_MODULES = (
    "daima.lsp.cli",  # serve
    "daima.completion.cli",  # complete
    "daima.indexer.cli",  # index
    "daima.model.cli",  # model, bench
    "daima.review.cli",  # review
)


class CliError(Exception):
    """An error the user can fix; printed as one sentence on stderr with exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="daima", description="daima (代码): a local coding assistant served over LSP."
    )
    parser.add_argument("--version", action="version", version=f"daima {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:
                continue
            raise
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CliError as error:
        print(f"daima: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
