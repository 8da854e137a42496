"""Checkpoint names and the memory figures `daima model list` prints for them."""

from __future__ import annotations

from typing import Any

import pytest

from daima.model.checkpoints import checkpoints, kv_bytes_per_token, memory_needs, parameters, shapes


def _built(shape: dict[str, Any]) -> Any:
    from transformers import AutoConfig, AutoModelForCausalLM

    fields = dict(shape)
    return AutoModelForCausalLM.from_config(AutoConfig.for_model(fields.pop("model_type", "qwen2"), **fields))


@pytest.mark.parametrize(
    "shape",
    [
        {
            "hidden_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "intermediate_size": 96,
            "vocab_size": 300,
            "tie_word_embeddings": True,
        },
        {
            "model_type": "qwen3_moe",
            "hidden_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 32,
            "moe_intermediate_size": 24,
            "num_experts": 6,
            "num_experts_per_tok": 2,
            "vocab_size": 300,
            "tie_word_embeddings": False,
        },
    ],
    ids=["qwen2", "qwen3_moe"],
)
def test_the_count_equals_the_parameters_of_the_built_model(shape: dict[str, Any]) -> None:
    model = _built(shape)
    total, active = parameters(shape)
    assert total == sum(p.numel() for p in model.parameters())
    if "num_experts" in shape:
        expert = 3 * shape["hidden_size"] * shape["moe_intermediate_size"]
        assert total - active == shape["num_hidden_layers"] * (6 - 2) * expert
    else:
        assert active == total


def test_the_real_shapes_have_their_published_sizes() -> None:
    """The model cards: 0.49B, 1.54B, 7.61B, and 30.5B with 3.3B activated."""
    published = {
        "qwen2.5-coder-0.5b": (0.49e9, None),
        "qwen2.5-coder-1.5b": (1.54e9, None),
        "qwen2.5-coder-7b": (7.61e9, None),
        "qwen3-coder-30b-a3b": (30.5e9, 3.3e9),
    }
    for name, (total, active) in published.items():
        counted, counted_active = parameters(shapes()[name])
        assert abs(counted - total) / total < 0.01, name
        if active:
            assert abs(counted_active - active) / active < 0.03, name


def test_memory_needs_of_the_moe_checkpoint() -> None:
    checkpoint = checkpoints()["qwen3-coder-30b-a3b"]
    needs = memory_needs(shapes()[checkpoint.shape], 131072)
    assert 60e9 < needs["weights_bytes"]["bfloat16"] < 62e9
    assert (
        needs["kv_bytes_per_token"] == 2 * 48 * 4 * 128 * 2 == kv_bytes_per_token(shapes()[checkpoint.shape])
    )
    assert needs["kv_bytes"] == 12 * 2**30  # 128K tokens of bf16 KV


def test_a_checkpoint_name_loads_its_hub_id(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Offline and with an empty hub cache the name fails with an error that names the hub id."""
    import huggingface_hub.constants

    from daima.model.api import EngineError
    from daima.model.loader import load_weights

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(EngineError, match="'qwen3-coder-30b-a3b' from Qwen/Qwen3-Coder-30B-A3B-Instruct"):
        load_weights("qwen3-coder-30b-a3b", "cpu", None)
