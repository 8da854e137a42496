"""The persistent KV prefix cache's index: chained block hashes over token ids (nano-vllm style).

Plain Python, no torch: a prompt is cut into blocks of `block_size` tokens; block i is keyed by the
hash of (key of block i-1, its tokens), so one dictionary lookup per block finds the longest cached
prefix, and the tokens stored in each block are compared on a hit (a hash collision never returns
someone else's KV). Blocks in use are reference-counted; unreferenced blocks are evicted least recently
used first when the capacity (in blocks, derived from the memory budget) is reached. The KV tensors
themselves are the `payload` the engine attaches to a block; this module never looks inside it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(eq=False)
class Block:
    """One cached block: its tokens, chain key, payload (the KV) and bookkeeping."""

    key: int
    parent: int | None
    tokens: tuple[int, ...]
    payload: Any = None
    refs: int = 0
    last_used: int = 0


@dataclass
class CacheStats:
    """Counters exposed to `daima bench` and the server's status."""

    hits: int = 0  # prompts that reused at least one cached token (resident KV or blocks)
    misses: int = 0  # prompts that reused nothing
    reused_tokens: int = 0
    computed_tokens: int = 0  # prompt tokens that had to be prefilled
    inserted_blocks: int = 0
    evicted_blocks: int = 0


@dataclass
class PrefixCache:
    """Index of cached KV blocks keyed by token-id prefixes, with ref counts and LRU eviction."""

    block_size: int
    capacity_blocks: int
    blocks: dict[int, Block] = field(default_factory=dict)
    stats: CacheStats = field(default_factory=CacheStats)
    _clock: itertools.count = field(default_factory=lambda: itertools.count(1))

    def _key(self, parent: int | None, tokens: tuple[int, ...]) -> int:
        return hash((parent, tokens))

    def match(self, tokens: Sequence[int], limit: int | None = None) -> list[Block]:
        """Longest cached chain of full blocks that prefixes `tokens` (at most `limit` tokens); acquired.

        The caller must `release()` the returned blocks when it has copied or used their payload.
        """
        limit = len(tokens) if limit is None else min(limit, len(tokens))
        found: list[Block] = []
        parent: int | None = None
        for start in range(0, limit - self.block_size + 1, self.block_size):
            chunk = tuple(tokens[start : start + self.block_size])
            block = self.blocks.get(self._key(parent, chunk))
            if block is None or block.tokens != chunk or block.parent != parent:
                break  # a miss, or a hash collision caught by comparing the tokens
            found.append(block)
            parent = block.key
        # Stamp leaf-first so that parents are always more recent than their children: LRU then
        # evicts leaves before the prefixes they hang from.
        for block in reversed(found):
            block.refs += 1
            block.last_used = next(self._clock)
        return found  # hit/miss counters are kept by the engine, which also reuses its resident KV

    def release(self, blocks: Sequence[Block]) -> None:
        """Drop the references taken by `match()` or `insert()`."""
        for block in blocks:
            block.refs = max(0, block.refs - 1)

    def insert(self, tokens: Sequence[int], make_payload: Any) -> int:
        """Cache every full block of `tokens` not cached yet; `make_payload(i)` builds block i's payload.

        Returns how many blocks were added. Stops early (keeping what fits) when nothing is evictable.
        """
        parent: int | None = None
        added = 0
        chain: list[Block] = []
        try:
            for index in range(len(tokens) // self.block_size):
                chunk = tuple(tokens[index * self.block_size : (index + 1) * self.block_size])
                key = self._key(parent, chunk)
                block = self.blocks.get(key)
                if block is not None and (block.tokens != chunk or block.parent != parent):
                    break  # a colliding key belongs to another prefix; leave it alone
                if block is None:
                    if not self._make_room():
                        break
                    block = Block(key=key, parent=parent, tokens=chunk, payload=make_payload(index))
                    self.blocks[key] = block
                    added += 1
                block.refs += 1  # pin the chain while inserting so eviction cannot take a parent
                chain.append(block)
                parent = key
        finally:
            for block in reversed(chain):
                block.refs -= 1
                block.last_used = next(self._clock)
        self.stats.inserted_blocks += added
        return added

    def _make_room(self) -> bool:
        if len(self.blocks) < self.capacity_blocks:
            return True
        return self.evict(len(self.blocks) - self.capacity_blocks + 1) > 0

    def evict(self, count: int) -> int:
        """Evict up to `count` unreferenced blocks, least recently used first; returns how many."""
        candidates = sorted((b for b in self.blocks.values() if b.refs == 0), key=lambda b: b.last_used)
        evicted = 0
        for block in candidates[:count]:
            del self.blocks[block.key]
            block.payload = None
            evicted += 1
        self.stats.evicted_blocks += evicted
        return evicted

    def clear(self) -> int:
        """Evict every unreferenced block (e.g. after running out of device memory)."""
        return self.evict(len(self.blocks))

    def __len__(self) -> int:
        return len(self.blocks)
