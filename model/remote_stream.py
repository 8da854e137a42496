"""Reading a `/v1/completions` event stream: SSE payloads to choices, with usage and finish reasons.

Kept apart from the engine so the wire format (what vLLM, SGLang and llama.cpp actually send, and what
they send when something is wrong) is in one place.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from typing import Any

from daima.model.api import EngineError, GenerationRequest, GenerationStats
from daima.model.remote_http import BadAnswerError, Exchange, Watcher, excerpt
from daima.model.sse import SseParser
from daima.model.stops import StopScanner

LOGIT_BIAS_LIMIT = 100.0  # the OpenAI API range; vLLM rejects values outside it


def completion_body(
    request: GenerationRequest,
    prompt: str | list[int],
    model: str,
    extra: dict[str, Any],
    stop_ids: bool,  # the server family accepts `stop_token_ids`
) -> dict[str, Any]:
    """The JSON body of a streaming `/v1/completions` request (`extra`: the server family's fields)."""
    body: dict[str, Any] = {
        "model": model or None,
        "prompt": prompt,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "stream": True,
        "stream_options": {"include_usage": True},
        **extra,
    }
    if request.stop:
        body["stop"] = list(request.stop)
    if request.seed is not None:
        body["seed"] = request.seed
    if request.logit_bias:
        body["logit_bias"] = {
            str(token): max(-LOGIT_BIAS_LIMIT, min(LOGIT_BIAS_LIMIT, float(bias)))
            for token, bias in request.logit_bias.items()
        }
    if request.stop_token_ids and stop_ids:
        body["stop_token_ids"] = list(request.stop_token_ids)
    return {key: value for key, value in body.items() if value is not None}


def text_deltas(
    events: Iterable[dict[str, Any]],
    request: GenerationRequest,
    stats: GenerationStats,
    start: float,
    counts: dict[str, int],
) -> Iterator[str]:
    """Choices to text deltas: the forced prefix first, stop strings applied, TTFT and events counted."""
    scanner = StopScanner(request.stop)
    forced = request.forced_prefix  # yielded with the first answer, never before the server responded
    for event in events:
        text = event.get("text", "")
        if text:
            counts["events"] += 1
            if stats.time_to_first_token_s is None:
                stats.time_to_first_token_s = time.monotonic() - start
        out = scanner.feed(forced + text)
        forced = ""
        if out:
            yield out
        if scanner.stopped:
            stats.finish_reason = "stop"
            return
    if stats.finish_reason in ("stop", "length"):  # not after a cancel or the deadline
        out = scanner.feed(forced) + scanner.flush()
        if out:
            yield out


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
