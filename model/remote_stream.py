"""Reading a `/v1/completions` event stream: SSE payloads to choices, with usage and finish reasons.

Kept apart from the engine so the wire format (what vLLM, SGLang and llama.cpp actually send, and what
they send when something is wrong) is in one place.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from daima.model.api import EngineError, GenerationStats
from daima.model.remote_http import BadAnswerError, Exchange, Watcher, excerpt
from daima.model.sse import SseParser


def read_events(exchange: Exchange, watcher: Watcher, stats: GenerationStats) -> Iterator[dict[str, Any]]:
    """Parsed choices of the SSE stream until [DONE], a finish, a cancel or the deadline."""
    content_type = exchange.response.getheader("Content-Type", "") if exchange.response else ""
    parser = SseParser()
    head = b""  # the start of the body, for error messages
    done = False
    while not done:
        if reason := watcher.check():
            stats.finish_reason = reason
            return
        try:
            chunk = exchange.read_some()
        except EngineError:
            if reason := watcher.reason or watcher.check():
                stats.finish_reason = reason
                return
            stats.finish_reason = "error"
            raise
        if len(head) < 200:
            head += chunk[: 200 - len(head)]
        if "application/json" in content_type:  # a server that ignored "stream": the whole answer
            chunk += exchange.read_all()
            payloads, done = [chunk.decode("utf-8", errors="replace")], True
        else:
            payloads = parser.feed(chunk) if chunk else parser.close()
        if reason := watcher.reason:  # the read ended because the watcher closed the socket
            stats.finish_reason = reason
            return
        for payload in payloads:
            if payload.strip() == "[DONE]":
                stats.finish_reason = stats.finish_reason or "stop"
                return
            choice = parse_choice(payload, stats, exchange.target.url)
            if choice is not None:
                yield choice
                if choice.get("finish_reason"):
                    stats.finish_reason = "length" if choice["finish_reason"] == "length" else "stop"
        if not chunk:
            break
    if not stats.finish_reason:
        stats.finish_reason = "error"
        raise BadAnswerError(
            f"remote engine at {exchange.target.url} ended the stream before the completion finished: "
            f"{excerpt(head)!r}"
        )


def parse_choice(payload: str, stats: GenerationStats, url: str) -> dict[str, Any] | None:
    """The first choice of one event (None for a usage-only event); bad events raise EngineError."""
    try:
        event = json.loads(payload)
    except ValueError:
        stats.finish_reason = "error"
        raise BadAnswerError(f"remote engine at {url} sent a non-JSON event: {excerpt(payload)!r}") from None
    if isinstance(event, dict) and "error" in event:
        stats.finish_reason = "error"
        raise EngineError(
            f"remote engine at {url} reported an error: {excerpt(json.dumps(event['error']))!r}"
        )
    choices = event.get("choices") if isinstance(event, dict) else None
    if not isinstance(choices, list):
        stats.finish_reason = "error"
        raise BadAnswerError(f"remote engine at {url} sent an event without choices: {excerpt(payload)!r}")
    usage = event.get("usage")
    if isinstance(usage, dict):
        stats.prompt_tokens = int(usage.get("prompt_tokens") or stats.prompt_tokens)
        stats.generated_tokens = int(usage.get("completion_tokens") or stats.generated_tokens)
    if not choices:
        return None
    choice = choices[0]
    if not isinstance(choice, dict) or not isinstance(choice.get("text", ""), str):
        stats.finish_reason = "error"
        raise BadAnswerError(f"remote engine at {url} sent a choice without text: {excerpt(payload)!r}")
    return choice
