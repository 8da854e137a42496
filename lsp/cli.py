"""`daima serve`: the language server over stdio (or TCP for debugging)."""

from __future__ import annotations

import argparse
import logging
import sys

from daima.cli import CliError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the language server (LSP over stdio)",
        description="Run daima's language server. Editors start this; it speaks LSP over stdio.",
    )
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio (for debugging)")
    parser.add_argument("--log-file", metavar="FILE", help="also write the server log to FILE")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if args.log_file:
        handlers.append(logging.FileHandler(args.log_file, encoding="utf-8"))
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    # Library chatter (pygls logs every message at INFO) would drown daima's own lines.
    logging.getLogger("pygls").setLevel(logging.WARNING)

    from .server import create_server

    server = create_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not host or not port.isdigit():
            raise CliError(f"--tcp expects HOST:PORT, got '{args.tcp}'")
        from .tcp import serve_tcp

        serve_tcp(server, host, int(port))
    else:
        server.start_io()
    return 0
