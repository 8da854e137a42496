"""A decoder-only forward pass over a loaded Hugging Face model, with our own static KV cache.

We reuse the model's modules (embeddings, projections, norms, MLPs, rotary tables) and own the parts
that decide latency: one preallocated KV buffer for the single sequence the worker runs, an explicit
`prefill()` of any token range and a `decode_one()` whose every tensor has a fixed shape, so that it can
be captured in a CUDA graph (`cuda_graphs.py`). Batch size is always 1: the worker serves one editor.
Supported families: Qwen2/Qwen2.5, Llama, Mistral, Qwen3 (q/k norms) and Qwen3-MoE (Qwen3-Coder-30B-A3B:
a router picks the top-k experts of each token, see `_Experts`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from daima.model.api import EngineError
from daima.model.linear import FloatLinear, Int4Linear, Int8Linear, quantise_groups4, quantise_rows

SUPPORTED = ("qwen2", "llama", "mistral", "qwen3", "qwen3_moe")


def context_limit(config: Any, default: int = 8192) -> int:
    """The longest sequence the model's positions cover: its trained length, stretched by rope scaling.

    Long-context checkpoints (Qwen2.5/Qwen3-Coder with YaRN) keep `max_position_embeddings` at the
    trained length and state the stretch as a rope scaling factor over the original length, so a
    128K context is `original_max_position_embeddings × factor`, not the 32K the config names.
    """
    trained = int(getattr(config, "max_position_embeddings", None) or default)
    rope = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {}
    factor = rope.get("factor") if isinstance(rope, dict) else None
    if not factor or rope.get("rope_type", rope.get("type")) in (None, "default"):
        return trained
    original = int(rope.get("original_max_position_embeddings") or trained)
    return max(trained, int(original * float(factor)))


class Interrupted(Exception):
    """A forward pass stopped between layers because its request was cancelled."""


class DecoderLM:
    """Explicit prefill/decode over an HF causal LM's weights and a static KV cache [L, Hkv, T, D]."""

    def __init__(
        self,
        hf_model: Any,
        max_seq_len: int,
        int8: bool = False,
        packed: Mapping[str, Any] | None = None,
        int4: bool = False,
    ) -> None:
        """`int8`: weight-only int8 matrices (`linear.Int8Linear`) in place of the model's float weights,
        which are then freed: the HF modules can no longer run a forward of their own. `int4` (with
        `int8`): the decoder layers' matrices in 4-bit groups (`linear.Int4Linear`), the output head and
        embedding int8. `packed`: the matrices the loader left as GGUF codes (`packed.PackedMatrix` by
        parameter name, int8 only); the model holds placeholders for them."""
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
        int8_of = _Int8Layers(hf_model, packed or {}, int4=int4) if int8 else None
        self.fused = [_fuse(layer, int8_of) for layer in self.layers]
        self.int8 = int8
        head, embed = hf_model.lm_head, hf_model.model.embed_tokens
        self.lm_head: FloatLinear | Int8Linear = FloatLinear(head.weight, head.bias)
        self.int4 = int4 and int8
        self._embed_rows: Any = None  # an object with rows_of(ids), in place of the HF embedding
        if int8_of is not None:
            tied = embed.weight.data_ptr() == head.weight.data_ptr()
            embed_codes = None if tied else int8_of.packed_of(embed)
            self.lm_head = int8_of.int8(head)
            if tied:  # look rows up in the int8 head
                self._embed_rows = self.lm_head
                _free(embed)
            elif embed_codes is not None:  # look rows up in the GGUF codes
                self._embed_rows = embed_codes
                _free(embed)

    @property
    def graph_safe(self) -> bool:
        """Whether a decode step has static shapes and no host reads (CUDA graph capture needs both);
        a mixture of experts reads which experts the router chose, so it runs eagerly."""
        return not any(isinstance(f.mlp, _Experts) for f in self.fused)

    @property
    def linears(self) -> list[Linear]:
        """Every matrix product of a forward pass, in order (for tests and memory figures)."""
        return [m for f in self.fused for m in (f.qkv, f.o, *f.mlp.linears)] + [self.lm_head]

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
        # One token after everything cached (decode) sees every key: no mask at all, which spares
        # the CPU's attention kernel a masked pass over the whole context each step.
        sees_all = isinstance(start, int) and count == 1 and kv_len == start + 1
        mask = (
            None if causal or sees_all else self.positions[:kv_len][None, :] <= positions[:, None]
        )  # [P, E]
        hidden = self._embed(tokens[None])  # [1, P, H]
        # Eager passes see a new shape per prompt; cuDNN attention would build a plan for each (tens of
        # ms on the first keystroke of a new length), so they use the flash/efficient kernels. Captured
        # graphs have fixed shapes and keep the default choice.
        backends = _GRAPH_BACKENDS if isinstance(start, torch.Tensor) else _EAGER_BACKENDS
        with sdpa_kernel(backends):
            for index, layer in enumerate(self.layers):
                if interrupt is not None and interrupt():
                    raise Interrupted(f"stopped before layer {index} of {len(self.layers)}")
                hidden = self._layer(index, layer, hidden, cos, sin, mask, causal, positions, kv_len)
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
        mask: torch.Tensor | None,  # [P, E] bool; None: causal from position 0, or every key
        causal: bool,
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
            is_causal=causal,
            enable_gqa=groups > 1,
        )  # [1, Hq, P, D]
        out = fused.o(out.transpose(1, 2).reshape(1, count, heads * dim))
        hidden = hidden + out
        x = F.rms_norm(hidden, hidden.shape[-1:], fused.norm2, fused.eps2)
        return hidden + fused.mlp(x)


ALL_ROWS = 16  # up to this many tokens (decode, verification) attention keeps the grouped KV heads


Linear: TypeAlias = FloatLinear | Int8Linear | Int4Linear
LinearFactory: TypeAlias = Callable[..., FloatLinear | Int8Linear]  # (weight, bias=None)


@dataclass
class _DenseMLP:
    """down(act(gate(x)) * up(x)) with gate and up in one matrix."""

    gate_up: Linear  # [2 I, H]
    down: Linear  # [H, I]
    act: Callable[[torch.Tensor], torch.Tensor]

    @property
    def linears(self) -> list[Linear]:
        return [self.gate_up, self.down]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        gate, up = self.gate_up(x).chunk(2, dim=-1)  # [.., I] each
        return self.down(self.act(gate) * up)


@dataclass
class _Experts:
    """A sparse mixture of experts (Qwen3-MoE): each token runs the MLPs of its router's top-k experts.

    Each expert's matrices are views of the model's stacked expert weights [E, 2I, H] / [E, H, I]
    (or their int8 codes), so picking an expert copies nothing: at batch 1 a decode step reads only
    the k experts it uses, which is what makes a 30B-parameter model with 3B active fast enough.
    Rows are grouped by expert, one product per expert that any row chose, summed in expert order
    with the router's weights: the same arithmetic as the model's own forward.
    """

    router: torch.Tensor  # [E, H], kept in float: top-k choices are sensitive to rounding
    top_k: int
    normalize: bool  # renormalise the k chosen probabilities to sum to 1 (norm_topk_prob)
    experts: list[_DenseMLP]

    @property
    def linears(self) -> list[Linear]:
        return [m for expert in self.experts for m in expert.linears]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1])  # [P, H]
        probs = F.softmax(F.linear(flat, self.router), dim=-1, dtype=torch.float)  # [P, E]
        weights, chosen = torch.topk(probs, self.top_k, dim=-1)  # [P, k] each
        if self.normalize:
            weights = weights / weights.sum(dim=-1, keepdim=True)
        weights = weights.to(x.dtype).flatten()  # [P k]
        picks = chosen.flatten()  # [P k]: expert of each (row, slot)
        order = torch.argsort(picks, stable=True)  # (row, slot) pairs grouped by expert
        counts = torch.bincount(picks, minlength=len(self.experts)).tolist()
        out = torch.zeros_like(flat)
        begin = 0
        for expert, count in enumerate(counts):
            if count == 0:
                continue
            pairs = order[begin : begin + count]
            begin += count
            rows = pairs // self.top_k
            y = self.experts[expert](flat.index_select(0, rows)) * weights.index_select(0, pairs)[:, None]
            out.index_add_(0, rows, y.to(out.dtype))
        return out.view_as(x)


@dataclass
class _Fused:
    qkv: Linear  # [(Hq + 2 Hkv) D, H]
    o: Linear
    mlp: _DenseMLP | _Experts
    norm1: torch.Tensor
    eps1: float
    norm2: torch.Tensor
    eps2: float


def _fuse(layer: Any, int8_of: _Int8Layers | None = None) -> _Fused:
    """Concatenate q/k/v and gate/up weights into one matrix each (one GEMM instead of three / two).

    In float, the HF modules' parameters become views of the fused tensors, so no weight is stored twice
    and the HF forward (used by the benchmark baselines) still sees the same values. With `int8_of` the
    fused matrices are int8 and every float weight of the layer's projections is freed.
    """
    attn, mlp = layer.self_attn, layer.mlp
    projections = (attn.q_proj, attn.k_proj, attn.v_proj)
    norm1, norm2 = layer.input_layernorm, layer.post_attention_layernorm
    block: _DenseMLP | _Experts
    if hasattr(mlp, "experts"):
        block = _experts(mlp, Int8Linear if int8_of is not None else FloatLinear)
    elif int8_of is not None:
        block = _DenseMLP(int8_of(mlp.gate_proj, mlp.up_proj), int8_of(mlp.down_proj), mlp.act_fn)
    else:
        down = FloatLinear(mlp.down_proj.weight, mlp.down_proj.bias)
        block = _DenseMLP(_float_stacked((mlp.gate_proj, mlp.up_proj)), down, mlp.act_fn)
    qkv: Linear
    o: Linear
    if int8_of is not None:
        qkv, o = int8_of(*projections), int8_of(attn.o_proj)
    else:
        qkv, o = _float_stacked(projections), FloatLinear(attn.o_proj.weight, attn.o_proj.bias)
    return _Fused(
        qkv=qkv,
        o=o,
        mlp=block,
        norm1=norm1.weight,
        eps1=float(getattr(norm1, "variance_epsilon", getattr(norm1, "eps", 1e-6))),
        norm2=norm2.weight,
        eps2=float(getattr(norm2, "variance_epsilon", getattr(norm2, "eps", 1e-6))),
    )


def _float_stacked(modules: tuple[Any, ...]) -> FloatLinear:
    """One float layer over the modules' weights stacked by rows; each module's weight (and bias)
    becomes a view of the stacked tensor, so nothing is stored twice."""
    weight = torch.cat([m.weight.data for m in modules])
    bias = torch.cat([m.bias.data for m in modules]) if all(m.bias is not None for m in modules) else None
    offset = 0
    for module in modules:
        rows = module.weight.shape[0]
        module.weight.data = weight[offset : offset + rows]
        if bias is not None:
            module.bias.data = bias[offset : offset + rows]
        offset += rows
    return FloatLinear(weight, bias)


class _Int8Layers:
    """Int8 layers for an HF model's linear modules, each module's float weight freed once it is read;
    with `int4`, a call gives 4-bit group layers (`int8` still gives int8: the output head).

    A matrix the loader left packed (`packed.PackedMatrix`, the built-in models) is quantised from its
    GGUF rows a block at a time; any other from the module's float weight. Both give the same codes."""

    def __init__(self, hf_model: Any, packed: Mapping[str, Any], int4: bool = False) -> None:
        self.packed = packed
        self.int4 = int4
        # Every name of each parameter: a tied lm_head is the embedding's matrix under a second name.
        self.names: dict[int, list[str]] = {}
        for name, parameter in hf_model.named_parameters(remove_duplicate=False):
            self.names.setdefault(id(parameter), []).append(name)

    def __call__(self, *modules: Any) -> Int8Linear | Int4Linear:
        """One layer over the modules' outputs side by side."""
        if not self.int4:
            return self.int8(*modules)
        return Int4Linear.stacked([(*quantise_groups4(*self._rows(m)), self._done(m)) for m in modules])

    def int8(self, *modules: Any) -> Int8Linear:
        """One int8 layer over the modules' outputs side by side."""
        layers = [self._one(module) for module in modules]
        return layers[0] if len(layers) == 1 else Int8Linear.stacked(layers)

    def _rows(self, module: Any) -> tuple[Callable[[slice], torch.Tensor], torch.Size]:
        """The module's weight, a block of fp32 rows at a time, and its shape."""
        matrix = self.packed_of(module)
        if matrix is not None:
            return matrix.rows, matrix.shape
        if 0 in module.weight.stride():  # a placeholder (fetch.load_packed_matrices) with no codes
            names = ", ".join(self.names.get(id(module.weight), ["?"]))
            raise EngineError(f"the model's packed weights have no codes for {names}")
        weight = module.weight.detach()
        return (lambda rows: weight[rows].float()), weight.shape

    def _done(self, module: Any) -> torch.Tensor | None:
        """The module's bias, its float weight freed (call after its rows were read)."""
        bias = module.bias
        _free(module)
        return bias

    def packed_of(self, module: Any) -> Any:
        """The packed matrix behind a module's weight, or None."""
        found = [self.packed[name] for name in self.names.get(id(module.weight), []) if name in self.packed]
        return found[0] if found else None

    def _one(self, module: Any) -> Int8Linear:
        # The codes are made before `_done` frees the weight they are read from.
        return Int8Linear.of_codes(*quantise_rows(*self._rows(module)), self._done(module))


def _experts(block: Any, linear: LinearFactory) -> _Experts:
    """The MoE block's router and one `_DenseMLP` per expert over views of the stacked weights."""
    stacked = block.experts  # gate_up_proj [E, 2I, H], down_proj [E, H, I]
    experts = [
        _DenseMLP(
            gate_up=linear(stacked.gate_up_proj[e]), down=linear(stacked.down_proj[e]), act=stacked.act_fn
        )
        for e in range(stacked.gate_up_proj.shape[0])
    ]
    router = block.gate
    moe = _Experts(
        router=router.weight, top_k=int(router.top_k), normalize=bool(router.norm_topk_prob), experts=experts
    )
    if linear is Int8Linear:
        for name in ("gate_up_proj", "down_proj"):
            weight = getattr(stacked, name)
            weight.data = torch.empty(0, dtype=weight.dtype, device=weight.device)
    return moe


def _free(module: Any) -> None:
    """Drop a module's float weight (its int8 copy is what the engine uses)."""
    module.weight.data = torch.empty(0, dtype=module.weight.dtype, device=module.weight.device)


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotary embedding (rotate-half form, as HF Llama/Qwen): x [1, P, H, D], cos/signed sin [P, D]."""
    return x * cos[:, None] + torch.roll(x, x.shape[-1] // 2, dims=-1) * sin[:, None]


_EAGER_BACKENDS = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]
_GRAPH_BACKENDS = [*_EAGER_BACKENDS, SDPBackend.CUDNN_ATTENTION]
