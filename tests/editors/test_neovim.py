"""The Neovim plugin: headless Neovim against the real `daima serve` (model "none"), :checkhealth,
and the terminal capture (tmux) used in docs/editors/neovim.md."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from editor_env import NEOVIM, REPO, overhead_stats


def run_nvim(nvim: str, script: Path, env: dict[str, str], timeout: int = 180) -> str:
    result = subprocess.run(
        [
            nvim,
            "--headless",
            "--clean",
            "-u",
            "NONE",
            "--cmd",
            f"set rtp^={NEOVIM}",
            "-c",
            f"luafile {script}",
        ],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return output


def plugin_env(daima_exe: Path, tmp_path: Path, encoding: str) -> dict[str, str]:
    """What the headless plugin tests read: the server command, a scratch folder, the encoding."""
    return {
        "DAIMA_CMD": json.dumps([str(daima_exe), "serve"]),
        "DAIMA_WORKDIR": str(tmp_path),
        "DAIMA_ENCODING": encoding,
    }


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
def test_plugin_against_real_server(nvim: str, daima_exe: Path, tmp_path: Path, encoding: str) -> None:
    env = plugin_env(daima_exe, tmp_path, encoding)
    output = run_nvim(nvim, NEOVIM / "tests" / "test_plugin.lua", env)
    assert " 0 failed" in output and "FAIL" not in output, output[-6000:]
    # The overhead is a figure to report (README "Editors"), not a pass mark: it depends on the machine's load.
    stats = overhead_stats(output)
    print(f"Neovim client overhead ({encoding}, ms):", stats)
    assert stats["send"]["count"] > 0 and stats["draw_response"]["count"] > 0, stats


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
def test_next_edit_in_neovim(nvim: str, daima_exe: Path, tmp_path: Path, encoding: str) -> None:
    """A rename and an added parameter, made with normal-mode keys: proposals drawn at their places,
    jumped to and applied with one key, cleared by typing; the key falls back when none is shown."""
    output = run_nvim(nvim, NEOVIM / "tests" / "test_next_edit.lua", plugin_env(daima_exe, tmp_path, encoding))
    assert "3 passed, 0 failed" in output and "FAIL" not in output, output[-6000:]


def test_checkhealth(nvim: str, daima_exe: Path, tmp_path: Path) -> None:
    env = {"DAIMA_CMD": json.dumps([str(daima_exe), "serve"]), "DAIMA_WORKDIR": str(tmp_path)}
    report = run_nvim(nvim, NEOVIM / "tests" / "test_health.lua", env)
    assert "ERROR" not in report, report
    for expected in (
        "setup() called",
        "server command:",
        "attached to buffer(s)",
        "identifier completion only",
    ):
        assert expected in report, report


def test_checkhealth_calls_a_slow_import_slow(nvim: str, daima_exe: Path, tmp_path: Path) -> None:
    """A probe that outlives its timeout is a warning that says so: a busy machine is not an error."""
    env = {
        "DAIMA_CMD": json.dumps([str(daima_exe), "serve"]),
        "DAIMA_WORKDIR": str(tmp_path),
        "DAIMA_HEALTH_PROBE_MS": "1",  # nothing imports torch in a millisecond
    }
    report = run_nvim(nvim, NEOVIM / "tests" / "test_health.lua", env)
    assert "ERROR" not in report, report
    assert "importing daima and torch took more than" in report, report


def test_checkhealth_says_what_to_do(nvim: str, tmp_path: Path) -> None:
    env = {
        "DAIMA_CMD": json.dumps([str(tmp_path / "no-such-daima"), "serve"]),
        "DAIMA_WORKDIR": str(tmp_path),
    }
    report = run_nvim(nvim, NEOVIM / "tests" / "test_health.lua", env)
    assert "ERROR" in report and "is not executable" in report, report
    assert "pip install -e ." in report, report


def test_terminal_capture(nvim: str, daima_exe: Path, tmp_path: Path) -> None:
    """Types in a real terminal (tmux) and keeps the screen for docs/editors/neovim.md."""
    tmux = shutil.which("tmux")
    if tmux is None:
        pytest.skip("tmux is not installed (apt-get install tmux); it only makes the doc's capture")
    source = REPO / "editors" / "neovim" / "tests" / "capture.lua"
    (tmp_path / "daima-test-root").write_text("")  # the workspace root (capture.lua's root_markers)
    demo = tmp_path / "购物车.py"
    demo.write_text(
        'def 计算总价(商品列表):\n    """😀 求和"""\n    return sum(商品列表)\n\n', encoding="utf-8"
    )
    session = f"daima-capture-{os.getpid()}"
    env = {**os.environ, "DAIMA_CMD": json.dumps([str(daima_exe), "serve"]), "TERM": "xterm-256color"}
    command = f"{nvim} --clean -u NONE --cmd 'set rtp^={NEOVIM}' -c 'luafile {source}' {demo}"
    subprocess.run(
        [tmux, "new-session", "-d", "-s", session, "-x", "72", "-y", "10", command], env=env, check=True
    )
    try:

        def screen() -> str:
            return subprocess.run(
                [tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=True
            ).stdout

        def send(*keys: str) -> None:
            subprocess.run([tmux, "send-keys", "-t", session, *keys], check=True)

        deadline = time.monotonic() + 60
        while "daima (no model)" not in screen() and time.monotonic() < deadline:
            time.sleep(0.2)
        send("4G", "o", "    😀 = 计算总")
        deadline = time.monotonic() + 20
        while "😀 = 计算总价" not in screen() and time.monotonic() < deadline:
            time.sleep(0.1)
        captured = screen()
        assert "😀 = 计算总价" in captured, captured
        (REPO / "docs" / "editors" / "neovim-capture.txt").write_text(
            captured.rstrip() + "\n", encoding="utf-8"
        )
    finally:
        subprocess.run([tmux, "kill-session", "-t", session], check=False)


@pytest.mark.slow
def test_real_model_pattern_edit_in_neovim(nvim: str, daima_exe: Path, tmp_path: Path) -> None:
    """Qwen2.5-Coder-0.5B on CPU decides a pattern edit; Neovim draws it and applies it with one key."""
    env = {"DAIMA_CMD": json.dumps([str(daima_exe), "serve"]), "DAIMA_WORKDIR": str(tmp_path)}
    output = run_nvim(nvim, NEOVIM / "tests" / "test_model_next_edit.lua", env, timeout=420)
    assert "1 passed, 0 failed" in output, output[-6000:]


@pytest.mark.slow
def test_real_model_streams_into_neovim(nvim: str, daima_exe: Path, tmp_path: Path) -> None:
    """Qwen2.5-Coder-0.5B on CPU: a partial ghost text is drawn before the final one; accept inserts it."""
    env = {"DAIMA_CMD": json.dumps([str(daima_exe), "serve"]), "DAIMA_WORKDIR": str(tmp_path)}
    output = run_nvim(nvim, NEOVIM / "tests" / "test_model.lua", env, timeout=420)
    assert "1 passed, 0 failed" in output, output[-6000:]
    print(next(line for line in output.splitlines() if line.startswith("partial")))
