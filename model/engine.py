"""The local engine: tokenizer, KV prefix reuse, prefill of the uncached tail, and the decode loop.

`stream()` may be called from any thread and returns at once: the generation runs on the engine's one
worker thread (`worker.py`), which owns the device. Reuse comes from two places, checked in order of
cost: the sequence still resident in the static KV buffer (the previous keystroke's prompt, so typing
costs only the changed tail), and the block prefix cache (other documents, earlier prompts).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import torch

from daima.model.api import (
    CancelToken,
    EngineError,
    EngineInfo,
    GenerationRequest,
    GenerationStats,
    PrefillMeter,
    TextStream,
    error_line,
)
from daima.model.detok import TokenBytes
from daima.model.linear import KERNEL_ROWS
from daima.model.memory import out_of_memory, release_freed_memory
from daima.model.prefix_cache import PrefixCache
from daima.model.sampling import PromptLookup, bias_vector, restrict, sample
from daima.model.transformer import DecoderLM, Interrupted, context_limit
from daima.model.worker import EngineWorker

log = logging.getLogger(__name__)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token lists."""
    size = min(len(a), len(b))
    for index in range(size):
        if a[index] != b[index]:
            return index
    return size


class LocalEngine:
    """An `Engine` over a local model: one worker thread, a static KV buffer and a prefix cache."""

    def __init__(
        self,
        hf_model: Any,
        tokenizer: Any,
        *,
        name: str,
        max_seq_len: int = 8192,
        cache_budget_mb: int = 2048,
        block_size: int = 16,
        use_graphs: bool = False,
        speculative: bool = False,
        int8: bool = False,
        packed: Mapping[str, Any] | None = None,
        worker: EngineWorker | None = None,
        int4: bool = False,
    ) -> None:
        self.tokenizer = tokenizer
        self.lm = DecoderLM(hf_model, max_seq_len, int8=int8 or int4, packed=packed, int4=int4)
        self.token_bytes = TokenBytes.of(tokenizer)
        self.speculative = speculative
        block_bytes = self.lm.kv_bytes_per_token * block_size
        self.cache = PrefixCache(block_size, max(1, cache_budget_mb * 2**20 // block_bytes))
        self._resident: list[int] = []  # tokens whose KV is valid at positions 0..len-1 of the buffer
        self.prefill_meter = PrefillMeter()  # read by the prompt builder to size the suffix
        # Tokens per head chunk of a prefill (see `_prefill`); a newer keystroke waits for at most one
        # chunk, whose KV is then cached. Where the int8 kernel could take whole chunks (model/linear.py)
        # a pass has little fixed cost (0.5B, 2-core VM, kernel only: 271 tok/s in passes of 128, 261 in
        # passes of 512; on bf16 hardware a 128-token pass goes to the bf16 product, 0.25 s), so chunks
        # of 128: a quarter to half a second of waiting. Otherwise a CPU pass has a large
        # fixed cost (an int8 pass that dequantises every matrix, or fp32 GEMM): 1,500 tokens of a real
        # file prefilled cold, fp32 at 191 tok/s in chunks of 256, 209 in chunks of 512, 186 in chunks
        # of 1,024; 512 takes most of the gain. On a GPU a whole prompt takes milliseconds: one pass,
        # no separate tail.
        on_gpu = self.lm.device.type == "cuda"
        small_chunks = int8 and KERNEL_ROWS >= SMALL_CHUNK
        self.prefill_chunk = 4096 if on_gpu else SMALL_CHUNK if small_chunks else 512
        self.prefill_tail = 0 if on_gpu else PREFILL_TAIL
        # How long one decode step takes, a moving average: decoding stops before a step that would end
        # after the deadline (on a busy machine one step is 100-150 ms, an answer that much late).
        self.step_s = 0.0
        self._step_began: float | None = None  # when the step being timed began (None: not yet)
        self.draft_proposed = 0  # prompt-lookup counters, for `daima bench`
        self.draft_accepted = 0
        config = hf_model.config
        self.eos_ids = _eos_ids(hf_model, tokenizer)
        specials = frozenset(str(t) for t in tokenizer.all_special_tokens) | frozenset(
            str(t) for t in getattr(tokenizer, "added_tokens_encoder", {})
        )
        self._info = EngineInfo(
            name=name,
            model_type=config.model_type,
            context_length=min(max_seq_len, context_limit(config, max_seq_len)),
            special_tokens=specials,
            device=str(self.lm.device),
            weights="int4"
            if self.lm.int4
            else "int8"
            if self.lm.int8
            else str(self.lm.dtype).removeprefix("torch."),
        )
        self.graphs: Any = None
        self.warmup_s = 0.0
        # The worker that will run every generation: the one this engine is being built on, when given
        # (worker.py: one thread should run all of the model's work).
        self.worker = worker or EngineWorker()
        if use_graphs and self.lm.device.type == "cuda" and not self.lm.graph_safe:
            log.info("%s routes tokens to experts on the host: decoding without CUDA graphs", name)
        elif use_graphs and self.lm.device.type == "cuda":
            from daima.model.cuda_graphs import GraphRunner

            self.graphs = GraphRunner(self.lm)
            self.warmup_s = float(self.worker.call(self.graphs.capture_all))

    @property
    def info(self) -> EngineInfo:
        return self._info

    def warm(self) -> None:
        """One-time costs a long-running server pays after loading rather than on a keystroke: the
        token-healing index, and the prefill speed (so the first request already knows whether its
        prompt can be prefilled in time)."""
        self.token_bytes.prepare()
        self.worker.call(self._measure_prefill)

    def _measure_prefill(self) -> None:
        """Time passes of one prefill chunk into the meter (the first pays one-time costs: the second
        is counted). The KV they write holds no prompt, so nothing is resident after them."""
        ids = [self.eos_ids[0] if self.eos_ids else 0] * self.prefill_chunk
        for counted in (False, True):
            began = time.monotonic()
            logits = self._run(ids, 0, all_rows=False)
            if logits.device.type == "cuda":
                torch.cuda.synchronize(logits.device)
            if counted:
                self.prefill_meter.record(len(ids), time.monotonic() - began)
        self._resident = []

    def tokenize(self, text: str) -> list[int]:
        """Token ids of `text`; special-token text such as <|fim_prefix|> becomes the special token."""
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def detokenize(self, ids: Sequence[int]) -> str:
        """Text of `ids` (bytes joined first, so split characters come out whole)."""
        return b"".join(self.token_bytes[i] for i in ids).decode("utf-8", errors="replace")

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> TextStream:
        """Queue a generation on the worker; the returned stream yields text deltas as they come."""
        stats = GenerationStats()
        deltas = self.worker.submit(lambda cancelled: self._generate(request, cancelled, stats), cancel)
        return TextStream(deltas=deltas, stats=stats)

    def cached_tokens(self, prompt: str | Sequence[int]) -> int:
        """How many leading tokens of `prompt` a generation would not compute (in the KV buffer or the
        prefix cache). Runs on the worker, after any generation queued before it."""

        def count() -> int:
            ids = self.tokenize(prompt) if isinstance(prompt, str) else list(prompt)
            blocks = self.cache.match(ids)
            self.cache.release(blocks)
            return max(common_prefix(self._resident, ids), len(blocks) * self.cache.block_size)

        return int(self.worker.call(count))

    def clear_cache(self) -> None:
        """Forget every cached prefix (runs on the worker)."""

        def clear() -> None:
            self.cache.clear()
            self._resident = []

        self.worker.call(clear)

    def close(self) -> None:
        """Stop the worker thread."""
        self.worker.close()

    # --- everything below runs on the worker thread ---

    def _generate(
        self, request: GenerationRequest, cancelled: Callable[[], bool], stats: GenerationStats
    ) -> Iterator[str]:
        began = time.monotonic()
        ids: list[int] = []
        try:
            # Not even one step fits before the deadline: a generation started now would answer late.
            if cancelled() or request.expired(ahead_s=self.step_s):
                stats.finish_reason = "cancelled" if cancelled() else "deadline"
                return
            ids = self._prompt_ids(request)
            stats.prompt_tokens = len(ids)

            def stop() -> bool:
                return cancelled() or request.expired()

            try:
                logits = self._device(self._prefill, ids, stats, stop, request.background, request.expired)
            except Interrupted:  # a newer keystroke or the deadline: a long prefill must not make it wait
                stats.finish_reason = "cancelled" if cancelled() else "deadline"
                return
            yield from self._decode(ids, logits, request, cancelled, stats, began)
        except EngineError:
            stats.finish_reason = "error"
            raise
        finally:
            stats.total_s = time.monotonic() - began
            self._remember(ids)

    def _prompt_ids(self, request: GenerationRequest) -> list[int]:
        ids = self.tokenize(request.prompt) if isinstance(request.prompt, str) else list(request.prompt)
        if not ids:
            ids = [self.eos_ids[0] if self.eos_ids else 0]  # an empty prompt still needs one position
        room = self.lm.max_seq_len - max(1, request.max_tokens) - 1
        if len(ids) > room:
            # The prompt builder keeps to its budget; if it did not, keep the text nearest the cursor.
            log.warning(
                "prompt of %d tokens exceeds the %d-token context; keeping the last %d", len(ids), room, room
            )
            ids = ids[len(ids) - room :]
        return ids

    def _prefill(
        self,
        ids: list[int],
        stats: GenerationStats,
        stop: Callable[[], bool],
        background: bool = False,
        expired: Callable[[], bool] | None = None,
    ) -> torch.Tensor:
        """Logits after `ids`, computing only what neither the KV buffer nor the prefix cache holds;
        raises Interrupted when `stop` says so (between chunks, or between layers inside one).
        `background`: every chunk may stop between layers (work ahead of a request gives way at once;
        the chunk it was in is lost, the ones before stay cached). `expired`: the request's deadline has
        passed; a head chunk stops between layers then too (losing that chunk), because on a loaded CPU
        one chunk can take longer than the whole deadline, and an answer that late helps nobody."""
        limit = len(ids) - 1  # at least one token is computed: its logits start the generation
        reuse = min(common_prefix(self._resident, ids), limit)
        blocks = self.cache.match(ids, limit)
        try:
            size = self.cache.block_size
            if len(blocks) * size > reuse:
                first = reuse // size
                cached_end = len(blocks) * size
                self.lm.k_cache[:, :, first * size : cached_end] = torch.cat(
                    [b.payload[0] for b in blocks[first:]], dim=2
                )
                self.lm.v_cache[:, :, first * size : cached_end] = torch.cat(
                    [b.payload[1] for b in blocks[first:]], dim=2
                )
                reuse = cached_end
        finally:
            self.cache.release(blocks)
        self._resident = ids[:reuse]
        stats.cached_tokens = reuse
        self.cache.stats.reused_tokens += reuse
        self.cache.stats.computed_tokens += len(ids) - reuse
        if reuse:
            self.cache.stats.hits += 1
        else:
            self.cache.stats.misses += 1
        # The rest runs as head chunks, then the tail. The tail (the last PREFILL_TAIL tokens: the
        # cursor's line and the suffix, what the next keystroke changes) may stop between layers, as
        # nothing of it would be reused. A head chunk runs whole unless the deadline passes inside it,
        # and a newer keystroke stops the prefill only between chunks: ids[:done] are then valid in the KV
        # buffer (`_resident`), `_remember` caches them, and the next request, whose prompt shares that
        # head, continues from there. On a CPU a cold 1.5k-token prompt takes longer than the deadline; with
        # every keystroke starting it over, a user who keeps typing would never see a suggestion.
        began, done = time.monotonic(), reuse
        finished = began  # when the last whole piece ended: the meter counts whole pieces only
        tail = max(reuse, len(ids) - self.prefill_tail)
        try:
            while True:
                end = min(tail, done + self.prefill_chunk) if done < tail else len(ids)
                last = end == len(ids)
                interrupt = stop if last or background else expired
                logits = self._run(ids[done:end], done, all_rows=False, interrupt=interrupt)[-1]
                if logits.device.type == "cuda":
                    torch.cuda.synchronize(logits.device)  # the pass is queued, not done
                done, finished = end, time.monotonic()
                self._resident = ids[:done]
                if last:
                    return logits
                if stop():
                    raise Interrupted(f"stopped after {done - reuse} of {len(ids) - reuse} prompt tokens")
        finally:
            self.prefill_meter.record(done - reuse, finished - began)

    def _run(
        self, tokens: list[int], start: int, all_rows: bool, interrupt: Callable[[], bool] | None = None
    ) -> torch.Tensor:
        """Logits [n or 1, V] for `tokens` at `start`, through a CUDA graph when one fits (a graph runs
        whole; an eager pass stops between layers when `interrupt` says so)."""
        if self.graphs is not None:
            out = self.graphs.run(tokens, start, all_rows)
            if out is not None:
                return out
        batch = torch.tensor(tokens, dtype=torch.long, device=self.lm.device)
        return self.lm.forward(batch, start, start + len(tokens), last_only=not all_rows, interrupt=interrupt)

    def _device(self, work: Callable[..., torch.Tensor], *args: Any) -> torch.Tensor:
        """Run device work; on out-of-memory evict the prefix cache and retry once, then explain."""
        try:
            return work(*args)
        except Exception as error:
            if not out_of_memory(error):
                raise
            self._free_memory()
            try:
                return work(*args)
            except Exception as again:
                if not out_of_memory(again):
                    raise
                raise EngineError(
                    f"the model ran out of memory on {self.lm.device} even after the prefix cache was "
                    "emptied; close other programs, or use a smaller model, a shorter prompt budget or a "
                    f"smaller model.cacheBudgetMb ({error_line(again)})"
                ) from again

    def _free_memory(self) -> None:
        """Out of memory: empty the prefix cache, and let it hold half of what it held from now on, so
        that it does not fill up to the same failure again (a laptop with other programs open)."""
        held = len(self.cache)
        self.cache.capacity_blocks = max(_MIN_CACHE_BLOCKS, min(self.cache.capacity_blocks, held // 2))
        log.warning(
            "out of memory: emptied the prefix cache (%d blocks) and lowered its capacity to %d blocks",
            held, self.cache.capacity_blocks,
        )  # fmt: skip
        self.cache.clear()
        release_freed_memory()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def _remember(self, ids: list[int]) -> None:
        valid = common_prefix(self._resident, ids)
        if valid < self.cache.block_size:
            return
        size = self.cache.block_size
        k_cache, v_cache = self.lm.k_cache, self.lm.v_cache

        def payload(index: int) -> tuple[torch.Tensor, torch.Tensor]:
            window = slice(index * size, (index + 1) * size)
            return k_cache[:, :, window].clone(), v_cache[:, :, window].clone()  # [L, Hkv, B, D] each

        try:
            self.cache.insert(ids[:valid], payload)
        except Exception as error:
            if not out_of_memory(error):
                raise
            self._free_memory()

    def _decode(
        self,
        ids: list[int],
        logits: torch.Tensor,
        request: GenerationRequest,
        cancelled: Callable[[], bool],
        stats: GenerationStats,
        began: float,
    ) -> Iterator[str]:
        from daima.model.decode import DecodeState

        state = DecodeState(self, ids, request, stats)
        bias = bias_vector(request.logit_bias, logits.shape[-1], logits.device)
        generator = None
        if request.temperature > 0:
            generator = torch.Generator(device=logits.device)
            generator.manual_seed(
                request.seed if request.seed is not None else int(time.time_ns()) & 0xFFFFFFFF
            )
        lookup = PromptLookup(ids) if self.speculative and request.temperature <= 0 else None
        pos = len(ids)
        self._step_began = None  # the first token came from the prefill: the clock starts at it
        while True:
            if bias is not None and not state.forced:  # the forced text is fixed: bias only what follows
                logits = logits + bias
            if state.forced:
                logits = restrict(
                    logits, self.token_bytes.allowed_for(state.forced) or range(logits.shape[-1])
                )
            token = int(sample(logits, request.temperature, request.top_p, generator).item())
            if stats.time_to_first_token_s is None:
                stats.time_to_first_token_s = time.monotonic() - began
            delta, done = state.emit(token, pos)
            if delta:
                yield delta
            if done or self._interrupted(state, request, cancelled):
                break
            draft: list[int] = []
            if lookup is not None:
                lookup.extend([token])
                draft = lookup.draft() if not state.forced else []
            draft = draft[: max(0, min(len(draft), self.lm.max_seq_len - pos - 2))]
            if not draft:
                logits = self._device(self._run, [token], pos, False)[0]
                self._resident.append(token)
                pos += 1
                continue
            rows = self._device(self._run, [token, *draft], pos, True)  # [1+d, V]
            predicted = (rows if bias is None else rows + bias).argmax(-1).tolist()
            accepted = common_prefix(predicted, draft)
            self.draft_proposed += len(draft)
            self.draft_accepted += accepted
            self._resident.extend([token, *draft[:accepted]])
            pos += 1 + accepted
            assert lookup is not None
            lookup.extend(draft[:accepted])
            for extra in draft[:accepted]:
                delta, done = state.emit(extra, pos)
                if delta:
                    yield delta
                if done or self._interrupted(state, request, cancelled, timed=False):
                    break
            if state.finish_reason:
                break
            logits = rows[accepted]
        tail = state.stream.finish() if state.finish_reason != "stop" else ""
        if tail:
            yield tail
        stats.finish_reason = state.finish_reason

    def _interrupted(
        self, state: Any, request: GenerationRequest, cancelled: Callable[[], bool], timed: bool = True
    ) -> bool:
        """Whether decoding stops here, after a token was emitted. `timed`: a step ended here (not a draft
        token accepted within the step before)."""
        if timed:
            now = time.monotonic()
            if self._step_began is not None:
                step, last = now - self._step_began, self.step_s
                self.step_s = step if last == 0.0 else last + _STEP_WEIGHT * (step - last)
            self._step_began = now
        if state.finish_reason:
            return True
        if cancelled():
            state.finish_reason = "cancelled"
        elif request.expired(ahead_s=self.step_s):
            state.finish_reason = "deadline"
        return bool(state.finish_reason)


_MIN_CACHE_BLOCKS = 8  # what the prefix cache keeps after out-of-memory halvings: a prompt or two
_STEP_WEIGHT = 0.3  # of the newest decode step in the engine's moving average of a step's time

# The end of a prompt that the next keystroke changes (the cursor's line and a suffix cut to the
# engine's speed, see completion.budget.suffix_cap): its prefill may stop between layers.
PREFILL_TAIL = 128
SMALL_CHUNK = 128  # head chunk of a CPU prefill whose passes have little fixed cost


def _eos_ids(hf_model: Any, tokenizer: Any) -> list[int]:
    found: list[int] = []
    for source in (getattr(hf_model, "generation_config", None), hf_model.config):
        value = getattr(source, "eos_token_id", None)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, int) and item not in found:
                found.append(item)
    if isinstance(tokenizer.eos_token_id, int) and tokenizer.eos_token_id not in found:
        found.append(tokenizer.eos_token_id)
    return found
