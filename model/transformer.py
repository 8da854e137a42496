"""A decoder-only forward pass over a loaded Hugging Face model, with our own static KV cache.

We reuse the model's modules (embeddings, projections, norms, MLPs, rotary tables) and own the parts
that decide latency: one preallocated KV buffer for the single sequence the worker runs, an explicit
`prefill()` of any token range and a `decode_one()` whose every tensor has a fixed shape, so that it can
be captured in a CUDA graph (`cuda_graphs.py`). Batch size is always 1: the worker serves one editor.
Supported families: Qwen2/Qwen2.5, Llama, Mistral, Qwen3 (q/k norms).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from daima.model.api import EngineError

SUPPORTED = ("qwen2", "llama", "mistral", "qwen3")


class DecoderLM:
    """Explicit prefill/decode over an HF causal LM's weights and a static KV cache [L, Hkv, T, D]."""

    def __init__(self, hf_model: Any, max_seq_len: int) -> None:
        config = hf_model.config
        if config.model_type not in SUPPORTED:
            known = ", ".join(SUPPORTED)
            raise EngineError(f"the local engine does not support '{config.model_type}' models ({known})")
        self.hf = hf_model
        self.config = config
        self.layers = list(hf_model.model.layers)
        self.n_layers = len(self.layers)
        self.n_heads = config.num_attention_heads
        self.n_kv_heads = getattr(config, "num_key_value_heads", None) or self.n_heads
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // self.n_heads
        self.vocab_size = config.vocab_size
        self.max_seq_len = max_seq_len
        param = next(hf_model.parameters())
        self.device, self.dtype = param.device, param.dtype
        shape = (self.n_layers, self.n_kv_heads, max_seq_len, self.head_dim)
        self.k_cache = torch.zeros(shape, device=self.device, dtype=self.dtype)  # [L, Hkv, T, D]
        self.v_cache = torch.zeros(shape, device=self.device, dtype=self.dtype)  # [L, Hkv, T, D]
        self.cos, self.sin = self._rope_tables()  # [T, D] each
        self.positions = torch.arange(max_seq_len, device=self.device)  # [T], for decode masks

    def _rope_tables(self) -> tuple[torch.Tensor, torch.Tensor]:
        # The model's own rotary module knows its rope type and scaling; ask it once for every position.
        dummy = torch.zeros(1, 1, self.head_dim, device=self.device, dtype=self.dtype)
        position_ids = torch.arange(self.max_seq_len, device=self.device)[None]  # [1, T]
        cos, sin = self.hf.model.rotary_emb(dummy, position_ids)  # [1, T, D]
        return cos[0].to(self.dtype), sin[0].to(self.dtype)

    @property
    def kv_bytes_per_token(self) -> int:
        """Bytes of K and V one token occupies across all layers."""
        return 2 * self.n_layers * self.n_kv_heads * self.head_dim * self.k_cache.element_size()

    @torch.inference_mode()
    def prefill(self, tokens: torch.Tensor, start: int) -> torch.Tensor:
        """Run tokens [S] at positions start..start+S-1 over the cached KV; returns the last logits [V]."""
        return self.forward(tokens, start, start + tokens.shape[0], last_only=True)[0]

    @torch.inference_mode()
    def decode_one(self, token: torch.Tensor, pos: int) -> torch.Tensor:
        """One token [1] at position `pos` (eager); returns logits [V]."""
        return self.forward(token, pos, pos + 1, last_only=True)[0]

    @torch.inference_mode()
    def forward(
        self,
        tokens: torch.Tensor,
        start: int | torch.Tensor,
        kv_len: int,
        last_only: bool = False,
        rows: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Tokens [P] from position `start`, attending to keys 0..kv_len-1; logits [R, V].

        R is P, 1 with `last_only`, or len(rows) when a device index tensor `rows` picks the rows.

        `start` may be a device tensor [1] and `kv_len` a fixed bucket: then every shape is static and
        nothing reads the device from the host, which is what CUDA graph capture needs (cuda_graphs.py).
        Rows past the real tokens (padding) write KV beyond the sequence; later tokens overwrite it
        before any query can attend to it, because attention is masked by position.
        """
        count = tokens.shape[0]
        if isinstance(start, int):
            positions = self.positions[start : start + count]  # [P]
            causal = start == 0 and kv_len == count
        else:
            positions = start + self.positions[:count]  # [P], on the device
            causal = False
        cos, sin = self.cos.index_select(0, positions), self.sin.index_select(0, positions)  # [P, D]
        # Query i (at position positions[i]) may see keys 0..positions[i]; a plain causal flag lets SDPA
        # use the flash kernel when the whole sequence is computed from position 0.
        mask = None if causal else self.positions[:kv_len][None, :] <= positions[:, None]  # [P, E]
        hidden = self.hf.model.embed_tokens(tokens[None])  # [1, P, H]
        for index, layer in enumerate(self.layers):
            hidden = self._layer(index, layer, hidden, cos, sin, mask, positions, kv_len)
        if last_only:
            hidden = hidden[:, -1:]
        elif rows is not None:
            hidden = hidden.index_select(1, rows)  # [1, R, H]
        return self.hf.lm_head(self.hf.model.norm(hidden))[0].float()  # [P, V]

    def _layer(
        self,
        index: int,
        layer: Any,
        hidden: torch.Tensor,  # [1, P, H]
        cos: torch.Tensor,  # [P, D]
        sin: torch.Tensor,
        mask: torch.Tensor | None,  # [P, E] bool; None = causal from position 0
        positions: torch.Tensor,  # [P]
        kv_len: int,
    ) -> torch.Tensor:
        attn = layer.self_attn
        x = layer.input_layernorm(hidden)
        count = x.shape[1]
        q = attn.q_proj(x).view(1, count, self.n_heads, self.head_dim).transpose(1, 2)  # [1, Hq, P, D]
        k = attn.k_proj(x).view(1, count, self.n_kv_heads, self.head_dim).transpose(1, 2)  # [1, Hkv, P, D]
        v = attn.v_proj(x).view(1, count, self.n_kv_heads, self.head_dim).transpose(1, 2)
        if hasattr(attn, "q_norm"):  # Qwen3 normalises q and k per head before rotation
            q, k = attn.q_norm(q), attn.k_norm(k)
        q, k = _rotate(q, cos, sin), _rotate(k, cos, sin)
        k_cache, v_cache = self.k_cache[index], self.v_cache[index]  # [Hkv, T, D]
        k_cache.index_copy_(1, positions, k[0])  # a device-side write: graph-capturable, no host sync
        v_cache.index_copy_(1, positions, v[0])
        out = F.scaled_dot_product_attention(
            q,
            k_cache[None, :, :kv_len],  # [1, Hkv, E, D]
            v_cache[None, :, :kv_len],
            attn_mask=None if mask is None else mask[None, None],
            is_causal=mask is None,
            enable_gqa=self.n_heads != self.n_kv_heads,
        )  # [1, Hq, P, D]
        out = attn.o_proj(out.transpose(1, 2).reshape(1, count, self.n_heads * self.head_dim))
        hidden = hidden + out
        return hidden + layer.mlp(layer.post_attention_layernorm(hidden))


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotary embedding (rotate-half form, as HF Llama/Qwen): x [1, H, S, D], cos/sin [S, D]."""
    half = x.shape[-1] // 2
    rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
    return x * cos + rotated * sin
