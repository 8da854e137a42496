"""A decoder-only forward pass over a loaded Hugging Face model, with our own static KV cache.

We reuse the model's modules (embeddings, projections, norms, MLPs, rotary tables) and own the parts
that decide latency: one preallocated KV buffer for the single sequence the worker runs, an explicit
`prefill()` of any token range and a `decode_one()` whose every tensor has a fixed shape, so that it can
be captured in a CUDA graph (`cuda_graphs.py`). Batch size is always 1: the worker serves one editor.
Supported families: Qwen2/Qwen2.5, Llama, Mistral, Qwen3 (q/k norms).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from daima.model.api import EngineError
from daima.model.linear import FloatLinear, Int8Linear

SUPPORTED = ("qwen2", "llama", "mistral", "qwen3")


class Interrupted(Exception):
    """A forward pass stopped between layers because its request was cancelled."""


class DecoderLM:
    """Explicit prefill/decode over an HF causal LM's weights and a static KV cache [L, Hkv, T, D]."""

    def __init__(self, hf_model: Any, max_seq_len: int, int8: bool = False) -> None:
        """`int8`: weight-only int8 matrices (`linear.Int8Linear`) in place of the model's float weights,
        which are then freed: the HF modules can no longer run a forward of their own."""
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
        self.fused = [_fuse(layer, int8) for layer in self.layers]
        self.int8 = int8
        head = hf_model.lm_head
        self.lm_head: FloatLinear | Int8Linear = FloatLinear(head.weight, head.bias)
        self._embed_rows: Int8Linear | None = None
        if int8:
            self.lm_head = Int8Linear(head.weight, head.bias)
            embed = hf_model.model.embed_tokens
            if embed.weight.data_ptr() == head.weight.data_ptr():  # tied: look rows up in the int8 head
                self._embed_rows = self.lm_head
                _free(embed)
            _free(head)

    @property
    def linears(self) -> list[FloatLinear | Int8Linear]:
        """Every matrix product of a forward pass, in order (for tests and memory figures)."""
        return [m for f in self.fused for m in (f.qkv, f.o, f.gate_up, f.down)] + [self.lm_head]

    def _embed(self, tokens: torch.Tensor) -> torch.Tensor:
        if self._embed_rows is not None:
            return self._embed_rows.rows_of(tokens)
        return self.hf.model.embed_tokens(tokens)

    def _rope_tables(self) -> tuple[torch.Tensor, torch.Tensor]:
        # The model's own rotary module knows its rope type and scaling; ask it once for every position.
        dummy = torch.zeros(1, 1, self.head_dim, device=self.device, dtype=self.dtype)
        position_ids = torch.arange(self.max_seq_len, device=self.device)[None]  # [1, T]
        cos, sin = self.hf.model.rotary_emb(dummy, position_ids)  # [1, T, D]
        # Fold rotate-half's sign into sin, so rotation is a roll, two products and a sum.
        half = self.head_dim // 2
        sin = torch.cat((-sin[0, :, :half], sin[0, :, half:]), dim=-1)
        return cos[0].to(self.dtype), sin.to(self.dtype)

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
        interrupt: Callable[[], bool] | None = None,
    ) -> torch.Tensor:
        """Tokens [P] from position `start`, attending to keys 0..kv_len-1; logits [R, V].

        R is P, 1 with `last_only`, or len(rows) when a device index tensor `rows` picks the rows.

        `start` may be a device tensor [1] and `kv_len` a fixed bucket: then every shape is static and
        nothing reads the device from the host, which is what CUDA graph capture needs (cuda_graphs.py).
        `interrupt` is asked between layers; when it says yes the pass stops with Interrupted (the KV it
        wrote for these positions is then incomplete, and the caller must not count them as cached).
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
        hidden = self._embed(tokens[None])  # [1, P, H]
        # Eager passes see a new shape per prompt; cuDNN attention would build a plan for each (tens of
        # ms on the first keystroke of a new length), so they use the flash/efficient kernels. Captured
        # graphs have fixed shapes and keep the default choice.
        backends = _GRAPH_BACKENDS if isinstance(start, torch.Tensor) else _EAGER_BACKENDS
        with sdpa_kernel(backends):
            for index, layer in enumerate(self.layers):
                if interrupt is not None and interrupt():
                    raise Interrupted(f"stopped before layer {index} of {len(self.layers)}")
                hidden = self._layer(index, layer, hidden, cos, sin, mask, positions, kv_len)
        if last_only:
            hidden = hidden[:, -1:]
        elif rows is not None:
            hidden = hidden.index_select(1, rows)  # [1, R, H]
        return self.lm_head(self.hf.model.norm(hidden))[0].float()  # [P, V]

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
        fused = self.fused[index]
        attn = layer.self_attn
        count, heads, kv_heads, dim = hidden.shape[1], self.n_heads, self.n_kv_heads, self.head_dim
        x = F.rms_norm(hidden, hidden.shape[-1:], fused.norm1, fused.eps1)
        qkv = fused.qkv(x).view(1, count, heads + 2 * kv_heads, dim)  # [1, P, Hq+2Hkv, D]
        if hasattr(attn, "q_norm"):  # Qwen3 normalises q and k per head before rotation
            q = _rotate(attn.q_norm(qkv[:, :, :heads]), cos, sin)
            k = _rotate(attn.k_norm(qkv[:, :, heads : heads + kv_heads]), cos, sin)
        else:  # rotate q and k in one pass: fewer kernels per layer
            qk = _rotate(qkv[:, :, : heads + kv_heads], cos, sin)  # [1, P, Hq+Hkv, D]
            q, k = qk[:, :, :heads], qk[:, :, heads:]
        q = q.transpose(1, 2)  # [1, Hq, P, D]
        v = qkv[:, :, heads + kv_heads :]  # [1, P, Hkv, D]
        k_cache, v_cache = self.k_cache[index], self.v_cache[index]  # [Hkv, T, D]
        k_cache.index_copy_(1, positions, k[0].transpose(0, 1))  # device-side write: graph-capturable
        v_cache.index_copy_(1, positions, v[0].transpose(0, 1))
        keys, values = k_cache[None, :, :kv_len], v_cache[None, :, :kv_len]  # [1, Hkv, E, D]
        groups = heads // kv_heads
        if groups > 1 and count > ALL_ROWS:
            # Long prefills: expand the KV heads so SDPA's flash/cuDNN kernels apply without GQA support.
            keys, values = keys.repeat_interleave(groups, 1), values.repeat_interleave(groups, 1)
            groups = 1
        out = F.scaled_dot_product_attention(
            q,
            keys,
            values,
            attn_mask=None if mask is None else mask[None, None],
            is_causal=mask is None,
            enable_gqa=groups > 1,
        )  # [1, Hq, P, D]
        out = fused.o(out.transpose(1, 2).reshape(1, count, heads * dim))
        hidden = hidden + out
        x = F.rms_norm(hidden, hidden.shape[-1:], fused.norm2, fused.eps2)
        gate, up = fused.gate_up(x).chunk(2, dim=-1)  # [1, P, I] each
        return hidden + fused.down(layer.mlp.act_fn(gate) * up)


ALL_ROWS = 16  # up to this many tokens (decode, verification) attention keeps the grouped KV heads


@dataclass
class _Fused:
    qkv: FloatLinear | Int8Linear  # [(Hq + 2 Hkv) D, H]
    o: FloatLinear | Int8Linear
    gate_up: FloatLinear | Int8Linear  # [2 I, H]
    down: FloatLinear | Int8Linear
    norm1: torch.Tensor
    eps1: float
    norm2: torch.Tensor
    eps2: float


def _fuse(layer: Any, int8: bool = False) -> _Fused:
    """Concatenate q/k/v and gate/up weights into one matrix each (one GEMM instead of three / two).

    The HF modules' parameters become views of the fused tensors, so no weight is stored twice and the
    HF forward (used by the benchmark baselines) still sees the same values. With `int8` the fused
    matrices are quantised and every float weight of the layer's projections is freed.
    """
    attn, mlp = layer.self_attn, layer.mlp
    projections = (attn.q_proj, attn.k_proj, attn.v_proj)
    qkv = torch.cat([p.weight.data for p in projections])
    bias = None
    if all(p.bias is not None for p in projections):
        bias = torch.cat([p.bias.data for p in projections])
    gate_up = torch.cat([mlp.gate_proj.weight.data, mlp.up_proj.weight.data])
    offset = 0
    for proj in projections:
        rows = proj.weight.shape[0]
        proj.weight.data = qkv[offset : offset + rows]
        if bias is not None:
            proj.bias.data = bias[offset : offset + rows]
        offset += rows
    inter = mlp.gate_proj.weight.shape[0]
    mlp.gate_proj.weight.data, mlp.up_proj.weight.data = gate_up[:inter], gate_up[inter:]
    norm1, norm2 = layer.input_layernorm, layer.post_attention_layernorm
    linear = Int8Linear if int8 else FloatLinear
    o_proj, down_proj = attn.o_proj, mlp.down_proj
    fused = dict(
        qkv=linear(qkv, bias),
        o=linear(o_proj.weight, o_proj.bias),
        gate_up=linear(gate_up),
        down=linear(down_proj.weight, down_proj.bias),
    )
    if int8:
        for module in (*projections, o_proj, mlp.gate_proj, mlp.up_proj, down_proj):
            _free(module)
    return _Fused(
        **fused,
        norm1=norm1.weight,
        eps1=float(getattr(norm1, "variance_epsilon", getattr(norm1, "eps", 1e-6))),
        norm2=norm2.weight,
        eps2=float(getattr(norm2, "variance_epsilon", getattr(norm2, "eps", 1e-6))),
    )


def _free(module: Any) -> None:
    """Drop a module's float weight (its int8 copy is what the engine uses)."""
    module.weight.data = torch.empty(0, dtype=module.weight.dtype, device=module.weight.device)


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotary embedding (rotate-half form, as HF Llama/Qwen): x [1, P, H, D], cos/signed sin [P, D]."""
    return x * cos[:, None] + torch.roll(x, x.shape[-1] // 2, dims=-1) * sin[:, None]


_EAGER_BACKENDS = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]
_GRAPH_BACKENDS = [*_EAGER_BACKENDS, SDPBackend.CUDNN_ATTENTION]
