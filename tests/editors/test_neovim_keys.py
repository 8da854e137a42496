"""Keys that arrive together in a real terminal (fast typing, a macro, a mapping, `.` repeat): with no
suggestion shown, daima's <Tab> does exactly what it did before daima mapped it, in order, whatever kind
of mapping another plugin had put on it. Neovim in tmux, each case compared with Neovim without daima."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from editor_env import NEOVIM

KINDS = ["none", "string", "lua_expr", "vim_expr", "callback", "plug"]


def type_at_once(nvim: str, daima_exe: Path, tmp_path: Path, kind: str, with_daima: bool) -> str:
    """The file after `A<Tab>z<Esc>:wq<CR>` is sent to Neovim in one write, as a fast typist's keys come."""
    tmux = shutil.which("tmux")
    if tmux is None:
        pytest.skip("tmux is not installed (apt-get install tmux)")
    (tmp_path / "daima-test-root").write_text("")
    target = tmp_path / f"{kind}-{int(with_daima)}.py"
    target.write_text("x = 1\n", encoding="utf-8")
    script = NEOVIM / "tests" / "tab_fallback.lua"
    env = {
        **os.environ, "TERM": "xterm-256color", "TAB_KIND": kind, "TAB_FILE": str(target),
        "WITH_DAIMA": "1" if with_daima else "0", "DAIMA_CMD": json.dumps([str(daima_exe), "serve"]),
    }  # fmt: skip
    session = f"daima-keys-{os.getpid()}-{kind}-{int(with_daima)}"
    command = f"{nvim} --clean -u NONE --cmd 'set rtp^={NEOVIM}' -c 'luafile {script}'"
    subprocess.run(
        [tmux, "new-session", "-d", "-s", session, "-x", "60", "-y", "8", command], env=env, check=True
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            screen = subprocess.run(
                [tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True, check=False
            ).stdout
            if "READY" in screen:
                break
            time.sleep(0.1)
        time.sleep(0.5)  # the server attaches to the buffer (with daima)
        subprocess.run([tmux, "send-keys", "-t", session, "A\tz\x1b:wq\r"], check=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            alive = subprocess.run([tmux, "has-session", "-t", session], capture_output=True, check=False)
            if alive.returncode != 0:
                break
            time.sleep(0.1)
        return target.read_text("utf-8")
    finally:
        subprocess.run([tmux, "kill-session", "-t", session], capture_output=True, check=False)


@pytest.mark.parametrize("kind", KINDS)
def test_tab_falls_back_in_order_when_keys_arrive_together(
    nvim: str, daima_exe: Path, tmp_path: Path, kind: str
) -> None:
    without = type_at_once(nvim, daima_exe, tmp_path, kind, with_daima=False)
    with_daima = type_at_once(nvim, daima_exe, tmp_path, kind, with_daima=True)
    assert without.endswith("z\n") and without != "x = 1\n", without  # the keys did run, in order
    assert with_daima == without
