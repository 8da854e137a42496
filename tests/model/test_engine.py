"""The local engine on the tiny model: cache identity, speculation identity, request features, faults."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch

from daima.model.api import CancelToken, Engine, EngineError, GenerationRequest
from daima.model.engine import PREFILL_TAIL

CODE_LINES = ["def total(prices):", "    result = 0", "    for price in prices:", "        result += price"]
CODE = "\n".join([*CODE_LINES, "    return result", ""])


def greedy(engine: Any, prompt: str | list[int], tokens: int = 12, **extra: Any) -> tuple[str, Any]:
    stream = engine.stream(GenerationRequest(prompt=prompt, max_tokens=tokens, **extra))
    return stream.text(), stream.stats


def fresh(engine: Any, prompt: str | list[int], tokens: int = 12, **extra: Any) -> str:
    engine.clear_cache()
    return greedy(engine, prompt, tokens, **extra)[0]


def test_it_is_an_engine(tiny_engine: Any) -> None:
    assert isinstance(tiny_engine, Engine)
    assert tiny_engine.info.model_type == "qwen2" and tiny_engine.info.device == "cpu"
    assert "<|fim_middle|>" in tiny_engine.info.special_tokens
    ids = tiny_engine.tokenize("def 计算总价(商品列表):")
    assert tiny_engine.detokenize(ids) == "def 计算总价(商品列表):"


def test_greedy_output_with_the_cache_is_identical_to_output_without_it(tiny_engine: Any) -> None:
    # A typing replay: each prompt extends the previous one; then another document; then back.
    prompts = [CODE[:n] for n in range(40, len(CODE), 9)] + ["import os\n" * 6, CODE + "\n\ndef"]
    tiny_engine.clear_cache()
    cached = [greedy(tiny_engine, prompt) for prompt in prompts]
    reused = [stats.cached_tokens for _, stats in cached]
    uncached = [fresh(tiny_engine, prompt) for prompt in prompts]
    assert [text for text, _ in cached] == uncached
    assert sum(reused[1:]) > 0.7 * sum(s.prompt_tokens for _, s in cached[1:-2])
    assert reused[-1] >= 16  # the block cache brought CODE back after another document


def test_cached_tokens_says_what_a_generation_would_not_compute(tiny_engine: Any) -> None:
    tiny_engine.clear_cache()
    ids = tiny_engine.tokenize(CODE)
    assert tiny_engine.cached_tokens(ids) == 0
    greedy(tiny_engine, CODE, 2)
    assert tiny_engine.cached_tokens(ids) >= len(ids) - 1  # all of it (the KV buffer holds the prompt)
    greedy(tiny_engine, "something else entirely " * 8, 2)  # the buffer now holds another prompt
    from_blocks = tiny_engine.cached_tokens(CODE + "\nprint(1)\n")
    assert from_blocks >= 16 and from_blocks % tiny_engine.cache.block_size == 0  # whole cached blocks
    _, again = greedy(tiny_engine, CODE + "\nprint(1)\n", 2)
    assert again.cached_tokens == from_blocks


def test_the_prefill_speed_is_measured_when_the_engine_is_warmed(tiny_dir: Any) -> None:
    from daima.config import ModelOptions
    from daima.model.loader import load_engine

    engine: Any = load_engine(
        ModelOptions(name=str(tiny_dir), device="cpu", dtype="float32", quantize="none")
    )
    try:
        assert engine.prefill_meter.tokens_per_s is None
        engine.warm()
        assert engine.prefill_meter.tokens_per_s is not None and engine.prefill_meter.tokens_per_s > 0
        assert engine.cached_tokens(CODE) == 0  # the measuring passes leave no prompt behind
        text, _ = greedy(engine, CODE)
        assert text == fresh(engine, CODE)
    finally:
        engine.close()


def test_the_block_cache_serves_a_prompt_after_another_document(tiny_engine: Any) -> None:
    tiny_engine.clear_cache()
    greedy(tiny_engine, CODE, 2)
    greedy(tiny_engine, "something else entirely " * 8, 2)  # evicts CODE from the KV buffer
    hits_before = tiny_engine.cache.stats.hits
    text, stats = greedy(tiny_engine, CODE + "print(total([1, 2]))\n")
    assert stats.cached_tokens >= 16 and tiny_engine.cache.stats.hits == hits_before + 1
    assert text == fresh(tiny_engine, CODE + "print(total([1, 2]))\n")


def test_prompt_lookup_speculation_gives_identical_output(tiny_engine: Any, engine_like: Any) -> None:
    speculative = engine_like(speculative=True)
    for prompt in (CODE * 3, CODE[:50]):
        assert greedy(speculative, prompt, 24)[0] == fresh(tiny_engine, prompt, 24)
    # Random weights never copy from the prompt; a bias onto three tokens makes the output repeat
    # itself, so drafts are proposed, verified, and partly accepted and partly rejected.
    few = {tiny_engine.tokenize(t)[0]: 50.0 for t in (" a", " b", " c")}
    prompt = "a b c a b c a b"
    assert greedy(speculative, prompt, 40, logit_bias=few)[0] == fresh(
        tiny_engine, prompt, 40, logit_bias=few
    )
    assert speculative.draft_proposed > 0 and speculative.draft_accepted > 0


def test_stop_strings_cut_the_text(tiny_engine: Any) -> None:
    full = fresh(tiny_engine, CODE, 16)
    stop = full[len(full) // 2 : len(full) // 2 + 3]
    text, stats = greedy(tiny_engine, CODE, 16, stop=(stop,))
    assert text == full[: full.index(stop)] and stats.finish_reason == "stop"


def test_logit_bias_and_stop_token_ids(tiny_engine: Any) -> None:
    hello = tiny_engine.tokenize(" hello")[0]
    text, stats = greedy(tiny_engine, CODE, 4, logit_bias={hello: 100.0})
    assert text == " hello" * 4 and stats.finish_reason == "length"
    text, stats = greedy(tiny_engine, CODE, 4, logit_bias={hello: 100.0}, stop_token_ids=(hello,))
    assert text == "" and stats.finish_reason == "stop" and stats.generated_tokens == 0


@pytest.mark.parametrize("forced", ["retur", "计算", " \u8ba1", "x"])
def test_forced_prefix_starts_the_output(tiny_engine: Any, forced: str) -> None:
    stream = tiny_engine.stream(GenerationRequest(prompt=CODE, max_tokens=6, forced_prefix=forced))
    deltas = list(stream)
    assert "".join(deltas).startswith(forced)
    assert all("\ufffd" not in delta for delta in deltas)


def test_seeded_sampling_is_reproducible(tiny_engine: Any) -> None:
    first = greedy(tiny_engine, CODE, 10, temperature=1.0, seed=7)[0]
    assert greedy(tiny_engine, CODE, 10, temperature=1.0, seed=7)[0] == first
    others = {greedy(tiny_engine, CODE, 10, temperature=1.0, seed=s, top_p=0.9)[0] for s in range(4)}
    assert len(others) > 1


def test_cancellation_and_deadline(tiny_engine: Any) -> None:
    cancel = CancelToken()
    stream = tiny_engine.stream(GenerationRequest(prompt=CODE, max_tokens=200), cancel)
    next(iter(stream))
    cancel.cancel()
    rest = list(stream)
    assert stream.stats.finish_reason == "cancelled" and len(rest) < 5
    cancel = CancelToken()
    cancel.cancel()
    stream = tiny_engine.stream(GenerationRequest(prompt=CODE, max_tokens=20), cancel)
    assert stream.text() == "" and stream.stats.finish_reason == "cancelled"
    late = GenerationRequest(prompt=CODE, max_tokens=20, deadline=time.monotonic() - 1)
    stream = tiny_engine.stream(late)
    assert stream.text() == "" and stream.stats.finish_reason == "deadline"


def test_a_prompt_longer_than_the_context_is_truncated_not_an_error(engine_like: Any) -> None:
    small = engine_like(max_seq_len=128)
    ids = small.tokenize(CODE * 20)
    assert len(ids) > 128
    text, stats = greedy(small, ids, 8)
    assert stats.prompt_tokens == 128 - 8 - 1 and stats.generated_tokens == 8
    assert text == greedy(small, ids[-(128 - 8 - 1) :], 8)[0]


def test_out_of_memory_evicts_the_cache_retries_then_explains(tiny_engine: Any, monkeypatch: Any) -> None:
    tiny_engine.clear_cache()
    expected = greedy(tiny_engine, CODE)[0]
    assert len(tiny_engine.cache) > 0
    real_forward = tiny_engine.lm.forward
    failures = [1]

    def flaky(*args: Any, **kwargs: Any) -> torch.Tensor:
        if failures:
            failures.pop()
            raise torch.OutOfMemoryError("injected")
        return real_forward(*args, **kwargs)

    monkeypatch.setattr(tiny_engine.lm, "forward", flaky)
    tiny_engine.worker.call(lambda: tiny_engine._resident.clear())
    greedy(tiny_engine, CODE + "x")
    assert len(tiny_engine.cache) <= 2  # evicted, then this prompt's blocks cached again

    def broken(*args: Any, **kwargs: Any) -> torch.Tensor:
        raise torch.OutOfMemoryError("injected")

    monkeypatch.setattr(tiny_engine.lm, "forward", broken)
    stream = tiny_engine.stream(GenerationRequest(prompt="new prompt", max_tokens=4))
    with pytest.raises(EngineError, match="ran out of memory"):
        stream.text()
    assert stream.stats.finish_reason == "error"
    monkeypatch.setattr(tiny_engine.lm, "forward", real_forward)
    assert greedy(tiny_engine, CODE)[0] == expected  # the worker survived


def storm(engine: Any, seconds: float, rate: float = 20.0) -> None:
    """Requests at `rate`/s, each cancelling the one before (as an editor does while typing)."""
    import threading

    engine.clear_cache()
    threads_before = threading.active_count()
    previous: CancelToken | None = None
    results: list[tuple[str, str, str]] = []
    readers: list[threading.Thread] = []

    def read(prompt: str, stream: Any) -> None:
        results.append((prompt, stream.text(), stream.stats.finish_reason))

    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if previous is not None:
            previous.cancel()
        previous = CancelToken()
        prompt = CODE[: 30 + len(readers) % (len(CODE) - 30)]
        stream = engine.stream(GenerationRequest(prompt=prompt, max_tokens=40), previous)
        readers.append(threading.Thread(target=read, args=(prompt, stream)))
        readers[-1].start()
        time.sleep(1 / rate)
        readers = [r for r in readers if r.is_alive()] + [r for r in readers if not r.is_alive()][-1:]
        assert len(readers) < 10  # stale requests end within a few steps: the backlog stays bounded
    for reader in readers:
        reader.join(timeout=60)
    assert threading.active_count() <= threads_before + 1
    assert len(engine.cache) <= engine.cache.capacity_blocks
    reasons = [reason for _, _, reason in results]
    assert reasons.count("cancelled") > 0 and reasons[-1] == "length"
    prompt, text, _ = results[-1]  # the one that was not superseded belongs to its own prompt
    assert text == fresh(engine, prompt, 40)


class CancelledDuringPrefill(CancelToken):
    """Says "cancelled" from its `after`-th look on: the engine looks once before the prompt, then
    between the prefill's layers."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after, self.looks = after, 0

    @property
    def cancelled(self) -> bool:
        self.looks += 1
        return self.looks >= self.after


def test_cancellation_reaches_the_prefill_and_leaves_the_cache_sound(
    tiny_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompt = CODE + "\n# " + "其他 " * 30  # a prompt no earlier request has cached, all of it tail
    assert len(tiny_engine.tokenize(prompt)) <= PREFILL_TAIL
    expected = fresh(tiny_engine, prompt, 8)
    tiny_engine.clear_cache()
    layers_run = []
    run_layer = tiny_engine.lm._layer
    monkeypatch.setattr(tiny_engine.lm, "_layer", lambda *a: layers_run.append(1) or run_layer(*a))
    cancel = CancelledDuringPrefill(after=3)  # the start, layer 0, then cancelled before layer 1
    stream = tiny_engine.stream(GenerationRequest(prompt=prompt, max_tokens=8), cancel)
    assert stream.text() == "" and stream.stats.finish_reason == "cancelled"
    assert len(layers_run) == 1 < tiny_engine.lm.n_layers  # it stopped inside the prefill's pass
    monkeypatch.undo()
    # What the stopped pass half wrote is never reused as cached: the same prompt gives the same text.
    assert greedy(tiny_engine, prompt, 8)[0] == expected


def test_cancellation_storm_is_bounded_and_never_stale(tiny_engine: Any) -> None:
    storm(tiny_engine, seconds=3)


@pytest.mark.slow
def test_cancellation_storm_for_a_minute(tiny_engine: Any) -> None:
    import resource

    storm(tiny_engine, seconds=5)  # warm up allocator pools before measuring
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    storm(tiny_engine, seconds=60)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert after - before < 200 * 1024  # KiB: memory stays flat under a minute of churn


def test_logit_bias_does_not_change_how_the_forced_prefix_is_tokenized(tiny_engine: Any) -> None:
    # Steering pushes a name down while forcing the line to start with it (`总和 =`): the bias must
    # apply to what follows, not split the forced text into other tokens.
    tiny_engine.clear_cache()
    prompt = CODE + "def mean(values):\n    "
    forced = "return"
    (whole,) = tiny_engine.tokenize(forced)
    plain, _ = greedy(tiny_engine, prompt, 10, forced_prefix=forced)
    biased, _ = greedy(tiny_engine, prompt, 10, forced_prefix=forced, logit_bias={whole: -100.0})
    assert plain.startswith(forced)
    assert biased == plain


def test_stats_name_the_chosen_tokens_even_when_the_reader_stops_early(tiny_engine: Any) -> None:
    # Steering pushes down the exact token that began a bad name, so the ids must be there after
    # the pipeline closes a stream at the end of the line it wanted.
    stream = tiny_engine.stream(GenerationRequest(prompt=CODE, max_tokens=200))
    deltas = iter(stream)
    first = next(deltas)
    deltas.close()  # type: ignore[attr-defined]
    tiny_engine.clear_cache()  # runs on the worker after the closed generation has stopped
    ids = stream.stats.token_ids
    assert ids and tiny_engine.detokenize(ids).startswith(first)
    assert stream.stats.generated_tokens == len(ids) < 200
    assert stream.stats.finish_reason == "cancelled"
    text, stats = greedy(tiny_engine, CODE, 6)
    assert tiny_engine.detokenize(stats.token_ids) == text and stats.generated_tokens == 6


def test_the_engine_measures_its_prefill_speed(engine_like: Any) -> None:
    """What the prompt builder sizes the suffix by: uncached tokens over the time their pass took."""
    engine = engine_like()
    assert engine.prefill_meter.tokens_per_s is None
    engine.stream(
        GenerationRequest(prompt="def total(prices):\n    return sum(prices)\n" * 8, max_tokens=2)
    ).text()
    assert engine.prefill_meter.tokens_per_s is not None and engine.prefill_meter.tokens_per_s > 0
    measured = engine.prefill_meter.tokens_per_s
    engine.stream(
        GenerationRequest(prompt="def total(prices):\n    return sum(prices)\n" * 8, max_tokens=2)
    ).text()
    assert (
        engine.prefill_meter.tokens_per_s == measured
    )  # a fully cached prompt prefills one token: not counted


def test_a_stopped_prefill_keeps_its_finished_chunks(engine_like: Any) -> None:
    """A cold prompt longer than the deadline allows is not started over by every keystroke: the chunks
    a stopped prefill finished are cached, the next request continues after them, and its output is
    the same as from a prefill that was never stopped."""
    engine = engine_like()
    engine.prefill_chunk = 64
    prompt = CODE + "\n# " + "其他 " * 200
    expected = fresh(engine, prompt, 8)
    engine.clear_cache()
    assert len(engine.tokenize(prompt)) > 3 * 64 + PREFILL_TAIL
    # Looks at the signal: the start, then after each head chunk (a head chunk runs whole); the 3rd
    # look, after chunk 2, stops it.
    stream = engine.stream(GenerationRequest(prompt=prompt, max_tokens=8), CancelledDuringPrefill(after=3))
    assert stream.text() == "" and stream.stats.finish_reason == "cancelled"
    again = engine.stream(GenerationRequest(prompt=prompt, max_tokens=8))
    assert again.text() == expected
    assert again.stats.cached_tokens == 128  # the two finished chunks of 64


@dataclass(frozen=True, kw_only=True)
class ExpiresAtLook(GenerationRequest):
    """A request whose deadline passes at the n-th time the engine looks (a clock the test controls)."""

    at: int = 0
    looks: list[int] = field(default_factory=lambda: [0])

    def expired(self, ahead_s: float = 0.0) -> bool:
        self.looks[0] += 1
        return self.looks[0] >= self.at


@dataclass(frozen=True, kw_only=True)
class RecordsLookahead(GenerationRequest):
    """A request that never expires and keeps how far ahead the engine asked about its deadline."""

    aheads: list[float] = field(default_factory=list)

    def expired(self, ahead_s: float = 0.0) -> bool:
        self.aheads.append(ahead_s)
        return False


def test_decoding_stops_before_a_step_that_would_end_after_the_deadline(tiny_engine: Any) -> None:
    """An answer comes by the deadline, not one step after it: on a busy machine a step is 100-150 ms."""
    import time

    request = RecordsLookahead(prompt=CODE, max_tokens=8)
    tiny_engine.stream(request).text()
    # Between steps the engine asks whether one more step (its measured time) would end past the deadline.
    assert tiny_engine.step_s > 0 and request.aheads[-1] == tiny_engine.step_s
    assert GenerationRequest(prompt="", deadline=time.monotonic() + 5).expired(ahead_s=10)
    assert not GenerationRequest(prompt="", deadline=time.monotonic() + 5).expired()
    measured, tiny_engine.step_s = tiny_engine.step_s, 30.0  # as if a step took 30 s
    try:
        # With less than a step left, no generation starts: it could only answer late.
        late = tiny_engine.stream(
            GenerationRequest(prompt=CODE, max_tokens=16, deadline=time.monotonic() + 10)
        )
        assert late.text() == "" and late.stats.finish_reason == "deadline" and late.stats.prompt_tokens == 0
    finally:
        tiny_engine.step_s = measured


def test_the_deadline_stops_a_long_prefill(engine_like: Any) -> None:
    engine = engine_like()
    engine.prefill_chunk = 16
    prompt = CODE + "\n# " + "截止 " * 400
    # Looks: the start; before each layer of a head chunk and after it; expired at the first layer of
    # chunk 3.
    looks_a_chunk = engine.lm.n_layers + 1
    stream = engine.stream(ExpiresAtLook(prompt=prompt, max_tokens=8, at=1 + 2 * looks_a_chunk + 1))
    assert stream.text() == "" and stream.stats.finish_reason == "deadline"
    again = engine.stream(GenerationRequest(prompt=prompt, max_tokens=2))
    again.text()
    assert again.stats.cached_tokens == 32 < again.stats.prompt_tokens  # chunks 1 and 2 were kept


def test_background_prefill_gives_way_between_layers_a_requests_after_whole_chunks(tiny_engine: Any) -> None:
    """Warming ahead of a request must not make the request wait for the chunk it is in; a request's
    own head chunks run whole, so a newer keystroke keeps what they computed."""
    from daima.model.api import GenerationStats
    from daima.model.engine import Interrupted

    ids = tiny_engine.tokenize(CODE * 50)
    assert len(ids) > tiny_engine.prefill_chunk * 2 + tiny_engine.prefill_tail

    def resident_after_stop(background: bool) -> int:
        tiny_engine.clear_cache()
        polls = []

        def stop() -> bool:  # yes from its second poll on
            polls.append(1)
            return len(polls) > 1

        def run() -> int:
            with contextlib.suppress(Interrupted):
                tiny_engine._prefill(ids, GenerationStats(), stop, background)
            return len(tiny_engine._resident)

        return int(tiny_engine.worker.call(run))

    assert resident_after_stop(background=True) == 0  # stopped inside the first chunk
    assert resident_after_stop(background=False) == 2 * tiny_engine.prefill_chunk  # two whole chunks


def test_the_deadline_stops_a_requests_head_chunk_between_layers(tiny_engine: Any) -> None:
    """On a loaded CPU one head chunk can outlast the whole deadline: once the deadline has passed, the
    chunk in progress stops at the next layer (and is lost) instead of answering a chunk late. A newer
    keystroke alone still waits for the chunk, whose KV it reuses."""
    from daima.model.api import GenerationStats
    from daima.model.engine import Interrupted

    ids = tiny_engine.tokenize(CODE * 50)
    assert len(ids) > tiny_engine.prefill_chunk * 2 + tiny_engine.prefill_tail

    def resident_after(expires_at_poll: int) -> tuple[int, int]:
        tiny_engine.clear_cache()
        polls: list[int] = []

        def expired() -> bool:
            polls.append(1)
            return len(polls) >= expires_at_poll

        def run() -> int:
            with contextlib.suppress(Interrupted):
                tiny_engine._prefill(ids, GenerationStats(), expired, False, expired)
            return len(tiny_engine._resident)

        return int(tiny_engine.worker.call(run)), len(polls)

    layers = tiny_engine.lm.n_layers
    # Polled before each layer of the first chunk: expired at the second poll, inside the first chunk.
    resident, polls = resident_after(2)
    assert resident == 0 and polls == 2
    # Expired at the first poll of the second chunk: the first chunk is kept.
    resident, _ = resident_after(layers + 2)
    assert resident == tiny_engine.prefill_chunk
