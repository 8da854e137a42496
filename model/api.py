"""The small engine interface that completion/ sees. Plain Python: importing it never imports torch.

An engine turns a prompt into a stream of text deltas. It owns tokenization, the KV prefix cache and
the device; callers own prompt building and post-processing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class CancelToken:
    """Set from any thread to stop a generation between two decode steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass(frozen=True, kw_only=True)
class EngineInfo:
    """What completion/ needs to know about the model behind an engine."""

    name: str  # e.g. "qwen2.5-coder-0.5b" or a path / remote model id
    model_type: str = ""  # config.model_type, e.g. "qwen2"; "" when unknown (remote engines)
    context_length: int = 4096
    special_tokens: frozenset[str] = frozenset()  # special token strings the vocabulary has
    device: str = "cpu"
    weights: str = ""  # how the local engine holds its weights: "float32", "bfloat16", "int8"...
    supports_forced_prefix: bool = True  # token healing is honoured by this engine


@dataclass(frozen=True, kw_only=True)
class GenerationRequest:
    """One generation. `prompt` is text (tokenized by the engine) or token ids."""

    prompt: str | Sequence[int]
    max_tokens: int = 64
    stop: tuple[str, ...] = ()  # stop strings; the text from the first one on is not returned
    stop_token_ids: tuple[int, ...] = ()  # tokens that end the generation (not returned)
    deadline: float | None = None  # time.monotonic() after which the engine stops and returns what it has
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    seed: int | None = None
    # Token healing: the generated text must start with this text (the part of the prompt the caller
    # backed off to a token boundary). The engine constrains the first tokens to reproduce it; the
    # returned stream starts with it.
    forced_prefix: str = ""
    # Added to the logits of these token ids at every step after the forced prefix (OpenAI `logit_bias`
    # semantics), e.g. to favour the first tokens of identifiers that are in scope at the cursor.
    logit_bias: Mapping[int, float] | None = None
    # Work done ahead of a request (warming the KV cache where the user is about to ask): it gives way
    # at once, between layers, instead of finishing the prefill chunk it is in.
    background: bool = False

    def expired(self, ahead_s: float = 0.0) -> bool:
        """The deadline has passed, or will have passed `ahead_s` from now (a step that long would end
        after it)."""
        return self.deadline is not None and time.monotonic() + ahead_s >= self.deadline


@dataclass(kw_only=True)
class GenerationStats:
    """Filled in by the engine while a stream runs; complete once the stream is exhausted."""

    prompt_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens whose KV came from the prefix cache
    generated_tokens: int = 0
    time_to_first_token_s: float | None = None
    total_s: float = 0.0
    finish_reason: str = ""  # "stop", "length", "cancelled", "deadline", "error"
    # The ids the model chose, in order, where the engine knows them (the local one does; a remote
    # server's text carries none). Steering uses them to push down the exact token that began a bad name.
    token_ids: list[int] = field(default_factory=list)


@dataclass(kw_only=True)
class TextStream:
    """An iterator of text deltas (never splitting a UTF-8 character) with its stats beside it."""

    deltas: Iterator[str]
    stats: GenerationStats = field(default_factory=GenerationStats)

    def __iter__(self) -> Iterator[str]:
        return self.deltas

    def text(self) -> str:
        """Drain the stream and return the whole text."""
        return "".join(self.deltas)


class PrefillMeter:
    """How fast an engine turns prompt tokens it has not cached into KV, measured on its own passes.

    The prompt builder reads it to keep the part of a prompt that every keystroke recomputes (the
    suffix) within a share of the deadline: a CPU prefills a few hundred tokens a second, a GPU tens of
    thousands, and one fixed suffix budget cannot suit both. Passes shorter than `MIN_TOKENS` are not
    counted (their fixed cost per pass would read as a low rate); the figure is a moving average, so a
    machine that becomes busy is followed within a few requests.
    """

    MIN_TOKENS = 16
    _WEIGHT = 0.3  # of the newest pass in the moving average

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rate: float | None = None

    def record(self, tokens: int, seconds: float) -> None:
        if tokens < self.MIN_TOKENS or seconds <= 0:
            return
        rate = tokens / seconds
        with self._lock:
            self._rate = rate if self._rate is None else self._rate + self._WEIGHT * (rate - self._rate)

    @property
    def tokens_per_s(self) -> float | None:
        """Prompt tokens per second, or None before the first counted pass."""
        return self._rate


class EngineError(RuntimeError):
    """A generation failed in a way the caller should show (engine down, out of memory, bad output)."""


def error_line(error: BaseException) -> str:
    """The first line of an error's message (torch's errors go on for a page), for a user's message."""
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


@runtime_checkable
class Engine(Protocol):
    """What completion/ needs from a model: tokenize, and stream text for a prompt.

    An engine may also have a `prefill_meter` (`PrefillMeter`) with its measured prefill speed; the
    prompt builder sizes the suffix by it when it is there (the local engine has one). And it may have
    `cached_tokens(prompt) -> int`, how many leading tokens of a prompt it would not compute: with both,
    a request whose prompt would not prefill within the deadline asks with a shorter one."""

    @property
    def info(self) -> EngineInfo: ...

    def tokenize(self, text: str) -> list[int]: ...

    def detokenize(self, ids: Sequence[int]) -> str: ...

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> TextStream: ...
