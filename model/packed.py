"""Weights kept as the integer codes and group scales of their GGUF quantisation, and rebuilt exactly.

The built-in models arrive as GGUF files whose matrices are quantised in blocks: each group of 16 or 32
weights is a small integer code times a per-group scale (minus a per-group offset for Q4_K). Written out
dequantised in fp32 the 0.5B model takes 2.5 GB; kept as int8 codes with fp32 group scales it takes a
third of that, and rebuilding fp32 at load is one multiply per weight. The rebuilt values are bit for bit
what gguf's own `dequantize` (and so transformers' GGUF loader) computes: the same float32 operations in
the same order. `fetch.convert_gguf` checks that for every tensor before it writes anything.

Block layouts (ggml's, as gguf.quants reads them): Q8_0 and Q5_0 have one fp16 scale per 32 weights;
Q6_K has 16 int8 sub-scales times one fp16 scale per 256 weights (groups of 16); Q4_K has 8 six-bit
scales and mins times fp16 scale and min per 256 weights (groups of 32).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

QK_K = 256
_UNPACKERS: dict[str, Any] = {}
BLOCK_BYTES = {"Q8_0": 34, "Q5_0": 22, "Q6_K": 210, "Q4_K": 144}


@dataclass(frozen=True)
class Packed:
    """One matrix as codes [rows, cols] (int8), scales [rows, cols // group] and optional offsets."""

    codes: np.ndarray
    scales: np.ndarray
    offsets: np.ndarray | None


def pack(blocks: np.ndarray, type_name: str, shape: tuple[int, ...]) -> Packed | None:
    """The codes and group scales of a quantised GGUF tensor's raw bytes (uint8, as `GGUFReader` gives
    them), shaped like the dequantised tensor; None for other types."""
    unpacker = _UNPACKERS.get(type_name)
    if unpacker is None:
        return None
    codes, scales, offsets = unpacker(blocks.reshape(-1, BLOCK_BYTES[type_name]))
    rows = int(np.prod(shape[:-1]))
    codes = codes.reshape(rows, shape[-1])
    scales = scales.reshape(rows, -1).astype(np.float32)
    return Packed(codes, scales, None if offsets is None else offsets.reshape(rows, -1).astype(np.float32))


def unpack(codes: Any, scales: Any, offsets: Any = None) -> Any:
    """fp32 weights from torch tensors of codes and group scales: scale * code (- offset), per group."""
    rows, cols = codes.shape
    groups = scales.shape[1]
    weights = codes.reshape(rows, groups, cols // groups).float()  # [R, G, group]
    weights.mul_(scales.unsqueeze(-1))  # in place: no second and third copy of the fp32 matrix
    if offsets is not None:
        weights.sub_(offsets.unsqueeze(-1))
    return weights.reshape(rows, cols)


@dataclass(frozen=True)
class PackedMatrix:
    """A loaded packed matrix (torch tensors), rebuilt a few rows at a time instead of whole.

    The int8 engine quantises its matrices straight from these rows (`linear.quantise_rows`), and looks
    embedding rows up here, so the 0.5B model is never held in fp32: a tenth of the memory, and the load
    skips writing and reading 2.5 GB. Every rebuilt row is bit for bit the row `unpack` gives."""

    codes: Any  # [R, C] int8
    scales: Any  # [R, G] fp32
    offsets: Any = None  # [R, G] fp32 or None

    @property
    def shape(self) -> Any:
        return self.codes.shape

    def rows(self, picked: Any) -> Any:
        """fp32 rows of the matrix: a slice, or a tensor of row indices (an embedding lookup)."""
        offsets = None if self.offsets is None else self.offsets[picked]
        return unpack(self.codes[picked], self.scales[picked], offsets)

    def rows_of(self, ids: Any) -> Any:
        """Embedding vectors of token ids [..]: [.., C] fp32."""
        return self.rows(ids.reshape(-1)).reshape(*ids.shape, -1)


def _unpacks(type_name: str) -> Any:
    def register(function: Any) -> Any:
        _UNPACKERS[type_name] = function
        return function

    return register


@_unpacks("Q8_0")
def _q8_0(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray, None]:
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # [B, 1]
    return blocks[:, 2:].copy().view(np.int8), d, None


@_unpacks("Q5_0")
def _q5_0(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray, None]:
    n = blocks.shape[0]
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # [B, 1]
    qh = blocks[:, 2:6].copy().view(np.uint32).reshape(n, 1) >> np.arange(32, dtype=np.uint32).reshape(1, 32)
    qs = blocks[:, 6:].reshape(n, 1, 16) >> np.array([0, 4], dtype=np.uint8).reshape(1, 2, 1)
    low = (qs & np.uint8(0x0F)).reshape(n, 32)
    high = (qh & np.uint32(1)).astype(np.uint8)
    return (low | (high << np.uint8(4))).astype(np.int8) - np.int8(16), d, None


@_unpacks("Q6_K")
def _q6_k(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray, None]:
    n = blocks.shape[0]
    ql, qh = blocks[:, : QK_K // 2], blocks[:, QK_K // 2 : QK_K // 2 + QK_K // 4]
    sub = blocks[:, QK_K // 2 + QK_K // 4 : -2].copy().view(np.int8).astype(np.float32)  # [B, 16]
    d = blocks[:, -2:].copy().view(np.float16).astype(np.float32)  # [B, 1]
    low = ql.reshape(n, -1, 1, 64) >> np.array([0, 4], dtype=np.uint8).reshape(1, 1, 2, 1)
    low = (low & np.uint8(0x0F)).reshape(n, -1, 32)
    high = qh.reshape(n, -1, 1, 32) >> np.array([0, 2, 4, 6], dtype=np.uint8).reshape(1, 1, 4, 1)
    high = (high & np.uint8(0x03)).reshape(n, -1, 32)
    codes = (low | (high << np.uint8(4))).astype(np.int8) - np.int8(32)
    return codes.reshape(n, QK_K), d * sub, None


@_unpacks("Q4_K")
def _q4_k(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = blocks.shape[0]
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # [B, 1]
    dmin = blocks[:, 2:4].copy().view(np.float16).astype(np.float32)
    packed = blocks[:, 4:16].reshape(n, 3, 4)  # six-bit scales and mins, ggml's get_scale_min_k4 layout
    first, second, rest = packed[:, 0], packed[:, 1], packed[:, 2]
    scale = np.concatenate([first & 0x3F, (rest & 0x0F) | ((first >> 2) & 0x30)], axis=-1)  # [B, 8]
    minimum = np.concatenate([second & 0x3F, (rest >> 4) | ((second >> 2) & 0x30)], axis=-1)
    qs = blocks[:, 16:].reshape(n, -1, 1, 32) >> np.array([0, 4], dtype=np.uint8).reshape(1, 1, 2, 1)
    codes = (qs & np.uint8(0x0F)).reshape(n, QK_K).astype(np.int8)
    return codes, d * scale.astype(np.float32), dmin * minimum.astype(np.float32)
