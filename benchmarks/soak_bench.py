"""An hour of real typing over one `daima serve`: does its memory grow, does its latency drift?

Usage: PYTHONPATH=. .venv/bin/python benchmarks/soak_bench.py --mirrors DIR [--minutes 60] [--out FILE]

One server (default options, default model) on one repository of the replay's development half, at
its pinned commit, as a person's editor would keep it for a working session. The repository's real
edits (benchmarks/replay/edits.py) are typed one after another with the replay's timing, each into a
buffer holding its file as it was before the edit (the disk is not touched), over and over until the
time is up. Every 5 s the server's resident memory (its process and its children) is read from /proc.
Per window of `--window` minutes: pauses, share shown, pause -> suggestion latency p50/p90/p99 of the
shown ones, memory at the window's end. Goals (the fault issue): memory growth from the first window's
end to the last's under 50 MB, and p99 within 20% of the first window's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from benchmarks.index_bench import cpu_model
from benchmarks.replay.__main__ import SOURCES, split
from benchmarks.replay.completers import ServerCompleter
from benchmarks.replay.edits import edits_of, file_at
from benchmarks.replay.run import PauseRecord, replay
from benchmarks.replay.typing import script
from benchmarks.repo_eval.sources import SourceUnavailable, bring, load_sources, mirror_with

RESULTS = Path("benchmarks/results")
SAMPLE_S = 5.0


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    try:
        process = psutil.Process(pid)
        total = process.memory_info().rss
        for child in process.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                continue
    except psutil.Error:
        return 0.0
    return total / 1e6


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def windows(
    records: list[tuple[float, PauseRecord]],
    memory: list[tuple[float, float]],
    window_s: float,
    span_s: float,
) -> list[dict[str, Any]]:
    """Per window: the pauses that ended in it and the memory read last in it."""
    rows = []
    count = max(1, int(span_s // window_s))
    for number in range(count):
        start, end = number * window_s, (number + 1) * window_s
        inside = [r for t, r in records if start <= t < end]
        latencies = [r.latency_ms for r in inside if r.shown and r.latency_ms is not None]
        readings = [mb for t, mb in memory if start <= t < end]
        rows.append({
            "minutes": [round(start / 60, 1), round(end / 60, 1)],
            "pauses": len(inside),
            "shown_pct": round(100 * sum(r.shown for r in inside) / len(inside), 1) if inside else None,
            "latency_ms": {"p50": percentile(latencies, 0.5), "p90": percentile(latencies, 0.9),
                           "p99": percentile(latencies, 0.99)},
            "rss_mb_end": round(readings[-1], 1) if readings else None,
            "rss_mb_max": round(max(readings), 1) if readings else None,
        })  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--window", type=float, default=10.0, help="minutes per reported window")
    parser.add_argument("--repo", default="MulanRevive/mulan-rework", help="a development-half repository")
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mirrors", default=os.environ.get("DAIMA_EVAL_MIRRORS", ""))
    parser.add_argument("--out", type=Path, default=RESULTS / "soak_2core.json")
    args = parser.parse_args(argv)
    mirrors = [Path(p) for p in args.mirrors.split(os.pathsep) if p]
    dev = split(load_sources(SOURCES), args.seed)["dev"]
    chosen = [s for s in dev if s.repo == args.repo]
    if not chosen:
        print(f"error: {args.repo} is not in the replay's development half", file=sys.stderr)
        return 2
    source = chosen[0]
    git_dir = mirror_with(source, mirrors)
    try:
        if git_dir is None:
            raise SourceUnavailable(f"{source.repo}@{source.commit[:12]} is in no mirror")
        tree = bring(source, mirrors, network=False)
    except SourceUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    edits = []
    for edit in edits_of(source, git_dir, args.seed):
        before = file_at(git_dir, edit.parent, edit.path)
        if before is not None:
            edits.append((edit, before))
        if len(edits) >= 200:
            break
    options = {"model": {"name": args.model}}
    began = time.monotonic()
    server = ServerCompleter(tree, options)
    started_s = time.monotonic() - began
    clock = time.monotonic()  # the soak's time counts from a ready server
    memory: list[tuple[float, float]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            memory.append((time.monotonic() - clock, rss_mb(server.process.pid)))
            stop.wait(SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    records: list[tuple[float, PauseRecord]] = []
    typed = 0
    span_s = args.minutes * 60
    try:
        while time.monotonic() - clock < span_s:
            edit, before = edits[typed % len(edits)]
            for record in replay(server, edit, tree, script(edit.added, edit.edit_id), before=before):
                records.append((time.monotonic() - clock, record))
            typed += 1
            if server.process.poll() is not None:
                print("error: the server ended", file=sys.stderr)
                break
            done = [r for _, r in records]
            print(f"{(time.monotonic() - clock) / 60:5.1f} min  edits {typed:3}  pauses {len(done):4}  "
                  f"shown {sum(r.shown for r in done)}  rss {memory[-1][1] if memory else 0:.0f} MB",
                  file=sys.stderr, flush=True)  # fmt: skip
    finally:
        stop.set()
        sampler.join()
        alive = server.process.poll() is None
        server.close()
    rows = windows(records, memory, args.window * 60, span_s)
    first, last = rows[0], rows[-1]
    growth = (
        round(last["rss_mb_end"] - first["rss_mb_end"], 1)
        if first["rss_mb_end"] is not None and last["rss_mb_end"] is not None
        else None
    )
    p99_first, p99_last = first["latency_ms"]["p99"], last["latency_ms"]["p99"]
    drift = round(p99_last / p99_first - 1, 3) if p99_first and p99_last else None
    summary = {
        "benchmark": "soak",
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "cpu": cpu_model(),
            "python": sys.version.split()[0],
        },
        "how": __doc__.split("\n\n")[1].replace("\n", " "),
        "config": {
            "repo": source.repo,
            "commit": source.commit,
            "model": args.model,
            "seed": args.seed,
            "minutes": args.minutes,
            "window_minutes": args.window,
            "server_options": options,
        },
        "server_start_s": round(started_s, 1),
        "server_alive_at_end": alive,
        "edits_typed": typed,
        "distinct_edits": len(edits),
        "windows": rows,
        "rss_growth_mb": growth,
        "p99_drift": drift,
        "goals": {
            "rss_growth_under_50_mb": growth is not None and growth < 50,
            "p99_within_20_pct": drift is not None and drift <= 0.2,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps({k: summary[k] for k in ("windows", "rss_growth_mb", "p99_drift", "goals")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
