"""Tokenization for the remote engine: the server's own endpoints when it has them, else a local tokenizer.

The server's tokenizer is the one that counts, so it is asked first. Each server family spells the
endpoints differently (a table below, not if-chains). Special tokens written in the text (FIM markers)
are parsed as special tokens, as the servers do for a `/v1/completions` text prompt.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from daima.model.api import EngineError
from daima.model.remote_http import BadAnswerError, HttpStatusError, excerpt

CACHE_ENTRIES = 1024  # prompt builders tokenize the same pieces again and again; a round trip each is slow
TEXT_ENTRIES = 32  # ids -> text for recent prompts, for servers that take only text prompts


@dataclass(frozen=True)
class Dialect:
    """How one server family names its tokenizer endpoints and fields."""

    tokenize_path: str
    detokenize_path: str
    text_fields: tuple[str, ...]  # the request field(s) that carry the text
    extra: Mapping[str, Any] = field(default_factory=dict)


DIALECTS: dict[str, Dialect] = {
    # vLLM and SGLang: {"prompt"} -> {"tokens"}; detokenize -> {"prompt"} (vLLM) or {"text"} (SGLang).
    "vllm": Dialect("/tokenize", "/detokenize", ("prompt",), {"add_special_tokens": False}),
    # llama.cpp's C++ server: {"content"} -> {"tokens"}; detokenize -> {"content"}.
    "llamacpp": Dialect(
        "/tokenize", "/detokenize", ("content",), {"add_special": False, "parse_special": True}
    ),
    # llama-cpp-python's server: /extras/..., {"input"} -> {"tokens"}; detokenize -> {"text"}.
    "llama-cpp-python": Dialect("/extras/tokenize", "/extras/detokenize", ("input",)),
    # Unknown server: one body that both /tokenize spellings understand (each ignores the other's fields).
    "generic": Dialect(
        "/tokenize",
        "/detokenize",
        ("prompt", "content"),
        {"add_special_tokens": False, "add_special": False, "parse_special": True},
    ),
}
PROBE_ORDER = ("generic", "llama-cpp-python")  # tried in turn when the server family is unknown
DETOKENIZED_FIELDS = ("prompt", "content", "text")

# call(method, path, body) -> parsed JSON; raises EngineError (HttpStatusError for non-2xx answers).
Call = Callable[[str, str, Mapping[str, Any] | None], Any]


class Tokenizer(Protocol):
    def tokenize(self, text: str) -> list[int]: ...
    def detokenize(self, ids: Sequence[int]) -> str: ...


class ServerTokenizer:
    """Tokenizes through the server's endpoints in one dialect."""

    def __init__(self, call: Call, dialect: Dialect, model: str, url: str) -> None:
        self._call = call
        self._url = url
        self._dialect = dialect
        self._model = model

    def tokenize(self, text: str) -> list[int]:
        body: dict[str, Any] = {"model": self._model, **self._dialect.extra}
        body.update(dict.fromkeys(self._dialect.text_fields, text))
        answer = self._call("POST", self._dialect.tokenize_path, body)
        tokens = answer.get("tokens") if isinstance(answer, dict) else None
        if not isinstance(tokens, list) or not all(isinstance(t, int) for t in tokens):
            raise BadAnswerError(
                f"remote engine at {self._url}: tokenize answer has no token ids: {excerpt(str(answer))!r}"
            )
        return tokens

    def detokenize(self, ids: Sequence[int]) -> str:
        answer = self._call(
            "POST", self._dialect.detokenize_path, {"model": self._model, "tokens": list(ids)}
        )
        if isinstance(answer, dict):
            for name in DETOKENIZED_FIELDS:
                if isinstance(answer.get(name), str):
                    return str(answer[name])
        raise BadAnswerError(
            f"remote engine at {self._url}: detokenize answer has no text: {excerpt(str(answer))!r}"
        )


class LocalTokenizer:
    """A transformers tokenizer from a model directory or a .gguf file, loaded on first use."""

    def __init__(self, path: str) -> None:
        self._path = Path(path).expanduser()
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._tokenizer is None:
                if not self._path.exists():
                    raise EngineError(f"model.remoteTokenizer '{self._path}' does not exist")
                from transformers import AutoTokenizer  # heavy: only when a local tokenizer is really used

                if self._path.suffix == ".gguf":
                    self._tokenizer = AutoTokenizer.from_pretrained(
                        self._path.parent, gguf_file=self._path.name
                    )
                else:
                    self._tokenizer = AutoTokenizer.from_pretrained(self._path)
            return self._tokenizer

    def tokenize(self, text: str) -> list[int]:
        return list(self._load().encode(text, add_special_tokens=False))

    def detokenize(self, ids: Sequence[int]) -> str:
        return str(self._load().decode(list(ids), skip_special_tokens=False))


class RemoteTokenizer:
    """Picks the server's endpoints (by family, else by probing) or the local tokenizer; caches results."""

    def __init__(self, call: Call, url: str, local_path: str) -> None:
        self._call = call
        self._url = url
        self._local_path = local_path
        self._model = ""
        self._chosen: Tokenizer | None = None
        self._cache: OrderedDict[str, list[int]] = OrderedDict()
        # The other way round, for recent whole prompts: the exact text some ids were tokenized from.
        self._texts: OrderedDict[tuple[int, ...], str] = OrderedDict()
        self._lock = threading.Lock()

    def choose(self, family: str, model: str) -> None:
        """Use the dialect of a known server family (from /v1/models) without probing."""
        self._model = model
        if family in DIALECTS:
            self._chosen = ServerTokenizer(self._call, DIALECTS[family], model, self._url)

    def _tokenizer(self) -> Tokenizer:
        if self._chosen is None:
            self._chosen = self._probe()
        return self._chosen

    def _probe(self) -> Tokenizer:
        for name in PROBE_ORDER:
            candidate = ServerTokenizer(self._call, DIALECTS[name], self._model, self._url)
            try:
                if candidate.tokenize("def"):  # an empty answer means the server ignored our fields
                    return candidate
            except HttpStatusError as error:
                if error.status not in (400, 404, 405, 422, 501):
                    raise
            except BadAnswerError:
                pass  # e.g. a proxy answering unknown paths with an HTML page
        if self._local_path:
            return LocalTokenizer(self._local_path)
        raise EngineError(
            f"remote engine at {self._url} has no /tokenize endpoint; set model.remoteTokenizer to a local "
            "tokenizer (model directory or .gguf file) for this server's model"
        )

    def tokenize(self, text: str) -> list[int]:
        """Token ids of `text` (no BOS added by us), from the cache when seen recently."""
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return list(self._cache[text])
        ids = self._tokenizer().tokenize(text)
        with self._lock:
            self._cache[text] = ids
            self._texts[tuple(ids)] = text
            if len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
            if len(self._texts) > TEXT_ENTRIES:
                self._texts.popitem(last=False)
        return list(ids)

    def cached(self, text: str) -> list[int] | None:
        """The ids of `text` if it was tokenized recently (no server call)."""
        with self._lock:
            ids = self._cache.get(text)
        return None if ids is None else list(ids)

    def text_of(self, ids: Sequence[int]) -> str | None:
        """The text these exact ids were recently tokenized from, if any (no server call)."""
        with self._lock:
            return self._texts.get(tuple(ids))

    def detokenize(self, ids: Sequence[int]) -> str:
        return self._tokenizer().detokenize(ids)
