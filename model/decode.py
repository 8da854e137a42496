"""Per-request decode bookkeeping: stop tokens, stop strings, forced prefix, token and length limits."""

from __future__ import annotations

from typing import Any

from daima.model.api import GenerationRequest, GenerationStats
from daima.model.detok import DeltaStream


class DecodeState:
    """What one generation has produced so far and whether it must end."""

    def __init__(
        self, engine: Any, ids: list[int], request: GenerationRequest, stats: GenerationStats
    ) -> None:
        self.token_bytes = engine.token_bytes
        self.max_seq_len = engine.lm.max_seq_len
        self.stop_ids = frozenset(request.stop_token_ids) | frozenset(engine.eos_ids)
        self.stream = DeltaStream(request.stop)
        self.forced = request.forced_prefix.encode("utf-8")  # bytes still to reproduce
        self.max_tokens = max(1, request.max_tokens)
        # Counted as each token is chosen, so the figures hold even when the reader stops early.
        self.stats = stats
        self.finish_reason = ""

    def emit(self, token: int, pos: int) -> tuple[str, bool]:
        """Account for one chosen token; returns (text now safe to release, whether to stop)."""
        if token in self.stop_ids and not self.forced:
            self.finish_reason = "stop"
            return "", True
        data = self.token_bytes[token]
        if self.forced:
            # A healing token either consumes part of the forced bytes or covers all of them.
            self.forced = self.forced[len(data) :] if self.forced.startswith(data) else b""
        self.stats.token_ids.append(token)
        self.stats.generated_tokens = len(self.stats.token_ids)
        delta = self.stream.push(data)
        if self.stream.stopped:
            self.finish_reason = "stop"
        elif self.stats.generated_tokens >= self.max_tokens or pos + 1 >= self.max_seq_len:
            self.finish_reason = "length"
        return delta, bool(self.finish_reason)
