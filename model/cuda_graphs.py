"""CUDA graphs for the engine's small forward passes, captured once at load (the one place they live).

A keystroke costs a few small forwards (a short uncached tail, then one token at a time); on a GPU
they are bound by kernel launches, not by arithmetic. Each graph replays a whole forward of P tokens
(padded) over a KV window of a fixed bucket length, with the start position and the tokens in static
device tensors, so the host only copies a few integers and launches one graph. Graphs share one memory
pool (they never run concurrently: one worker thread owns the device). Warm-up captures every graph at
load, so no request meets a capture or compile stall.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import torch

from daima.model.transformer import DecoderLM

log = logging.getLogger(__name__)

# Token buckets: 1 = decode, 16 = speculative verification (every row's logits), larger = uncached
# prompt tails (only the last real row's logits).
ALL_ROWS_MAX = 16
TOKEN_BUCKETS = (1, 16, 64, 256, 768)


@dataclass
class _Graph:
    graph: torch.cuda.CUDAGraph
    tokens: torch.Tensor  # [P] long
    start: torch.Tensor  # [1] long
    rows: torch.Tensor  # [R] long
    logits: torch.Tensor  # [R, V] float, overwritten by each replay


class GraphRunner:
    """Replays captured forwards for (token bucket, KV bucket); `None` from run() means use eager."""

    def __init__(self, lm: DecoderLM, min_kv: int = 512) -> None:
        self.lm = lm
        kv, buckets = min_kv, []
        while kv < lm.max_seq_len:
            buckets.append(kv)
            kv *= 2
        self.kv_buckets = (*buckets, lm.max_seq_len)
        self.graphs: dict[tuple[int, int], _Graph] = {}
        self.pool = torch.cuda.graph_pool_handle()

    def capture_all(self) -> float:
        """Capture every graph (the warm-up); returns the seconds it took."""
        began = time.monotonic()
        # Eager prefills of typical sizes first, so the first long prompt does not pay for kernel loading
        # and cuBLAS heuristics (positions written here are garbage that later tokens overwrite).
        for size in (300, 1200, 4000, self.lm.max_seq_len - 64):
            tokens = torch.zeros(size, dtype=torch.long, device=self.lm.device)
            self.lm.forward(tokens, 0, size, last_only=True)
            self.lm.forward(tokens[: size // 2], size // 2, size, last_only=True)
        for kv in self.kv_buckets:
            for count in TOKEN_BUCKETS:
                if count <= kv:
                    self.graphs[(count, kv)] = self._capture(count, kv)
        torch.cuda.synchronize()
        log.info("captured %d CUDA graphs in %.1f s", len(self.graphs), time.monotonic() - began)
        return time.monotonic() - began

    def _capture(self, count: int, kv: int) -> _Graph:
        device = self.lm.device
        tokens = torch.zeros(count, dtype=torch.long, device=device)
        start = torch.zeros(1, dtype=torch.long, device=device)
        rows = torch.arange(count if count <= ALL_ROWS_MAX else 1, device=device)
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(2):  # let SDPA and cuBLAS pick and allocate their workspaces first
                self.lm.forward(tokens, start, kv, rows=rows)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, pool=self.pool):
            logits = self.lm.forward(tokens, start, kv, rows=rows)
        return _Graph(graph, tokens, start, rows, logits)

    def run(self, tokens: list[int], start: int, all_rows: bool) -> torch.Tensor | None:
        """Logits for `tokens` at `start`: [n, V] with all_rows, else [1, V]; None when no graph fits."""
        count = len(tokens)
        bucket = next((b for b in TOKEN_BUCKETS if b >= count and (b <= ALL_ROWS_MAX or not all_rows)), None)
        if bucket is None:
            return None
        kv = next((k for k in self.kv_buckets if k >= start + bucket), None)
        entry = self.graphs.get((bucket, kv)) if kv is not None else None
        if entry is None:
            return None
        entry.tokens[:count].copy_(torch.tensor(tokens, dtype=torch.long), non_blocking=True)
        entry.start.fill_(start)
        if bucket > ALL_ROWS_MAX:
            entry.rows.fill_(count - 1)
        entry.graph.replay()
        if bucket > ALL_ROWS_MAX:
            return entry.logits  # [1, V]: only the last real row was computed
        return entry.logits[:count] if all_rows else entry.logits[count - 1 : count]
