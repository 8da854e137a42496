"""Names for upstream checkpoints (`checkpoints.json`) and what each needs in memory, from its shape.

A user who types `qwen3-coder-30b-a3b` should learn before a 61 GB download whether the machine can
hold it. The figures are computed from the architecture (`shapes.json`), so they stay right when a
shape is added: parameters (all, and those one token uses in a mixture of experts), the bytes of the
weights in each form the engine can hold them, and the KV cache per token of context.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

# Bytes per weight in each form the local engine holds: int8 adds one fp32 scale per row, which is
# under 1% of a row of 1,000 or more weights and is left out of these round figures.
_BYTES_PER_WEIGHT = {"bfloat16": 2.0, "float32": 4.0, "int8": 1.0}


@dataclass(frozen=True, kw_only=True)
class Checkpoint:
    name: str
    hub: str  # Hugging Face model id
    shape: str  # key in shapes.json
    context: int  # positions the checkpoint was trained for
    description: str


def shapes() -> dict[str, dict[str, Any]]:
    """Architecture shapes by name (shapes.json, without its comment)."""
    raw = json.loads(resources.files("daima.model").joinpath("shapes.json").read_text("utf-8"))
    return {name: shape for name, shape in raw.items() if not name.startswith("_")}


def checkpoints() -> dict[str, Checkpoint]:
    """The checkpoint table (checkpoints.json)."""
    raw = json.loads(resources.files("daima.model").joinpath("checkpoints.json").read_text("utf-8"))
    return {name: Checkpoint(name=name, **fields) for name, fields in raw.items() if not name.startswith("_")}


def parameters(shape: dict[str, Any]) -> tuple[int, int]:
    """(all parameters, parameters one token uses): equal for a dense model.

    Counts embeddings, attention (q/k/v biases for Qwen2, q/k norms for Qwen3), MLPs or experts and
    their router, norms, and an untied output head.
    """
    hidden, layers, vocab = shape["hidden_size"], shape["num_hidden_layers"], shape["vocab_size"]
    heads, kv_heads = shape["num_attention_heads"], shape["num_key_value_heads"]
    head_dim = shape.get("head_dim") or hidden // heads
    model_type = shape.get("model_type", "qwen2")
    attention = hidden * head_dim * (2 * heads + 2 * kv_heads)  # q, k, v, o
    if model_type == "qwen2":
        attention += head_dim * (heads + 2 * kv_heads)  # q/k/v biases
    else:
        attention += 2 * head_dim  # per-head q/k norms
    norms = 2 * hidden
    if shape.get("num_experts"):
        expert = 3 * hidden * shape["moe_intermediate_size"]
        router = shape["num_experts"] * hidden
        mlp_all = shape["num_experts"] * expert + router
        mlp_active = shape["num_experts_per_tok"] * expert + router
    else:
        mlp_all = mlp_active = 3 * hidden * shape["intermediate_size"]
    embeddings = vocab * hidden * (1 if shape.get("tie_word_embeddings") else 2) + hidden  # + final norm
    per_layer = attention + norms
    return (
        embeddings + layers * (per_layer + mlp_all),
        embeddings + layers * (per_layer + mlp_active),
    )


def kv_bytes_per_token(shape: dict[str, Any], bytes_per_value: int = 2) -> int:
    """KV cache bytes one token of context takes across all layers (bf16 by default)."""
    head_dim = shape.get("head_dim") or shape["hidden_size"] // shape["num_attention_heads"]
    return 2 * shape["num_hidden_layers"] * shape["num_key_value_heads"] * head_dim * bytes_per_value


def memory_needs(shape: dict[str, Any], context_tokens: int) -> dict[str, Any]:
    """Parameters, weight bytes per form, and KV bytes for `context_tokens` (bf16) of a shape."""
    total, active = parameters(shape)
    return {
        "parameters": total,
        "active_parameters": active,
        "weights_bytes": {form: int(total * size) for form, size in _BYTES_PER_WEIGHT.items()},
        "kv_bytes_per_token": kv_bytes_per_token(shape),
        "kv_bytes": kv_bytes_per_token(shape) * context_tokens,
        "context_tokens": context_tokens,
    }


def describe(checkpoint: Checkpoint, context_tokens: int) -> str:
    """One line for `daima model list`: size, memory in bf16 and int8, KV at the given context."""
    needs = memory_needs(shapes()[checkpoint.shape], context_tokens)
    total, active = needs["parameters"], needs["active_parameters"]
    size = f"{total / 1e9:.1f}B" + (f" ({active / 1e9:.1f}B active)" if active != total else "")
    weights = needs["weights_bytes"]
    return (
        f"{size}; weights {weights['bfloat16'] / 1e9:.1f} GB bf16, "
        f"{weights['int8'] / 1e9:.1f} GB int8 (CPU); "
        f"KV {needs['kv_bytes'] / 2**30:.1f} GiB at {context_tokens:,} tokens"
    )
