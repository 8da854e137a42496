"""A workspace whose packages share a name with the server's own dependencies (someone working on
pygls, markupsafe or jinja2) is code to index, never code the server imports, however it is started."""

from __future__ import annotations

from pathlib import Path

from stdio_server import frame, initialize, start_server

from daima.lsp.framing import FrameReader


def test_python_m_daima_serve_in_a_workspace_with_a_pygls_package(tmp_path: Path) -> None:
    for name in ("pygls", "lsprotocol", "markupsafe"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"raise ImportError('the workspace copy of {name}')\n")
    server = start_server(tmp_path)
    assert server.stdin is not None and server.stdout is not None and server.stderr is not None
    server.stdin.write(frame(initialize(tmp_path, {"model": {"name": "none"}, "index": {"watch": False}})))
    server.stdin.write(frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
    server.stdin.write(frame({"jsonrpc": "2.0", "method": "exit"}))
    server.stdin.close()
    reader = FrameReader(server.stdout)
    answers = []
    while (item := reader.next()) is not None:
        if isinstance(item, dict) and "id" in item:
            answers.append(item)
    server.wait(60)
    stderr = server.stderr.read().decode("utf-8", "replace")
    assert "the workspace copy" not in stderr, stderr
    assert [a["id"] for a in answers] == [1, 2] and "capabilities" in answers[0]["result"]
