"""Packed weights (model/packed.py) rebuild exactly what gguf's own dequantize gives, for every block type."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gguf import GGMLQuantizationType
from gguf.quants import dequantize

from daima.model.packed import BLOCK_BYTES, pack, unpack

# Where each type keeps its fp16 scale(s) in a block: random bytes elsewhere are valid codes and sub-scales.
FP16_FIELDS = {"Q8_0": [0], "Q5_0": [0], "Q6_K": [208], "Q4_K": [0, 2]}


def random_blocks(type_name: str, rows: int, blocks_per_row: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    size = BLOCK_BYTES[type_name]
    raw = rng.integers(0, 256, size=(rows * blocks_per_row, size), dtype=np.uint8)
    for at in FP16_FIELDS[type_name]:  # finite scales of the sizes real weights have
        raw[:, at : at + 2] = rng.uniform(-0.05, 0.05, size=(len(raw), 1)).astype(np.float16).view(np.uint8)
    return raw.reshape(rows, blocks_per_row * size)


@pytest.mark.parametrize("type_name", sorted(BLOCK_BYTES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rebuilt_bit_for_bit(type_name: str, seed: int) -> None:
    raw = random_blocks(type_name, rows=6, blocks_per_row=2, seed=seed)
    expected = dequantize(raw, GGMLQuantizationType[type_name])
    packed = pack(raw, type_name, expected.shape)
    assert packed is not None and packed.codes.dtype == np.int8 and packed.codes.shape == expected.shape
    offsets = None if packed.offsets is None else torch.from_numpy(packed.offsets)
    rebuilt = unpack(torch.from_numpy(packed.codes), torch.from_numpy(packed.scales), offsets)
    assert rebuilt.dtype == torch.float32
    assert np.array_equal(rebuilt.numpy(), expected)  # not close: equal, bit for bit


def test_other_types_are_not_packed() -> None:
    assert pack(np.zeros((2, 8), dtype=np.uint8), "F32", (2, 2)) is None
