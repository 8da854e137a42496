"""The server's log as the client sees it: `window/logMessage` at each record's own level.

Editors keep a language server's stderr as errors (Neovim's lsp.log marks every stderr line
`[ERROR]`; VS Code's output channel shows it unlabelled), so once the client has said `initialized`,
daima's records go to it as log messages with their level, and stderr keeps only warnings and errors
(the libraries' too). A `--log-file` keeps everything.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from lsprotocol import types as lsp

_SEND_FROM = logging.DEBUG


def _message_type(level: int) -> lsp.MessageType:
    if level >= logging.ERROR:
        return lsp.MessageType.Error
    if level >= logging.WARNING:
        return lsp.MessageType.Warning
    if level >= logging.INFO:
        return lsp.MessageType.Info
    return lsp.MessageType.Log


class ClientLog(logging.Handler):
    """Sends daima's records to the client (from any thread) as `window/logMessage`. The transport's
    own records (pygls) stay on stderr: a failure to send, sent as a message, would loop."""

    def __init__(self, server: Any) -> None:
        super().__init__(_SEND_FROM)
        self.server = server
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        self.addFilter(lambda record: record.name == "daima" or record.name.startswith("daima."))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.format(record)
        except Exception:  # a record that cannot be formatted is not worth a crash
            return
        params = lsp.LogMessageParams(type=_message_type(record.levelno), message=message)
        self.server.notify_threadsafe(lsp.WINDOW_LOG_MESSAGE, params)


def route_to_client(server: Any) -> None:
    """From now on records go to the client with their level; stderr keeps warnings and errors."""
    root = logging.getLogger()
    if any(isinstance(handler, ClientLog) for handler in root.handlers):
        return
    for handler in root.handlers:
        if type(handler) is logging.StreamHandler and handler.stream is sys.stderr:
            handler.setLevel(logging.WARNING)
    root.addHandler(ClientLog(server))
