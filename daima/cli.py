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
SUBCOMMAND_MODULES = {
    "daima.lsp.cli": ("serve",),
    "daima.completion.cli": ("complete",),
    "daima.indexer.cli": ("index",),
    "daima.model.cli": ("model", "bench"),
    "daima.review.cli": ("review",),
}


class CliError(Exception):
    """An error the user can fix; printed as one sentence on stderr with exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="daima", description="daima (代码): a local coding assistant served over LSP."
    )
    parser.add_argument("--version", action="version", version=f"daima {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name, commands in SUBCOMMAND_MODULES.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name == module_name:
                continue
            missing = _third_party(error)
            if missing is None:
                raise
            # A light install (the review bot's rules-only one has no torch) lacks what this command
            # needs: it stays listed, and says what to install instead of a traceback.
            for command in commands:
                _add_unavailable(subparsers, command, missing)
            continue
        module.add_parser(subparsers)
    return parser


def _missing(command: str, package: str) -> CliError:
    return CliError(
        f"`daima {command}` needs the Python package '{package}', which this install lacks (a rules-only "
        "review install has only what `daima review` needs); install daima with all its dependencies: "
        "pip install daima"
    )


def _third_party(error: ModuleNotFoundError) -> str | None:
    """The top-level package a failed import missed, unless it is daima's own (a real bug)."""
    top = (error.name or "").split(".")[0]
    return top if top and top != "daima" else None


def _add_unavailable(subparsers: argparse._SubParsersAction, command: str, missing: str) -> None:
    def unavailable(args: argparse.Namespace) -> int:
        raise _missing(command, missing)

    # No option prefix: every argument the user gives lands in `rest`, and the message above is shown.
    parser = subparsers.add_parser(
        command, help=f"(needs '{missing}', not installed)", add_help=False, prefix_chars="\x01"
    )
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    parser.set_defaults(func=unavailable)


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
        try:
            return int(args.func(args) or 0)
        except ModuleNotFoundError as error:  # a command importing what a light install lacks, when run
            missing = _third_party(error)
            if missing is None:
                raise
            raise _missing(args.command, missing) from None
    except CliError as error:
        print(f"daima: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
