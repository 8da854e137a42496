"""The model's load, step by step: `daima/status` carries the step (download, conversion, weights,
engine, remote connection) and LSP work-done progress shows it in editors that know nothing of daima."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from daima.config import ModelOptions
from daima.lsp.engine_host import EngineHost, EngineStatus
from daima.model.api import EngineInfo

SERVER = [sys.executable, "-m", "daima", "serve"]


class _Engine:
    info = EngineInfo(name="stand-in", device="cpu")


def test_each_step_of_a_load_is_a_status(monkeypatch: pytest.MonkeyPatch) -> None:
    def load_engine(options: ModelOptions, on_stage) -> _Engine:  # the loader's own steps, in order
        for step in (
            "downloading m (500 MB, the first time only)",
            "converting the weights",
            "loading the weights of m",
        ):
            on_stage(step)
        return _Engine()

    monkeypatch.setattr("daima.model.loader.load_engine", load_engine)
    seen: list[EngineStatus] = []
    host = EngineHost(seen.append)
    thread = host.load(ModelOptions(name="qwen2.5-coder-0.5b"))
    assert thread is not None
    thread.join(10)
    assert [(s.state, s.message) for s in seen] == [
        ("loading", ""),
        ("loading", "downloading m (500 MB, the first time only)"),
        ("loading", "converting the weights"),
        ("loading", "loading the weights of m"),
        ("ready", ""),
    ]


def test_the_engine_is_warmed_before_it_is_announced_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    # The warm-up runs on the engine's worker: a request queued behind it (the first pause in a file
    # just opened, warmed on "ready") would wait seconds for it and miss its deadline.
    seen: list[EngineStatus] = []

    class _Warmed(_Engine):
        def warm(self) -> None:
            seen.append(EngineStatus("warming"))

    monkeypatch.setattr("daima.model.loader.load_engine", lambda options, on_stage: _Warmed())
    host = EngineHost(seen.append)
    thread = host.load(ModelOptions(name="qwen2.5-coder-0.5b"))
    assert thread is not None
    thread.join(10)
    assert [(s.state, s.message) for s in seen][-3:] == [
        ("loading", "measuring the prefill speed"),
        ("warming", ""),
        ("ready", ""),
    ]


def test_a_superseded_load_reports_no_more_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def load_engine(options: ModelOptions, on_stage) -> _Engine:
        release.wait(10)
        on_stage(f"loading the weights of {options.name}")
        return _Engine()

    monkeypatch.setattr("daima.model.loader.load_engine", load_engine)
    seen: list[EngineStatus] = []
    host = EngineHost(seen.append)
    first = host.load(ModelOptions(name="qwen2.5-coder-0.5b"))
    host.load(ModelOptions(name="none"))  # the user switched the model off meanwhile
    release.set()
    assert first is not None
    first.join(10)
    assert [s.state for s in seen] == ["loading", "disabled"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tmp_path: Path):
    lsp_client.daima_status = []  # type: ignore[attr-defined]

    @lsp_client.feature("daima/status")
    def on_status(params) -> None:
        lsp_client.daima_status.append(params)  # type: ignore[attr-defined]

    url = f"http://127.0.0.1:{_closed_port()}/v1"
    options = {"model": {"remoteUrl": url, "remoteTimeoutMs": 2000}, "index": {"enabled": False}}
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), initialization_options=options,
            root_uri=tmp_path.as_uri(),
        )
    )  # fmt: skip
    lsp_client.remote_url = url  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def test_the_load_is_work_done_progress(client: LanguageClient) -> None:
    for _ in range(300):
        if any(s.state == "error" for s in client.daima_status):  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.1)
    messages = [(s.state, s.message) for s in client.daima_status]  # type: ignore[attr-defined]
    url = client.remote_url  # type: ignore[attr-defined]
    assert ("loading", f"connecting to {url}") in messages and messages[-1][0] == "error", messages
    for _ in range(50):  # the end follows the error status on the event loop
        reports = [r for values in client.progress_reports.values() for r in values]
        if any(isinstance(r, lsp.WorkDoneProgressEnd) for r in reports):
            break
        await asyncio.sleep(0.1)
    [values] = [
        v
        for v in client.progress_reports.values()
        if v and getattr(v[0], "title", "") == "daima: loading the model"
    ]
    assert isinstance(values[0], lsp.WorkDoneProgressBegin)
    assert f"connecting to {url}" in [getattr(v, "message", None) for v in values]
    assert isinstance(values[-1], lsp.WorkDoneProgressEnd) and "failed to load" in (values[-1].message or "")


def test_a_loaded_engine_is_warmed_on_the_loading_thread(tmp_path: Path, fetched_model_dir: Path) -> None:
    """One-time costs (the token-healing index) are paid after the load, not by the first keystroke."""
    from daima.model import detok
    from daima.model.testing import tiny_model_dir

    detok._TABLES.clear()  # no table built by an earlier test
    host = EngineHost(lambda status: None)
    tiny = str(tiny_model_dir(tmp_path / "tiny"))
    thread = host.load(ModelOptions(name=tiny, device="cpu", quantize="none"))
    assert thread is not None
    thread.join(120)
    engine = host.engine
    assert engine is not None and "_prefix_index" in vars(engine.token_bytes)
    engine.close()
