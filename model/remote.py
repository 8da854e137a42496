"""The remote engine: an OpenAI-compatible `/v1/completions` server (vLLM, SGLang, llama.cpp) over HTTP.

For teams that run one GPU server: daima sends the prompt it built and streams the answer back as
server-sent events. Only the standard library is used for HTTP. Nothing touches the network until the
first `info`, `tokenize` or iteration of a stream, so constructing the engine never blocks.

Token healing cannot be done remotely (servers cannot constrain the first tokens to a text), so
`info.supports_forced_prefix` is False. A request that still carries a `forced_prefix` gets the
fallback documented in docs/remote-engine.md: the forced text is appended to the prompt, and the
stream starts with it, so callers see the same shape of output as from the local engine.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from daima.config import ModelOptions
from daima.model.api import (
    CancelToken,
    EngineError,
    EngineInfo,
    GenerationRequest,
    GenerationStats,
    TextStream,
)
from daima.model.remote_http import (
    BadAnswerError,
    Exchange,
    HttpStatusError,
    JsonClient,
    Target,
    Watcher,
    excerpt,
)
from daima.model.remote_stream import completion_body, read_events, text_deltas
from daima.model.remote_tokens import RemoteTokenizer

log = logging.getLogger(__name__)

COMPLETIONS = "/v1/completions"
DEFAULT_CONTEXT = EngineInfo(name="").context_length  # when the server does not say
INFO_RETRY_S = 5.0  # how long `info` serves defaults after the server failed to answer


@dataclass(frozen=True, kw_only=True)
class Family:
    """What differs between server families (see remote_families.json)."""

    tokenizer: str  # a key of remote_tokens.DIALECTS
    extra: dict[str, Any] = field(default_factory=dict)  # fields added to every completion request
    stop_token_ids: bool = False  # accepts `stop_token_ids` (others would reject or ignore it)
    token_prompts: bool = True  # accepts a list of token ids as the prompt, as the OpenAI API allows


def _load_families() -> tuple[dict[str, Family], tuple[str, ...]]:
    raw = json.loads(resources.files("daima.model").joinpath("remote_families.json").read_text("utf-8"))
    families = {owner: Family(**fields) for owner, fields in raw["families"].items()}
    return families, tuple(raw["special_token_candidates"])


FAMILIES, SPECIAL_CANDIDATES = _load_families()
UNKNOWN = Family(tokenizer="generic")


class RemoteEngine:
    """An `Engine` backed by an OpenAI-compatible completions server."""

    def __init__(self, options: ModelOptions) -> None:
        if not options.remote_url:
            raise EngineError(
                "model.remoteUrl is empty; set it to the server's base URL, e.g. http://host:8000"
            )
        self._options = options
        self._target = Target.parse(options.remote_url)
        self._json = JsonClient(self._target)
        self._timeout_s = max(options.remote_timeout_ms, 1) / 1000
        self._model = options.remote_model
        self._family = UNKNOWN
        self._info: EngineInfo | None = None
        self._entry: dict[str, Any] | None = None  # this model's /v1/models entry, once discovered
        self._retry_info_at = 0.0  # after a failed info request, when to ask again
        self._ids_prompts = True  # the server takes token-id prompts until it says otherwise
        self._lock = threading.Lock()
        self._tokens = RemoteTokenizer(self._call, self._target.url, options.remote_tokenizer)

    # -- plumbing -----------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        key = os.environ.get(self._options.remote_api_key_env, "") if self._options.remote_api_key_env else ""
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _timeout(self, deadline: float | None) -> float:
        """Connect/read timeout: the configured one, cut to what is left before the deadline."""
        if deadline is None:
            return self._timeout_s
        return max(0.001, min(self._timeout_s, deadline - time.monotonic()))

    def _call(self, method: str, path: str, body: Any = None, deadline: float | None = None) -> Any:
        return self._json.call(method, path, body, self._headers(), self._timeout(deadline))

    # -- Engine -------------------------------------------------------------------------------

    @property
    def info(self) -> EngineInfo:
        """Model name, context length and special tokens from the server; defaults while it is down."""
        if self._info is not None:
            return self._info
        if time.monotonic() < self._retry_info_at:  # a down server is not asked on every access
            return self._fallback_info()
        try:
            return self.check()
        except EngineError as error:
            log.warning("%s", error)
            self._retry_info_at = time.monotonic() + INFO_RETRY_S
            return self._fallback_info()

    def _fallback_info(self) -> EngineInfo:
        return EngineInfo(name=self._model or self._target.url, device="remote", supports_forced_prefix=False)

    def check(self) -> EngineInfo:
        """Ask the server what it serves (GET /v1/models); raises EngineError when it cannot answer."""
        with self._lock:
            if self._info is None:
                entry = self._discover(None)
                self._info = EngineInfo(
                    name=self._model,
                    context_length=self._context_length(entry),
                    special_tokens=self._special_tokens(),
                    device="remote",
                    supports_forced_prefix=False,
                )
            return self._info

    def _discover(self, deadline: float | None) -> dict[str, Any]:
        """Learn the model name and server family from /v1/models once; returns the model's entry."""
        if self._entry is not None:
            return self._entry
        try:
            answer = self._call("GET", "/v1/models", deadline=deadline)
        except HttpStatusError as error:
            if error.status != 404 or not self._model:
                raise
            answer = {"data": [{"id": self._model}]}  # a proxy without /v1/models: trust the options
        models = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(models, list) or not models or not all(isinstance(m, dict) for m in models):
            raise BadAnswerError(
                f"remote engine at {self._target.url} lists no models: {excerpt(str(answer))!r}"
            )
        entry = next((m for m in models if m.get("id") == self._model), None)
        if entry is None:
            if self._model:
                names = ", ".join(str(m.get("id")) for m in models)
                raise EngineError(
                    f"remote engine at {self._target.url} does not serve '{self._model}' (it serves: {names})"
                )
            entry = models[0]
            self._model = str(entry.get("id", ""))
        owner = str(entry.get("owned_by", ""))
        self._family = FAMILIES.get(owner, UNKNOWN)
        self._tokens.choose(self._family.tokenizer if owner in FAMILIES else "", self._model)
        self._entry = entry
        return entry

    def _context_length(self, entry: dict[str, Any]) -> int:
        """vLLM and SGLang report `max_model_len`; llama.cpp reports its context in /props."""
        if isinstance(entry.get("max_model_len"), int):
            return int(entry["max_model_len"])
        if entry.get("owned_by") == "llamacpp":
            try:
                props = self._call("GET", "/props")
                n_ctx = props.get("default_generation_settings", {}).get("n_ctx")
                if isinstance(n_ctx, int) and n_ctx > 0:
                    return n_ctx
            except EngineError as error:
                log.info("no context length from %s/props: %s", self._target.url, error)
        return DEFAULT_CONTEXT

    def _special_tokens(self) -> frozenset[str]:
        found = set()
        try:
            for candidate in SPECIAL_CANDIDATES:
                if len(self._tokens.tokenize(candidate)) == 1:
                    found.add(candidate)
        except EngineError as error:  # no tokenizer: completion falls back to its configured template
            log.info("cannot list special tokens of %s: %s", self._target.url, error)
        return frozenset(found)

    def tokenize(self, text: str) -> list[int]:
        """Token ids from the server's tokenizer (or model.remoteTokenizer)."""
        self._discover(None)  # the server family decides the tokenize endpoint
        return self._tokens.tokenize(text)

    def detokenize(self, ids: Sequence[int]) -> str:
        """Text of token ids from the server's tokenizer (or model.remoteTokenizer)."""
        self._discover(None)
        return self._tokens.detokenize(ids)

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> TextStream:
        """Start nothing yet: the request is sent when the stream is first iterated."""
        stats = GenerationStats()
        return TextStream(deltas=self._generate(request, cancel, stats), stats=stats)

    # -- one generation ------------------------------------------------------------------------

    def _body(self, request: GenerationRequest, prompt: str | list[int]) -> dict[str, Any]:
        family = self._family
        return completion_body(request, prompt, self._model, family.extra, family.stop_token_ids)

    def _prompt(self, request: GenerationRequest) -> str | list[int]:
        """The prompt to send; a forced prefix is appended (the documented no-healing fallback)."""
        if isinstance(request.prompt, str):
            return request.prompt + request.forced_prefix
        ids = list(request.prompt)
        if request.forced_prefix:
            ids += self.tokenize(request.forced_prefix)
        if not (self._ids_prompts and self._family.token_prompts):
            return self._ids_as_text(ids)
        return ids

    def _ids_as_text(self, ids: list[int]) -> str:
        """For servers that take only text prompts: the text that tokenizes to exactly these ids."""
        known = self._tokens.text_of(ids)  # the prompt builder tokenized this very text: no round trip
        if known is not None:
            return known
        # Detokenize between special tokens and write those out: detokenizers may drop them.
        specials = self._special_ids()
        pieces: list[str] = []
        start = 0
        for at, token in enumerate([*ids, -1]):
            if token in specials or token == -1:
                if at > start:
                    pieces.append(self.detokenize(ids[start:at]))
                pieces.append(specials.get(token, ""))
                start = at + 1
        text = "".join(pieces)
        if self.tokenize(text) != ids:
            raise EngineError(
                f"remote engine at {self._target.url} takes only text prompts and these token ids do not "
                "survive a round trip through its tokenizer; send the prompt as text"
            )
        return text

    def _prompt_length(self, request: GenerationRequest) -> int:
        """Prompt tokens when the server sends no usage: known for ids, or for a recently tokenized text."""
        if not isinstance(request.prompt, str):
            return len(request.prompt)
        ids = self._tokens.cached(request.prompt)
        return 0 if ids is None else len(ids)

    def _special_ids(self) -> dict[int, str]:
        """Ids of the special tokens found in the vocabulary (see `info.special_tokens`)."""
        found = {}
        for name in self.info.special_tokens:
            (token,) = self._tokens.tokenize(name)  # cached since info was built
            found[token] = name
        return found

    def _open(self, request: GenerationRequest, cancel: CancelToken | None) -> tuple[Exchange, Watcher]:
        """POST the completion; on a rejected token-id prompt, retry once as text."""
        self._discover(request.deadline)  # model name and family shape the request body
        prompt = self._prompt(request)
        for _attempt in range(2):
            exchange = Exchange(self._target, self._timeout(request.deadline))
            watcher = Watcher(exchange, cancel, request.deadline)
            try:
                status = exchange.send("POST", COMPLETIONS, self._body(request, prompt), self._headers())
                if 200 <= status < 300:
                    return exchange, watcher
                body = exchange.read_all(1 << 16)
            except BaseException:
                watcher.stop()
                exchange.close()
                raise
            watcher.stop()
            exchange.close()
            if status in (400, 422) and isinstance(prompt, list) and self._ids_prompts:
                log.info(
                    "%s rejected a token-id prompt (HTTP %d); sending text from now on",
                    self._target.url,
                    status,
                )
                self._ids_prompts = False
                prompt = self._ids_as_text(prompt)
                continue
            raise HttpStatusError(self._target, "POST", COMPLETIONS, status, body)
        raise AssertionError("unreachable")

    def _generate(
        self, request: GenerationRequest, cancel: CancelToken | None, stats: GenerationStats
    ) -> Iterator[str]:
        start = time.monotonic()
        if request.expired() or (cancel is not None and cancel.cancelled):
            stats.finish_reason = "deadline" if request.expired() else "cancelled"
            return
        if request.max_tokens <= 0:  # llama.cpp servers read 0 as "no limit"
            stats.finish_reason = "length"
            return
        try:
            exchange, watcher = self._open(request, cancel)
        except EngineError:
            stats.total_s = time.monotonic() - start
            stats.finish_reason = watcher_reason(request, cancel) or "error"
            if stats.finish_reason != "error":
                return  # the deadline or a cancel cut the connect short: not a failure
            raise
        counts = {"events": 0}
        try:
            yield from text_deltas(read_events(exchange, watcher, stats), request, stats, start, counts)
        finally:
            watcher.stop()
            exchange.close()
            stats.generated_tokens = stats.generated_tokens or counts["events"]  # about one event per token
            stats.prompt_tokens = stats.prompt_tokens or self._prompt_length(request)
            stats.finish_reason = stats.finish_reason or "cancelled"  # the caller stopped iterating
            stats.total_s = time.monotonic() - start


def watcher_reason(request: GenerationRequest, cancel: CancelToken | None) -> str:
    """Why a generation should stop now, if it should: "cancelled", "deadline" or ""."""
    if cancel is not None and cancel.cancelled:
        return "cancelled"
    return "deadline" if request.expired() else ""
