"""The matrix products of the local engine: plain float weights, or weight-only int8 on a CPU.

A 0.5B model decodes one token by reading every weight once, so on a CPU decode speed is memory
bandwidth: fp32 weights are 2 GB a token. `Int8Linear` keeps each weight row as int8 with one fp32
scale per row (a quarter of the bytes) and multiplies with torch's own CPU kernel for it
(`torch._weight_int8pack_mm`, bf16 activations). A long prefill is compute-bound instead: on a CPU
that multiplies bf16 in hardware a pass of more than `BF16_ROWS` rows multiplies the codes as a bf16
matrix, and where the kernel's AVX2 code is slower than fp32 GEMM a pass of more than `KERNEL_ROWS` rows
multiplies by the dequantised fp32 rows, layer by layer; neither keeps the converted matrix. The weights
the model computes with are the dequantised int8 ones on every path: a reference forward over
`dequantized()` is what the int8 path is measured against (`tests/model/test_int8.py`,
`benchmarks/cpu_engines_bench.py`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

# Most rows a pass multiplies with the int8 kernel, by the kernel code torch picked for this CPU. One
# forward of the 0.5B model, 500 tokens in, on a 2-core AMD EPYC VM (kernel / dequantised fp32 GEMM):
# - AVX-512: 32 rows 0.14 / 0.56 s, 128 rows 0.47 / 1.08 s, 512 rows 1.96 / 3.49 s: the kernel always;
# - AVX2 (ATEN_CPU_CAPABILITY=avx2): 32 rows 0.41 / 0.72 s, 128 rows 1.15 / 1.37 s, 512 rows 4.73 /
#   3.72 s: from their slopes the two cross near 190 rows.
# Dequantising every matrix costs about half a second a pass on that VM, which a keystroke's 20-40-token
# prefill paid in full before. Elsewhere (not measured) only decode-sized passes use the kernel.
_KERNEL_ROWS = {"AVX512": 1 << 30, "AVX2": 192}
KERNEL_ROWS = _KERNEL_ROWS.get(torch.backends.cpu.get_cpu_capability(), 16)


def _bf16_in_hardware() -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware (AVX-512 BF16 or AMX)."""
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # a torch without these probes: assume not
        return False


# Passes of more rows than this multiply the codes as bf16 matrices, on a CPU that does that in hardware
# (None: never). The int8 codes are exact in bf16 and the activations are rounded to bf16 as the kernel
# rounds them, so only the summation order differs. One forward of the 0.5B model, 500 tokens in, on a
# 2-core VM with AVX-512 BF16 (kernel / bf16 product): 32 rows 146 / 139 ms, 48 rows 199 / 154 ms, 64
# rows 245 / 164 ms, 128 rows 432 / 254 ms.
BF16_ROWS: int | None = 32 if _bf16_in_hardware() else None
_CHUNK_ROWS = 8192  # output rows per kernel call: the 152k-row lm_head runs faster in pieces


class FloatLinear:
    """x W^T + b with the weights as they are (any dtype, any device)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None = None) -> None:
        self.weight, self.bias = weight, bias

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)


_QUANTISE_ROWS = 256  # rows quantised at a time: their fp32 temporaries stay in the CPU's cache


def quantise_rows(
    rows_of: Callable[[slice], torch.Tensor], shape: torch.Size
) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric per-row int8 of a float matrix [N, K] that `rows_of(slice)` hands out a block of rows at
    a time (fp32, left unchanged): codes [N, K] int8 and one fp32 scale per row, round to nearest.

    Block by block, so a matrix is never held in fp32 whole: the built-in models' weights come straight
    from their GGUF codes (`packed.PackedMatrix.rows`), and each row's result is the same as over the
    whole matrix at once.
    """
    count, width = shape
    codes = torch.empty(count, width, dtype=torch.int8)
    scales = torch.empty(count, dtype=torch.float32)
    for start in range(0, count, _QUANTISE_ROWS):
        rows = slice(start, start + _QUANTISE_ROWS)
        weight = rows_of(rows)
        scale = weight.abs().amax(dim=1).clamp(min=torch.finfo(torch.float32).tiny) / 127.0
        codes[rows] = torch.round(weight / scale[:, None]).clamp_(-127, 127)
        scales[rows] = scale
    return codes, scales


class Int8Linear:
    """x W^T + b with W held as int8 rows times one fp32 scale per row (symmetric, round to nearest)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None = None) -> None:
        weight = weight.detach()
        q, scale = quantise_rows(lambda rows: weight[rows].float(), weight.shape)
        self._hold(q, scale, bias)

    @classmethod
    def of_codes(cls, q: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor | None = None) -> Int8Linear:
        """A layer over codes [N, K] and row scales [N] that `quantise_rows` made."""
        layer = cls.__new__(cls)
        layer._hold(q, scale, bias)
        return layer

    @classmethod
    def stacked(cls, layers: list[Int8Linear]) -> Int8Linear:
        """One layer whose output is the given layers' outputs side by side (q/k/v or gate/up fused).
        Exactly the layer of the stacked float matrix: every row has its own scale."""
        biases = [layer.bias for layer in layers]
        bias = None if any(b is None for b in biases) else torch.cat(biases)  # type: ignore[arg-type]
        return cls.of_codes(
            torch.cat([layer.q for layer in layers]), torch.cat([layer.scale for layer in layers]), bias
        )

    def _hold(self, q: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor | None) -> None:
        self.q = q.contiguous()  # [N, K] int8
        self.scale = scale  # [N] fp32
        self.bias = None if bias is None else bias.detach().float()
        self._pieces = [
            (self.q[i : i + _CHUNK_ROWS], scale[i : i + _CHUNK_ROWS].to(torch.bfloat16).contiguous())
            for i in range(0, self.q.shape[0], _CHUNK_ROWS)
        ]
        self.reference = False  # True: every pass multiplies by the dequantised fp32 rows (for tests)

    @property
    def out_features(self) -> int:
        return self.q.shape[0]

    def dequantized(self, rows: slice | None = None) -> torch.Tensor:
        """The fp32 weights this layer computes with, [N, K] (or the given rows)."""
        q, scale = (self.q, self.scale) if rows is None else (self.q[rows], self.scale[rows])
        return q.float() * scale[:, None]

    def rows_of(self, ids: torch.Tensor) -> torch.Tensor:
        """Dequantised rows picked by index: the embedding lookup of a tied lm_head."""
        return self.q[ids].float() * self.scale[ids].unsqueeze(-1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1])
        rows = flat.shape[0]
        if self.reference:
            out = F.linear(flat.float(), self.dequantized())
        elif BF16_ROWS is not None and rows > BF16_ROWS:
            # x (q s)^T = (x q^T) s with q and x as bf16; the scale applied to the output in fp32.
            out = F.linear(flat.to(torch.bfloat16), self.q.to(torch.bfloat16)).float() * self.scale
        elif rows > KERNEL_ROWS:
            # x (q s)^T = (x q^T) s: one conversion of the codes, the scale applied to the output.
            out = F.linear(flat.float(), self.q.float()) * self.scale
        else:
            low = flat.to(torch.bfloat16)
            parts = [torch._weight_int8pack_mm(low, q, scale) for q, scale in self._pieces]
            out = (parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)).float()
        if self.bias is not None:
            out = out + self.bias
        return out.to(x.dtype).reshape(*x.shape[:-1], out.shape[-1])


INT4_GROUP = 32  # weights per group along K: a scale and an offset each, as the GGUF's 5-bit blocks
_INT4_INNER_K_TILES = 2


def quantise_groups4(
    rows_of: Callable[[slice], torch.Tensor], shape: torch.Size
) -> tuple[torch.Tensor, torch.Tensor]:
    """Asymmetric 4-bit groups of a float matrix [N, K] that `rows_of(slice)` hands out a block of rows at a
    time: codes [N, K] (0..15, int32) and scales_and_zeros [K // INT4_GROUP, N, 2] (fp32), the layout of
    torch's CPU int4 kernel, whose weight is (code - 8) * scale + zero; round to nearest."""
    count, width = shape
    if width % INT4_GROUP:
        raise ValueError(f"a row of {width} weights is not whole groups of {INT4_GROUP}")
    groups = width // INT4_GROUP
    codes = torch.empty(count, width, dtype=torch.int32)
    scales_and_zeros = torch.empty(groups, count, 2, dtype=torch.float32)
    for start in range(0, count, _QUANTISE_ROWS):
        rows = slice(start, start + _QUANTISE_ROWS)
        weight = rows_of(rows).reshape(-1, groups, INT4_GROUP)  # [R, G, g]
        low, high = weight.amin(dim=2), weight.amax(dim=2)  # [R, G]
        scale = ((high - low) / 15).clamp(min=torch.finfo(torch.float32).tiny)
        codes[rows] = (
            torch.round((weight - low[..., None]) / scale[..., None]).clamp_(0, 15).reshape(-1, width)
        )
        scales_and_zeros[:, rows, 0] = scale.T
        scales_and_zeros[:, rows, 1] = (low + 8 * scale).T
    return codes, scales_and_zeros


class Int4Linear:
    """x W^T + b with W in groups of INT4_GROUP weights along K, 4-bit codes with a scale and an offset a
    group, multiplied by torch's CPU int4 kernel (bf16 activations). A decode step reads half the bytes
    of int8's (benchmarks/int4_kernel_bench.py: the 0.5B model's matrices 2.1x faster on a 2-core AVX-512
    CPU), and the kernel is no slower than int8's at prefill sizes, so it runs every pass."""

    def __init__(
        self, codes: torch.Tensor, scales_and_zeros: torch.Tensor, bias: torch.Tensor | None
    ) -> None:
        self.out_features = codes.shape[0]
        self.in_features = codes.shape[1]
        self.packed = torch._convert_weight_to_int4pack_for_cpu(codes.contiguous(), _INT4_INNER_K_TILES)
        self.scales_and_zeros = scales_and_zeros.to(torch.bfloat16).contiguous()
        self.bias = None if bias is None else bias.detach().float()

    @classmethod
    def of_rows(
        cls, rows_of: Callable[[slice], torch.Tensor], shape: torch.Size, bias: torch.Tensor | None = None
    ) -> Int4Linear:
        return cls(*quantise_groups4(rows_of, shape), bias)

    @classmethod
    def stacked(cls, parts: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]]) -> Int4Linear:
        """One layer whose output is the given (codes, scales_and_zeros, bias) side by side (q/k/v or
        gate/up fused); each output row keeps its own groups."""
        biases = [bias for _, _, bias in parts]
        bias = None if any(b is None for b in biases) else torch.cat(biases)  # type: ignore[arg-type]
        codes = torch.cat([codes for codes, _, _ in parts])
        return cls(codes, torch.cat([sz for _, sz, _ in parts], dim=1), bias)

    def dequantized(self) -> torch.Tensor:
        """The weights this layer computes with, [N, K] fp32 (the kernel applied to the identity)."""
        eye = torch.eye(self.in_features, dtype=torch.bfloat16)
        kernel = torch._weight_int4pack_mm_for_cpu(eye, self.packed, INT4_GROUP, self.scales_and_zeros)
        return kernel.float().T.contiguous()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1]).to(torch.bfloat16)
        out = torch._weight_int4pack_mm_for_cpu(flat, self.packed, INT4_GROUP, self.scales_and_zeros).float()
        if self.bias is not None:
            out = out + self.bias
        return out.to(x.dtype).reshape(*x.shape[:-1], out.shape[-1])


def int4_kernel_available() -> bool:
    """Whether this torch build has the CPU weight-only int4 kernel."""
    if not hasattr(torch, "_weight_int4pack_mm_for_cpu"):
        return False
    try:
        layer = Int4Linear(torch.zeros(16, 64, dtype=torch.int32), torch.ones(2, 16, 2), None)
        layer(torch.ones(1, 64))
    except (RuntimeError, NotImplementedError, AttributeError):
        return False
    return True


def int8_kernel_available() -> bool:
    """Whether this torch build has the CPU weight-only int8 kernel."""
    if not hasattr(torch, "_weight_int8pack_mm"):
        return False
    try:
        q = torch.ones(4, 32, dtype=torch.int8)
        torch._weight_int8pack_mm(
            torch.ones(1, 32, dtype=torch.bfloat16), q, torch.ones(4, dtype=torch.bfloat16)
        )
    except (RuntimeError, NotImplementedError):
        return False
    return True
