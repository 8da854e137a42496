"""What a user typing gets from the real server: suggestions at the pauses of a typing replay.

Usage: .venv/bin/python -m benchmarks.typing_bench [--lines N] [--configs default,no-suffix-cap,fp32]
                                                     [--out FILE.json]

The server is `daima serve` over stdio with default options (the default model on this machine, the
default deadline), except what a configuration names:
- `default`: everything as shipped (the suffix sized by the engine's measured prefill speed);
- `no-suffix-cap`: `completion.suffixTimeShare` 0, the fixed suffix share of earlier versions;
- `fp32`: default with `model.quantize` "none" (the float weights; the default is int8 on a CPU).

The workspace is a scratch copy of this project's own `completion/` package. In two of its files,
seeded lines inside functions are typed again as an editor sends them: the line is emptied after its
indentation, then typed one character every 150 ms; every keystroke sends didChange and, after the
client debounce (75 ms), an inlineCompletion request, and the next keystroke cancels it.

At each line the user first waits at the line start until a suggestion shows (asking again after each
empty answer, for at most 30 s): the time that takes is the cost of arriving at a new place, where the
prompt's cross-file context and prefix are not cached yet. Then the line is typed up to just after its
first `(`, `=` or `.`, and the user pauses: that pause is the warm keystroke. For both the bench records
the latency, whether the answer had text, how its generation ended (the server's
`daima/completionProgress` stats: "deadline" means the deadline cut it) and how many prompt tokens were
not in the KV cache (what that request prefilled). Then the rest of the line is put back in one edit.
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
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.lsp_stdio import Server, answer_stats
from daima.text import TextDocument

PROJECT = Path(__file__).resolve().parents[1]
FILES = ("budget.py", "postprocess.py")
KEY_GAP_S = 0.15
DEBOUNCE_S = 0.075
ARRIVAL_LIMIT_S = 30.0
_AUTOMATIC = 2  # InlineCompletionTriggerKind.Automatic
CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "no-suffix-cap": {"completion": {"suffixTimeShare": 0.0}},
    "fp32": {"model": {"quantize": "none"}},
}
_PAUSE_AFTER = re.compile(r"[(=.]")


def target_lines(text: str, count: int, seed: int) -> list[int]:
    """Seeded lines worth typing: code inside a function (indented), not comments or docstrings,
    with a `(`, `=` or `.` after the first three characters."""
    lines = text.splitlines()
    candidates = []
    in_string = False
    for number, line in enumerate(lines):
        stripped = line.strip()
        if stripped.count('"""') % 2 == 1:
            in_string = not in_string
            continue
        if in_string or not line.startswith("        ") or stripped.startswith(("#", '"', "'")):
            continue
        if 20 <= len(stripped) <= 90 and _PAUSE_AFTER.search(stripped, 3):
            candidates.append(number)
    return sorted(random.Random(seed).sample(candidates, min(count, len(candidates))))


class Typist:
    """One open document on the server, edited and asked for suggestions the way an editor does."""

    def __init__(self, server: Server, path: Path) -> None:
        self.server, self.uri = server, path.as_uri()
        self.document = TextDocument(self.uri, path.read_text("utf-8"))
        self.version = 1
        self.pending: int | None = None
        server.notify("textDocument/didOpen", {"textDocument": {
            "uri": self.uri, "languageId": "python", "version": 1, "text": self.document.text}})  # fmt: skip

    def replace(self, start: int, end: int, text: str) -> None:
        """One didChange (UTF-16 positions, as the server negotiates by default)."""
        begin, finish = self.document.position_at(start), self.document.position_at(end)
        self.version += 1
        self.document = TextDocument(self.uri, self.document.text[:start] + text + self.document.text[end:])
        self.server.notify("textDocument/didChange", {
            "textDocument": {"uri": self.uri, "version": self.version},
            "contentChanges": [{"range": {
                "start": {"line": begin.line, "character": begin.character},
                "end": {"line": finish.line, "character": finish.character}}, "text": text}]})  # fmt: skip

    def ask(self, offset: int) -> int:
        if self.pending is not None:
            self.server.cancel(self.pending)
        cursor = self.document.position_at(offset)
        position = {"line": cursor.line, "character": cursor.character}
        self.pending = self.server.send_request("textDocument/inlineCompletion", {
            "textDocument": {"uri": self.uri}, "position": position,
            "context": {"triggerKind": _AUTOMATIC}})  # fmt: skip
        return self.pending

    def pause(self, offset: int) -> dict[str, Any]:
        """Ask at `offset` and wait for the answer, as a user who stops typing there."""
        self.server.notifications.clear()
        began = time.monotonic()
        request = self.ask(offset)
        result = self.server.wait(request, "inlineCompletion")
        latency = time.monotonic() - began
        self.pending = None
        items = (result or {}).get("items", []) if isinstance(result, dict) else (result or [])
        text = items[0]["insertText"] if items else ""
        text = text["value"] if isinstance(text, dict) else text
        stats = answer_stats(self.server)
        prompt, cached = stats.get("promptTokens", 0), stats.get("cachedTokens", 0)
        return {
            "latency_ms": round(latency * 1000, 1),
            "text": text,
            "shown": bool(text.strip()),
            "finish": stats.get("finishReason", ""),
            "prefilled_tokens": prompt - cached if prompt else None,
            "prompt_tokens": prompt or None,
        }

    def retype(self, line: int) -> list[dict[str, Any]]:
        """Empty `line` after its indentation, type it back with two pauses; returns the pauses."""
        start = self.document.line_start(line)
        full = self.document.line_text(line)
        indent = len(full) - len(full.lstrip())
        body = full[indent:]
        where = start + indent
        self.replace(where, where + len(body), "")
        time.sleep(KEY_GAP_S)
        began, asks = time.monotonic(), 0
        while True:
            asks += 1
            arrival = self.pause(where)
            if arrival["shown"] or time.monotonic() - began > ARRIVAL_LIMIT_S:
                break
        waited = round((time.monotonic() - began) * 1000, 1)
        pauses = [{"kind": "arrival", **arrival, "arrival_ms": waited, "asks": asks}]
        stop = _PAUSE_AFTER.search(body, 3)
        assert stop is not None
        for index, char in enumerate(body[: stop.end()]):
            self.replace(where + index, where + index, char)
            time.sleep(DEBOUNCE_S)
            if index + 1 < stop.end():
                self.ask(where + index + 1)
                time.sleep(KEY_GAP_S - DEBOUNCE_S)
        typed = stop.end()
        pauses.append({"kind": "keystroke", "after": body[typed - 1], **self.pause(where + typed)})
        self.replace(where + typed, where + typed, body[typed:])  # the rest of the line, in one edit
        return pauses


def run_config(name: str, overrides: dict[str, Any], lines: int, seed: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="daima-typing-"))
    try:
        root = folder / "workspace"
        shutil.copytree(
            PROJECT / "completion", root / "completion", ignore=shutil.ignore_patterns("__pycache__")
        )
        (root / ".git").mkdir()
        server = Server(root)
        try:
            options: dict[str, Any] = {}
            for section, values in overrides.items():
                options[section] = dict(values)
            server.initialize(root, options)
            status = server.wait_for_model()
            if status.get("state") != "ready":
                raise RuntimeError(f"the model is not ready: {status}")
            pauses: list[dict[str, Any]] = []
            for file_name in FILES:
                path = root / "completion" / file_name
                typist = Typist(server, path)
                targets = target_lines(typist.document.text, lines, seed)
                typist.pause(typist.document.line_start(targets[0]))  # warm-up: the file's first prompt
                for line in targets:
                    for pause in typist.retype(line):
                        pauses.append({"file": file_name, "line": line + 1, **pause})
                server.notify("textDocument/didClose", {"textDocument": {"uri": typist.uri}})
        finally:
            server.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"config": name, "options": overrides, "model": status.get("model"), "summary": summarize(pauses),
            "pauses": pauses}  # fmt: skip


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarize(pauses: list[dict[str, Any]]) -> dict[str, Any]:
    arrivals = [p for p in pauses if p["kind"] == "arrival"]
    return {
        "arrival_ms_p50": _pct([p["arrival_ms"] for p in arrivals], 0.5),
        "arrival_shown_rate": round(sum(p["shown"] for p in arrivals) / len(arrivals), 3)
        if arrivals
        else None,
        "warm_keystroke": _summary([p for p in pauses if p["kind"] == "keystroke"]),
    }


def _summary(pauses: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = [p["latency_ms"] for p in pauses]
    prefilled = [p["prefilled_tokens"] for p in pauses if p["prefilled_tokens"] is not None]
    shown = [p for p in pauses if p["shown"]]
    return {
        "pauses": len(pauses),
        "shown_rate": round(len(shown) / len(pauses), 3) if pauses else None,
        "whole_rate": round(sum(p["finish"] != "deadline" for p in shown) / len(pauses), 3)
        if pauses
        else None,
        "cut_by_deadline_rate": round(sum(p["finish"] == "deadline" for p in pauses) / len(pauses), 3)
        if pauses
        else None,
        "latency_ms_p50": _pct(latencies, 0.5),
        "latency_ms_p90": _pct(latencies, 0.9),
        "prefilled_tokens_p50": _pct(prefilled, 0.5),
        "prefilled_tokens_mean": round(statistics.fmean(prefilled), 1) if prefilled else None,
        "mean_shown_chars": round(statistics.fmean(len(p["text"]) for p in shown), 1) if shown else 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=8, help="lines retyped per file")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--configs", default="default,no-suffix-cap", help=f"from {', '.join(CONFIGS)}")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    runs = []
    for name in args.configs.split(","):
        began = time.monotonic()
        run = run_config(name, CONFIGS[name], args.lines, args.seed)
        run["wall_s"] = round(time.monotonic() - began, 1)
        print(json.dumps({"config": name, **run["summary"], "wall_s": run["wall_s"]}), flush=True)
        runs.append(run)
    result = {
        "benchmark": "typing_bench",
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
        },
        "how": "real `daima serve` over stdio, default options unless the config says otherwise; "
        f"{args.lines} seeded lines (seed {args.seed}) of {', '.join(FILES)} retyped at "
        f"{KEY_GAP_S * 1000:.0f} ms a key, two pauses a line; each pause waits for the answer",
        "runs": runs,
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
