"""Weight-only 4-bit groups (model.quantize "int4"): what the matrices hold, the kernel against the product
over the same dequantised weights, and the engine running with it on the tiny model (decoder layers in
4-bit groups, the output head int8)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from daima.config import ModelOptions
from daima.model.api import GenerationRequest
from daima.model.linear import INT4_GROUP, Int4Linear, Int8Linear, int4_kernel_available, quantise_groups4
from daima.model.loader import load_engine, pick_quantized

pytestmark = pytest.mark.skipif(not int4_kernel_available(), reason="this torch build has no CPU int4 kernel")


def _dequantised(codes: torch.Tensor, scales_and_zeros: torch.Tensor) -> torch.Tensor:
    """(code - 8) * scale + zero, group by group: the weight the kernel's layout stands for."""
    scale = scales_and_zeros[..., 0].T.repeat_interleave(INT4_GROUP, dim=1)  # [N, K]
    zero = scales_and_zeros[..., 1].T.repeat_interleave(INT4_GROUP, dim=1)
    return (codes.float() - 8) * scale + zero


def test_each_weight_is_within_half_a_step_of_its_group_code() -> None:
    torch.manual_seed(0)
    weight = torch.randn(48, 96) * torch.logspace(-3, 1, 48)[:, None]  # rows of very different sizes
    weight[5] = 0.0  # an all-zero row must not divide by zero
    weight[6] = 2.5  # nor a constant one
    codes, scales_and_zeros = quantise_groups4(lambda rows: weight[rows], weight.shape)
    assert codes.min() >= 0 and codes.max() <= 15 and scales_and_zeros.shape == (96 // INT4_GROUP, 48, 2)
    step = scales_and_zeros[..., 0].T.repeat_interleave(INT4_GROUP, dim=1)
    error = (_dequantised(codes, scales_and_zeros) - weight).abs()
    assert torch.all(error <= step / 2 + 1e-6 * weight.abs().amax(dim=1, keepdim=True))
    assert torch.all(_dequantised(codes, scales_and_zeros)[5] == 0)


def test_the_kernel_is_the_product_over_the_dequantised_groups() -> None:
    torch.manual_seed(1)
    weight, bias = torch.randn(1152, 896) * 0.05, torch.randn(1152)
    layer = Int4Linear.of_rows(lambda rows: weight[rows], weight.shape, bias)
    codes, scales_and_zeros = quantise_groups4(lambda rows: weight[rows], weight.shape)
    # The kernel's weights are the groups' values, as rounded to bf16 for it.
    expected = _dequantised(codes, scales_and_zeros.to(torch.bfloat16).float())
    assert torch.allclose(layer.dequantized(), expected, atol=2e-2 * expected.abs().max())
    for rows in (1, 7, 64):
        x = torch.randn(1, rows, 896)
        exact = x @ layer.dequantized().T + bias
        fast = layer(x)
        assert fast.shape == (1, rows, 1152)
        # bf16 activations and sums: 8 bits of mantissa.
        assert torch.allclose(fast, exact, atol=0.02 * exact.abs().mean() + 0.02), rows


def test_stacked_layers_are_the_layers_side_by_side() -> None:
    torch.manual_seed(2)
    parts = [torch.randn(n, 64) for n in (32, 16, 16)]
    biases = [torch.randn(n) for n in (32, 16, 16)]
    alone = [
        Int4Linear.of_rows(lambda rows, w=w: w[rows], w.shape, b) for w, b in zip(parts, biases, strict=True)
    ]
    fused = Int4Linear.stacked(
        [
            (*quantise_groups4(lambda rows, w=w: w[rows], w.shape), b)
            for w, b in zip(parts, biases, strict=True)
        ]
    )
    x = torch.randn(3, 64)
    assert torch.allclose(fused(x), torch.cat([layer(x) for layer in alone], dim=-1), atol=1e-3)


def test_the_engine_runs_with_int4_layers_and_an_int8_head(tmp_path: Path) -> None:
    from daima.model.testing import tiny_model_dir

    directory = tiny_model_dir(tmp_path / "tiny")
    engine = load_engine(ModelOptions(name=str(directory), device="cpu", quantize="int4"))
    lm = engine.lm
    assert engine.info.weights == "int4" and lm.int4
    assert all(isinstance(linear, Int4Linear) for linear in lm.linears[:-1])
    assert isinstance(lm.lm_head, Int8Linear)
    layer = lm.hf.model.layers[0]
    for module in (layer.self_attn.q_proj, layer.mlp.down_proj, lm.hf.lm_head):
        assert module.weight.numel() == 0  # only the quantised copies are kept
    text = engine.stream(GenerationRequest(prompt="def total(prices):\n", max_tokens=8)).text()
    assert text
    assert pick_quantized("int4", "cpu") == "int4"
