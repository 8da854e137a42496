"""From token ids to text deltas: token bytes, UTF-8-safe streaming, stop strings and forced prefixes.

Byte-level BPE tokens are byte strings; a token can end in the middle of a UTF-8 character (Qwen
splits `计` across two tokens). The stream decodes incrementally and holds back incomplete bytes, and
holds back a tail that could still become a stop string, so a delta never has to be taken back.
"""

from __future__ import annotations

import bisect
import codecs
import functools
from collections.abc import Sequence
from typing import Any

from daima.model.stops import StopScanner


def _byte_decoder() -> dict[str, int]:
    # GPT-2's byte <-> printable-unicode table, used by every byte-level BPE vocabulary.
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return {chr(code): byte for byte, code in zip(printable, codes, strict=True)}


class TokenBytes:
    """The bytes of every token id, and a sorted index for prefix queries (token healing)."""

    def __init__(self, tokenizer: Any) -> None:
        to_byte = {ord(ch): chr(byte) for ch, byte in _byte_decoder().items()}
        vocab: dict[str, int] = tokenizer.get_vocab()
        special = set(tokenizer.all_special_ids) | {
            i
            for i, t in getattr(tokenizer, "added_tokens_decoder", {}).items()
            if getattr(t, "special", False)
        }
        self.table: list[bytes] = [b""] * (max(vocab.values()) + 1)
        self.special: set[int] = special
        for piece, index in vocab.items():
            if index in special:
                self.table[index] = piece.encode("utf-8")  # special tokens are their literal text
                continue
            try:
                self.table[index] = piece.translate(to_byte).encode("latin-1")
            except UnicodeEncodeError:  # an added token written as plain text
                self.table[index] = piece.encode("utf-8")

    def prepare(self) -> None:
        """Build the prefix index now (a server does it after loading, off the first keystroke)."""
        _ = self._prefix_index

    @functools.cached_property
    def _prefix_index(self) -> tuple[list[bytes], list[int], dict[bytes, int]]:
        """The ordinary tokens' bytes sorted, their ids in that order, and id by bytes: built on the
        first token healing or `prepare()`, not at load (sorting 150k byte strings takes a third of a
        second, which a one-shot `daima complete` seldom needs)."""
        ordinary = sorted((b, i) for i, b in enumerate(self.table) if b and i not in self.special)
        return [b for b, _ in ordinary], [i for _, i in ordinary], {b: i for b, i in ordinary}

    @classmethod
    def of(cls, tokenizer: Any) -> TokenBytes:
        """The table for `tokenizer`, built once per vocabulary (it takes seconds on a busy CPU)."""
        vocab_key = (getattr(tokenizer, "name_or_path", ""), len(tokenizer))
        table = _TABLES.get(vocab_key)
        if table is None:
            table = _TABLES[vocab_key] = cls(tokenizer)
        return table

    def __getitem__(self, token: int) -> bytes:
        return self.table[token] if 0 <= token < len(self.table) else b""

    def allowed_for(self, remaining: bytes) -> list[int]:
        """Tokens that keep the output on the forced bytes: a prefix of `remaining`, or starting with it."""
        ordered, ids, by_bytes = self._prefix_index
        allowed = [by_bytes[remaining[:n]] for n in range(1, len(remaining)) if remaining[:n] in by_bytes]
        low = bisect.bisect_left(ordered, remaining)
        high = low
        while high < len(ordered) and ordered[high].startswith(remaining):
            high += 1
        allowed.extend(ids[low:high])
        return allowed


_TABLES: dict[tuple[str, int], TokenBytes] = {}


class DeltaStream:
    """Turns generated token bytes into text deltas that never split a character or a stop string."""

    def __init__(self, stop: Sequence[str] = ()) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stops = StopScanner(stop)

    @property
    def stopped(self) -> bool:
        return self._stops.stopped

    def push(self, data: bytes) -> str:
        """Add one token's bytes; returns the text that is now safe to release."""
        if self.stopped:
            return ""
        return self._stops.feed(self._decoder.decode(data))

    def finish(self) -> str:
        """Flush at the end of generation (an incomplete trailing character becomes U+FFFD)."""
        if self.stopped:
            return ""
        tail = self._stops.feed(self._decoder.decode(b"", final=True))
        return tail + self._stops.flush()
