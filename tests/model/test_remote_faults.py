"""The remote engine against real local servers that misbehave: down, slow, garbage, errors, cut-offs.

Every failure must be an EngineError with one sentence naming the URL, and nothing may run past the
request's deadline. Each server here is a real HTTP (or raw TCP) server on a local socket.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest
from remote_servers import (
    Handler,
    choice_event,
    free_port,
    not_http_server,
    scripted_server,
    sse_event,
)

from daima.config import ModelOptions
from daima.model.api import CancelToken, Engine, EngineError, GenerationRequest
from daima.model.remote import RemoteEngine

PROMPT = "<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n<|fim_middle|>"


def engine(url: str, timeout_ms: int = 2000, **options: Any) -> RemoteEngine:
    return RemoteEngine(ModelOptions(remote_url=url, remote_timeout_ms=timeout_ms, **options))


# How long the scripted servers stall. The timing bounds below only show that a timeout, deadline or cancel
# ended the wait long before the stall would have: bounds near the configured times fail on a busy machine.
STALL_S = 30


def slow_stream(handler: Handler, _body: Any) -> None:
    """One delta, then nothing for a long time."""
    handler.start_sse()
    handler.write(choice_event("return"))
    handler.sleep(STALL_S)


def test_engine_protocol() -> None:
    assert isinstance(engine("http://127.0.0.1:1"), Engine)


def test_server_down() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    remote = engine(url)
    started = time.monotonic()
    with pytest.raises(EngineError, match="is not reachable") as caught:
        remote.stream(GenerationRequest(prompt=PROMPT)).text()
    assert url in str(caught.value)
    assert time.monotonic() - started < STALL_S / 3  # refused at once, not retried until some timeout
    assert remote.info.name == url  # info falls back instead of raising
    with pytest.raises(EngineError, match="is not reachable"):
        remote.check()


def test_bad_url_is_refused_at_construction() -> None:
    with pytest.raises(EngineError, match="not an http"):
        engine("ftp://example.org")
    with pytest.raises(EngineError, match="remoteUrl is empty"):
        engine("")


def test_slow_server_times_out() -> None:
    with scripted_server({("POST", "/v1/completions"): lambda h, _: h.sleep(STALL_S)}) as server:
        started = time.monotonic()
        with pytest.raises(EngineError, match="did not answer within 300 ms") as caught:
            engine(server.url, timeout_ms=300).stream(GenerationRequest(prompt=PROMPT)).text()
        assert server.url in str(caught.value)
        assert time.monotonic() - started < STALL_S / 3  # long before the server's stall ends


def test_slow_server_and_deadline_before_first_byte() -> None:
    with scripted_server({("POST", "/v1/completions"): lambda h, _: h.sleep(STALL_S)}) as server:
        remote = engine(server.url, timeout_ms=10_000)
        remote.check()
        started = time.monotonic()
        stream = remote.stream(GenerationRequest(prompt=PROMPT, deadline=time.monotonic() + 0.3))
        assert stream.text() == ""
        assert time.monotonic() - started < STALL_S / 3  # long before the server's stall ends
        assert stream.stats.finish_reason == "deadline"


def test_deadline_mid_stream_keeps_what_arrived() -> None:
    with scripted_server({("POST", "/v1/completions"): slow_stream}) as server:
        remote = engine(server.url, timeout_ms=10_000)
        remote.check()
        started = time.monotonic()
        stream = remote.stream(GenerationRequest(prompt=PROMPT, deadline=time.monotonic() + 0.4))
        assert stream.text() == "return"
        assert 0.35 < time.monotonic() - started < STALL_S / 3  # at the deadline, not the stall's end
        assert stream.stats.finish_reason == "deadline"


def test_cancel_mid_stream_closes_the_connection() -> None:
    with scripted_server({("POST", "/v1/completions"): slow_stream}) as server:
        cancel = CancelToken()
        stream = engine(server.url, timeout_ms=10_000).stream(GenerationRequest(prompt=PROMPT), cancel)
        deltas = iter(stream)
        assert next(deltas) == "return"
        threading.Timer(0.2, cancel.cancel).start()
        started = time.monotonic()
        assert list(deltas) == []
        assert time.monotonic() - started < STALL_S / 3  # long before the server's stall ends
        assert stream.stats.finish_reason == "cancelled"


def test_server_that_stalls_mid_stream_times_out() -> None:
    with scripted_server({("POST", "/v1/completions"): slow_stream}) as server:
        stream = engine(server.url, timeout_ms=300).stream(GenerationRequest(prompt=PROMPT))
        deltas = iter(stream)
        assert next(deltas) == "return"
        started = time.monotonic()
        with pytest.raises(EngineError, match="did not answer within 300 ms"):
            next(deltas)
        assert time.monotonic() - started < STALL_S / 3  # long before the server's stall ends
        assert stream.stats.finish_reason == "error"


def test_info_does_not_ask_a_down_server_on_every_access() -> None:
    remote = engine(f"http://127.0.0.1:{free_port()}")
    assert remote.info.name.startswith("http://127.0.0.1:")
    asked = []
    remote.check = lambda: asked.append(1) or remote._fallback_info()  # type: ignore[method-assign]
    for _ in range(100):
        remote.info  # noqa: B018
    assert asked == []  # the failed first look is remembered until INFO_RETRY_S has passed


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (500, {"detail": "model exploded"}, "HTTP 500: .*model exploded"),
        (401, {"error": "Invalid API key"}, "HTTP 401: .*Invalid API key"),
        (404, {"detail": "Not Found"}, "HTTP 404"),
    ],
)
def test_http_errors(status: int, body: Any, expected: str) -> None:
    with scripted_server({("POST", "/v1/completions"): lambda h, _: h.send_json(status, body)}) as server:
        with pytest.raises(EngineError, match=expected) as caught:
            engine(server.url).stream(GenerationRequest(prompt=PROMPT)).text()
        assert server.url in str(caught.value)


def garbage(payload: bytes) -> Any:
    def script(handler: Handler, _body: Any) -> None:
        handler.start_sse()
        handler.write(payload)

    return script


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"data: {not json\n\n", "non-JSON event: '{not json'"),
        (sse_event({"id": "x", "object": "text_completion"}), "event without choices"),
        (sse_event({"choices": [{"text": 42}]}), "choice without text"),
        (sse_event({"error": {"message": "CUDA out of memory"}}), "reported an error: .*CUDA out of memory"),
        (b"<html><body>502 Bad Gateway</body></html>", "ended the stream before .*502 Bad Gateway"),
        (choice_event("return a"), "ended the stream before the completion finished"),  # cut off
    ],
)
def test_garbage_streams(payload: bytes, expected: str) -> None:
    with scripted_server({("POST", "/v1/completions"): garbage(payload)}) as server:
        stream = engine(server.url).stream(GenerationRequest(prompt=PROMPT))
        with pytest.raises(EngineError, match=expected):
            stream.text()
        assert stream.stats.finish_reason == "error"


def test_not_http_at_all() -> None:
    with not_http_server() as url, pytest.raises(EngineError, match="malformed HTTP response"):
        engine(url).stream(GenerationRequest(prompt=PROMPT)).text()


def test_models_listing_garbage() -> None:
    routes = {("GET", "/v1/models"): lambda h, _: h.send_json(200, {"object": "list"})}
    with scripted_server(routes) as server, pytest.raises(EngineError, match="lists no models"):
        engine(server.url).check()


def test_unknown_model_name_lists_what_is_served() -> None:
    with (
        scripted_server({}) as server,
        pytest.raises(EngineError, match=r"does not serve 'other' .*scripted"),
    ):
        engine(server.url, remote_model="other").check()


def test_no_tokenizer_anywhere_says_what_to_set() -> None:
    with scripted_server({}) as server, pytest.raises(EngineError, match=r"model\.remoteTokenizer"):
        engine(server.url).tokenize("def f(): pass")


def good_stream(handler: Handler, _body: Any) -> None:
    """A well-behaved stream cut into awkward pieces: CRLF line ends, a stop string split in two."""
    handler.start_sse()
    for piece in (b": ping\r\n\r\n", choice_event("return a")[:9], choice_event("return a")[9:]):
        handler.write(piece)
    handler.write(choice_event(" + b\n\n").replace(b"\n", b"\r\n"))
    handler.write(choice_event("def sub", "length"))
    handler.write(sse_event({"choices": [], "usage": {"prompt_tokens": 17, "completion_tokens": 9}}))
    handler.write(b"data: [DONE]\n\n")


def test_request_body_headers_stop_strings_and_usage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAIMA_TEST_KEY", "s3cret")
    with scripted_server({("POST", "/v1/completions"): good_stream}) as server:
        remote = engine(server.url, remote_api_key_env="DAIMA_TEST_KEY")
        request = GenerationRequest(
            prompt=PROMPT, max_tokens=9, stop=("\n\n",), seed=7, logit_bias={151643: -1000.0, 42: 2.5}
        )
        stream = remote.stream(request)
        assert stream.text() == "return a + b"
        # Stopped here, before the server's usage event: the count falls back to one token per event.
        assert (stream.stats.finish_reason, stream.stats.generated_tokens) == ("stop", 2)
        assert stream.stats.time_to_first_token_s is not None
        method, path, headers, body = server.requests[-1]
        assert (method, path, headers["Authorization"]) == ("POST", "/v1/completions", "Bearer s3cret")
        assert body["prompt"] == PROMPT and body["model"] == "scripted" and body["stream"] is True
        assert (body["max_tokens"], body["stop"], body["seed"]) == (9, ["\n\n"], 7)
        assert body["logit_bias"] == {"151643": -100.0, "42": 2.5}  # clamped to the API's range
        assert "stop_token_ids" not in body  # an unknown server family might reject it


def test_usage_and_length_finish_without_stop_strings() -> None:
    with scripted_server({("POST", "/v1/completions"): good_stream}) as server:
        stream = engine(server.url).stream(GenerationRequest(prompt=PROMPT, max_tokens=9))
        assert stream.text() == "return a + b\n\ndef sub"
        assert stream.stats.finish_reason == "length"
        assert (stream.stats.prompt_tokens, stream.stats.generated_tokens) == (17, 9)
        assert 0 < (stream.stats.time_to_first_token_s or 0) <= stream.stats.total_s


def test_forced_prefix_fallback_appends_and_yields_it_first() -> None:
    with scripted_server({("POST", "/v1/completions"): good_stream}) as server:
        remote = engine(server.url)
        assert remote.info.supports_forced_prefix is False
        stream = remote.stream(GenerationRequest(prompt="x = ", forced_prefix="ret", stop=("\n\n",)))
        assert stream.text() == "retreturn a + b"  # the scripted server ignores the prompt
        assert server.requests[-1][3]["prompt"] == "x = ret"


def test_server_that_ignores_stream_and_sends_json() -> None:
    answer = {
        "choices": [{"text": "return a + b", "finish_reason": "stop"}],
        "usage": {"completion_tokens": 5},
    }
    with scripted_server({("POST", "/v1/completions"): lambda h, _: h.send_json(200, answer)}) as server:
        stream = engine(server.url).stream(GenerationRequest(prompt=PROMPT))
        assert stream.text() == "return a + b"
        assert (stream.stats.finish_reason, stream.stats.generated_tokens) == ("stop", 5)


def test_zero_max_tokens_asks_nothing() -> None:
    with scripted_server({("POST", "/v1/completions"): good_stream}) as server:
        stream = engine(server.url).stream(GenerationRequest(prompt=PROMPT, max_tokens=0))
        assert (stream.text(), stream.stats.finish_reason) == ("", "length")
        assert server.requests == []


def test_nothing_is_sent_before_iteration() -> None:
    with scripted_server({("POST", "/v1/completions"): good_stream}) as server:
        remote = engine(server.url)
        remote.stream(GenerationRequest(prompt=PROMPT))
        time.sleep(0.1)
        assert server.requests == []


@pytest.mark.slow
def test_local_tokenizer_when_the_server_has_no_tokenize_endpoint() -> None:
    from daima.model.fetch import ensure_model  # the converted model directory has tokenizer.json

    with scripted_server({}) as server:
        remote = engine(server.url, remote_tokenizer=str(ensure_model("qwen2.5-coder-0.5b")))
        assert remote.tokenize("计算总价") == [100768, 118123]
        fim = "<|fim_prefix|>def 计算总价("
        assert remote.detokenize(remote.tokenize(fim)) == fim
        assert [path for _, path, _, _ in server.requests] == ["/v1/models", "/tokenize", "/extras/tokenize"]


def tokenize_route(handler: Handler, body: Any) -> None:
    handler.send_json(200, {"tokens": [len(body["prompt"]), 7]})


def test_json_calls_keep_the_connection_alive() -> None:
    with scripted_server({("POST", "/tokenize"): tokenize_route}) as server:
        remote = engine(server.url)
        assert [remote.tokenize(text) for text in ("a", "bb", "ccc")] == [[1, 7], [2, 7], [3, 7]]
        assert server.requests[-1][1] == "/tokenize"
        assert len(set(server.clients)) == 1  # /v1/models and every /tokenize on one connection


def test_a_connection_the_server_dropped_is_replaced() -> None:
    def hang_up_after_answering(handler: Handler, body: Any) -> None:
        tokenize_route(handler, body)
        handler.close_connection = True  # closed without saying "Connection: close"

    with scripted_server({("POST", "/tokenize"): hang_up_after_answering}) as server:
        remote = engine(server.url)
        assert remote.tokenize("a") == [1, 7]
        time.sleep(0.05)  # let the server's close reach the client's socket
        assert remote.tokenize("bb") == [2, 7]
        assert len(set(server.clients)) >= 2


@pytest.mark.parametrize(
    ("owner", "tokenize_path", "text_field", "body_has", "body_lacks"),
    [
        ("vllm", "/tokenize", "prompt", {"stop_token_ids": [151643]}, ["repeat_penalty", "top_k"]),
        ("sglang", "/tokenize", "prompt", {"stop_token_ids": [151643]}, ["repeat_penalty"]),
        ("llamacpp", "/tokenize", "content", {"repeat_penalty": 1.0, "top_k": 0}, ["stop_token_ids"]),
        ("me", "/extras/tokenize", "input", {"repeat_penalty": 1.0, "min_p": 0.0}, ["stop_token_ids"]),
    ],
)
def test_server_families_get_their_own_fields(
    owner: str, tokenize_path: str, text_field: str, body_has: dict[str, Any], body_lacks: list[str]
) -> None:
    models = {"data": [{"id": "m", "owned_by": owner, "max_model_len": 8192}]}
    routes = {
        ("GET", "/v1/models"): lambda h, _: h.send_json(200, models),
        ("POST", tokenize_path): lambda h, body: h.send_json(200, {"tokens": [len(body[text_field])]}),
        ("POST", "/v1/completions"): good_stream,
    }
    with scripted_server(routes) as server:
        remote = engine(server.url)
        assert remote.tokenize("abc") == [3]
        assert remote.check().context_length == 8192
        remote.stream(GenerationRequest(prompt="x", stop_token_ids=(151643,))).text()
        body = server.requests[-1][3]
        assert body_has.items() <= body.items()
        assert not set(body_lacks) & set(body)


def dribble_stream(handler: Handler, _body: Any) -> None:
    """A delta every 20 ms until the client hangs up (the write fails), as a real server does."""
    handler.start_sse()
    for _ in range(1500):
        handler.write(choice_event("return"))
        handler.sleep(0.02)


def test_cancellation_storm_leaks_no_threads_or_sockets() -> None:
    """Each keystroke cancels the previous request: 100 in a row, each after its first delta."""

    def open_fds() -> int:
        return len(os.listdir("/proc/self/fd"))  # client and server sockets alike (same process)

    with scripted_server({("POST", "/v1/completions"): dribble_stream}) as server:
        remote = engine(server.url, timeout_ms=10_000)
        remote.check()
        threads, fds = threading.active_count(), open_fds()
        started = time.monotonic()
        for _ in range(100):
            cancel = CancelToken()
            stream = remote.stream(GenerationRequest(prompt=PROMPT), cancel)
            deltas = iter(stream)
            assert next(deltas) == "return"
            cancel.cancel()
            assert list(deltas) == []
            assert stream.stats.finish_reason == "cancelled"
        assert time.monotonic() - started < 10
        # The server sees each disconnect on its next write and ends that handler; nothing piles up.
        end = time.monotonic() + 10  # generous for a loaded CI machine; normally ~0.1 s
        while time.monotonic() < end and (threading.active_count() > threads or open_fds() > fds):
            time.sleep(0.05)
        assert [t for t in threading.enumerate() if t.name == "daima-remote-watch"] == []
        assert threading.active_count() <= threads, [t.name for t in threading.enumerate()]
        assert open_fds() <= fds, sorted(os.listdir("/proc/self/fd"))
