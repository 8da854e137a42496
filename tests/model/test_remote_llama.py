"""The remote engine against a real OpenAI-compatible server: llama-cpp-python serving the 0.5B GGUF.

The server is started once for this module on a free local port (with an API key, so the Bearer
header is exercised on every call) and stopped after. Greedy decoding keeps the outputs stable.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Iterator

import pytest
from remote_servers import LlamaServer, gguf_path

from daima.config import ModelOptions
from daima.model.api import CancelToken, EngineError, GenerationRequest
from daima.model.remote import RemoteEngine

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None,
        reason="llama-cpp-python[server] is not installed (pip install -e '.[test-remote]'; it builds from "
        "source, ~5-14 min on 2 cores)",
    ),
]

FIM_ADD = "<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n<|fim_middle|>"
API_KEY_ENV = "DAIMA_TEST_REMOTE_KEY"


@pytest.fixture(scope="module")
def server() -> Iterator[LlamaServer]:
    running = LlamaServer(gguf_path(), api_key="daima-test-key")
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


@pytest.fixture
def remote(server: LlamaServer, monkeypatch: pytest.MonkeyPatch) -> RemoteEngine:
    monkeypatch.setenv(API_KEY_ENV, server.api_key)
    return RemoteEngine(
        ModelOptions(remote_url=server.url, remote_api_key_env=API_KEY_ENV, remote_timeout_ms=60_000)
    )


def test_info_names_the_model_and_its_fim_tokens(remote: RemoteEngine) -> None:
    info = remote.check()
    assert info.name == "qwen2.5-coder-0.5b"
    assert {"<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|endoftext|>"} <= info.special_tokens
    assert "<fim_prefix>" not in info.special_tokens  # StarCoder's spelling is not one token here
    assert info.supports_forced_prefix is False


def test_fim_completion_streams(remote: RemoteEngine) -> None:
    stream = remote.stream(GenerationRequest(prompt=FIM_ADD, max_tokens=8))
    deltas = list(stream)
    assert len(deltas) > 2  # really streamed, not one block
    assert "".join(deltas).startswith("return a + b")
    stats = stream.stats
    assert stats.finish_reason == "length"
    assert stats.generated_tokens == 8
    assert stats.time_to_first_token_s is not None and 0 < stats.time_to_first_token_s <= stats.total_s


def test_stop_strings(remote: RemoteEngine) -> None:
    stream = remote.stream(GenerationRequest(prompt=FIM_ADD, max_tokens=24, stop=("\n",)))
    assert stream.text() == "return a + b"
    assert stream.stats.finish_reason == "stop"


def test_chinese_identifiers_round_trip_through_the_servers_tokenizer(remote: RemoteEngine) -> None:
    assert remote.tokenize("计算总价") == [100768, 118123]
    text = "def 计算总价(商品列表):\n    return sum(商品.价格 for 商品 in 商品列表)\n"
    ids = remote.tokenize(text)
    assert remote.detokenize(ids) == text
    # A token may end inside a UTF-8 character (" \xe8\xae" + "\xa1"); only whole ids decode cleanly.
    assert remote.tokenize("def 计算总价")[:3] == [750, 33424, 94]


def test_chinese_completion(remote: RemoteEngine) -> None:
    prompt = (
        "<|fim_prefix|>def 计算总价(商品列表):\n    总价 = 0\n    for 商品 in 商品列表:\n        "
        "<|fim_suffix|>\n    return 总价\n<|fim_middle|>"
    )
    text = remote.stream(GenerationRequest(prompt=prompt, max_tokens=12, stop=("\n",))).text()
    assert "总价" in text and "\ufffd" not in text


def test_cancel_mid_stream_then_the_server_still_answers(remote: RemoteEngine) -> None:
    cancel = CancelToken()
    stream = remote.stream(GenerationRequest(prompt=FIM_ADD, max_tokens=400), cancel)
    deltas = iter(stream)
    first = next(deltas)
    assert first
    threading.Timer(0.05, cancel.cancel).start()
    started = time.monotonic()
    rest = "".join(deltas)
    assert time.monotonic() - started < 5  # 400 tokens take ~20 s at this server's ~20 tokens/s on 2 cores
    assert stream.stats.finish_reason == "cancelled"
    assert len(first + rest) < 400  # it stopped long before max_tokens
    # llama-cpp-python notices the disconnect after its next token and frees its lock.
    again = remote.stream(GenerationRequest(prompt=FIM_ADD, max_tokens=4)).text()
    assert again.startswith("return a")


def test_deadline(remote: RemoteEngine) -> None:
    started = time.monotonic()
    stream = remote.stream(GenerationRequest(prompt=FIM_ADD, max_tokens=400, deadline=time.monotonic() + 0.8))
    text = stream.text()
    assert time.monotonic() - started < 5  # the deadline, not the 400 tokens (~20 s on 2 cores), ended it
    assert stream.stats.finish_reason == "deadline"
    assert text == "" or "return a + b".startswith(text[:12])


def test_forced_prefix_fallback(remote: RemoteEngine) -> None:
    # The fallback appends the forced text to the prompt and yields it first. At a token boundary that
    # is exact; inside a token ("retu") the model continues oddly, which is why info says no healing.
    request = GenerationRequest(prompt=FIM_ADD, forced_prefix="return", max_tokens=6, stop=("\n",))
    assert remote.stream(request).text() == "return a + b"


def test_logit_bias_is_honoured(remote: RemoteEngine) -> None:
    (banana,) = remote.tokenize(" banana")
    text = remote.stream(GenerationRequest(prompt=FIM_ADD, max_tokens=1, logit_bias={banana: 100.0})).text()
    assert text == " banana"


def test_token_id_prompts_fall_back_to_text(remote: RemoteEngine) -> None:
    # llama-cpp-python takes only text prompts (HTTP 422 for ids). The ids of a prompt the caller just
    # tokenized map back to its exact text; other ids are detokenized between the FIM markers (its
    # /extras/detokenize drops special tokens) and checked by tokenizing the result again.
    ids = remote.tokenize(FIM_ADD)
    stream = remote.stream(GenerationRequest(prompt=ids, max_tokens=5))
    assert stream.text().startswith("return a + b")
    assert stream.stats.prompt_tokens == len(ids)  # llama-cpp-python sends no usage; the ids tell
    fresh = RemoteEngine(remote._options)  # empty caches: the detokenize path
    request = GenerationRequest(prompt=ids, max_tokens=5)
    assert (
        fresh.stream(request).text() == remote.stream(GenerationRequest(prompt=FIM_ADD, max_tokens=5)).text()
    )


def test_wrong_api_key(server: LlamaServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_KEY_ENV, "wrong")
    remote = RemoteEngine(ModelOptions(remote_url=server.url, remote_api_key_env=API_KEY_ENV))
    with pytest.raises(EngineError, match="HTTP 401"):
        remote.check()
