"""The VS Code extension: type check, lint, its Node tests against the real server, and the .vsix.

The Node tests (editors/vscode/test/) run the extension with a stand-in `vscode` module and speak LSP
to `daima serve` (model "none") over stdio; this wrapper fails when any of them fails.
"""

from __future__ import annotations

import os
import struct
import subprocess
import zipfile

import pytest
from editor_env import VSCODE, overhead_stats


def npm(
    *args: str, env: dict[str, str] | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["npm", "--prefix", str(VSCODE), "run", "-s", *args],
        cwd=VSCODE,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def check(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    return output


def test_lint(node: str) -> None:
    # Type-aware eslint; the type check itself (`tsc`) is the first step of `npm test` below.
    check(npm("lint"))


def test_extension_and_protocol_against_real_server(node: str, daima_exe) -> None:
    output = check(npm("test", env={"DAIMA_SERVER": str(daima_exe)}))
    assert "# fail 0" in output and "# pass 0" not in output, output[-3000:]
    stats = overhead_stats(output)
    print("VS Code client overhead (ms):", stats)
    # The overhead is a figure to report (README "Editors"), not a pass mark: it depends on the machine's load.
    assert stats["send"]["count"] >= 20 and stats["drawResponse"]["count"] > 0, stats


def test_vsix_package(node: str) -> None:
    check(npm("package"))
    vsix = VSCODE / "out" / "daima.vsix"
    with zipfile.ZipFile(vsix) as archive:
        names = set(archive.namelist())
    # One bundled file (esbuild) with its dependencies inside: no sources, no tests, no node_modules.
    assert "extension/package.json" in names and "extension/dist/extension.js" in names
    assert "extension/images/icon.png" in names and "extension/walkthrough/keys.md" in names
    icon = (VSCODE / "images" / "icon.png").read_bytes()
    assert icon[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", icon[16:24]) == (128, 128)  # the gallery's size
    assert not any("node_modules" in name or name.startswith(("extension/src/", "extension/out/")) for name in names)
    assert len(names) <= 12, sorted(names)


@pytest.mark.slow
def test_real_model_streams_into_vscode(node: str, daima_exe) -> None:
    """The extension with Qwen2.5-Coder-0.5B on CPU: partial text first, then the final item."""
    check(npm("compile"))
    result = subprocess.run(
        ["node", "--test", "out/test/model.test.js"],
        cwd=VSCODE,
        env={**os.environ, "DAIMA_SERVER": str(daima_exe), "DAIMA_MODEL_TEST": "1"},
        capture_output=True,
        text=True,
        timeout=420,
    )
    output = check(result)
    assert "# pass 1" in output and "# skipped 0" in output, output[-3000:]
    print(next(line for line in output.splitlines() if "partial" in line))
