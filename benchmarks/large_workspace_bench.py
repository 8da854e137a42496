"""A workspace of many files (100,000 by default) opened in the real server: how long the first index
takes, how much memory the server holds, and whether it answers while it indexes.

The files are our own, made by a seeded generator (Python and JavaScript modules with Chinese and
English names, in nested folders), so the run needs nothing but this checkout. The server is
`daima serve` over stdio with the model off (`model.name: none`), so what is measured is the index and
the server around it. While the first index runs, a file is opened and every 0.25 s the client asks for
`daima/status` and an inline completion there (identifier completion): the answers' latencies are the
server answering while it indexes.

    .venv/bin/python benchmarks/large_workspace_bench.py [--files 100000] [--tag NAME]

Writes benchmarks/results/large_workspace_<tag>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.lsp_stdio import Server

RESULTS = Path(__file__).parent / "results"
POLL_S = 0.25
_ZH = "价格 数量 商品 订单 客户 库存 折扣 总价 日期 地址 名称 编号 状态 记录 结果".split()  # noqa: SIM905
_EN = "price count item order customer stock discount total date address name code state log".split()  # noqa: SIM905


def make_workspace(root: Path, files: int, seed: int = 0) -> None:
    """`files` small modules in folders of 100, half Python and half JavaScript."""
    rng = random.Random(seed)
    for number in range(files):
        folder = root / f"pkg{number // 10000}" / f"sub{(number // 100) % 100}"
        if number % 100 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        words = _ZH if number % 3 else _EN
        a, b, c = rng.sample(words, 3)
        if number % 2:
            text = (
                f"def 计算{a}_{number}({b}, {c}):\n    结果 = {b} * {c}\n    return 结果\n\n\n"
                f"class {a.title() if a.isascii() else a}{number}:\n"
                f"    def {b}(self):\n        return {number}\n"
            )
            (folder / f"m{number}.py").write_text(text, "utf-8")
        else:
            text = (
                f"export function {a}{number}({b}, {c}) {{\n  const 结果 = {b} + {c};\n  return 结果;\n}}\n"
            )
            (folder / f"m{number}.js").write_text(text, "utf-8")


def _rss_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def run(files: int) -> dict[str, Any]:
    base = Path(tempfile.mkdtemp(prefix="daima-large-"))
    root, cache = base / "ws", base / "cache"
    root.mkdir()
    began = time.monotonic()
    make_workspace(root, files)
    made_s = time.monotonic() - began
    os.environ["XDG_CACHE_HOME"] = str(cache)  # a fresh index database, inherited by the server
    server = Server(root)
    try:
        started = time.monotonic()
        server.initialize(
            root,
            {"model": {"name": "none"}, "index": {"watch": False}},
            {"window": {"workDoneProgress": True}},
        )
        opened = root / "pkg0" / "sub0" / "m1.py"
        text = opened.read_text("utf-8") + "\ndef 新的():\n    return 结"
        uri = opened.as_uri()
        server.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": text}})  # fmt: skip
        line = text.count("\n")
        position = {"line": line, "character": len(text.rsplit("\n", 1)[1])}
        latencies: dict[str, list[float]] = {"daima/status": [], "textDocument/inlineCompletion": []}
        ready = None
        peak: dict[str, int] = {}
        while ready is None and time.monotonic() - started < 3600:
            for method, params in (
                ("daima/status", {}),
                ("textDocument/inlineCompletion", {"textDocument": {"uri": uri}, "position": position,
                                                   "context": {"triggerKind": 2}}),
            ):  # fmt: skip
                asked = time.monotonic()
                server.request(method, params)
                latencies[method].append((time.monotonic() - asked) * 1000)
            for item in server.notifications:
                value = (item.get("params") or {}).get("value") or {}
                if item.get("method") == "$/progress" and value.get("kind") == "end":
                    ready = time.monotonic() - started
            rss = _rss_kb(server.process.pid)
            peak = {k: max(peak.get(k, 0), v) for k, v in rss.items()}
            time.sleep(POLL_S)
        report = next(
            (
                item["params"]["message"]
                for item in server.notifications
                if item.get("method") == "window/logMessage" and "index ready" in item["params"]["message"]
            ),
            "",
        )
        seen = re.search(r"files_seen=(\d+)", report)
        parsed = re.search(r"files_parsed=(\d+)", report)
        symbols_began = time.monotonic()
        found = server.request("workspace/symbol", {"query": f"计算{_ZH[0]}"}) or []
        symbol_ms = (time.monotonic() - symbols_began) * 1000
        rss = _rss_kb(server.process.pid)
        database = sum(p.stat().st_size for p in cache.rglob("*.sqlite3*"))
    finally:
        server.close()
        shutil.rmtree(base, ignore_errors=True)

    def summary(values: list[float]) -> dict[str, Any]:
        ordered = sorted(values)
        return {
            "answers": len(values),
            "p50_ms": round(statistics.median(ordered), 1) if ordered else None,
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1) if ordered else None,
            "max_ms": round(ordered[-1], 1) if ordered else None,
        }

    return {
        "files": files,
        "workspace_made_s": round(made_s, 1),
        "first_index_s": round(ready, 1) if ready is not None else None,
        "files_seen": int(seen.group(1)) if seen else None,
        "files_parsed": int(parsed.group(1)) if parsed else None,
        "answers_while_indexing": {method: summary(values) for method, values in latencies.items()},
        "workspace_symbol_after_ms": round(symbol_ms, 1),
        "workspace_symbol_found": len(found),
        "server_rss_mb": round(rss.get("VmRSS", 0) / 1024, 1),
        "server_peak_rss_mb": round(max(peak.get("VmHWM", 0), rss.get("VmHWM", 0)) / 1024, 1),
        "index_database_mb": round(database / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--tag", default=f"{os.cpu_count()}core")
    args = parser.parse_args()
    result = {
        "benchmark": "large_workspace",
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "how": "benchmarks/large_workspace_bench.py: seeded generated files, `daima serve` over stdio with "
        "model none and a fresh index database; status and inline completion asked every 0.25 s "
        "while the first index runs",
        **run(args.files),
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"large_workspace_{args.tag}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", "utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
