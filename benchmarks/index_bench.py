"""Index benchmark over the installed `transformers` package source (every machine has it).

Measures, in one run and on a private copy of the corpus (edits must not touch site-packages):
raw single-pass tree-sitter parse (one process, files already in memory), daima's cold index,
warm restart with nothing changed, and single-file re-index after an edit to a ~2,000-line file
(the editor path: tree.edit + incremental re-parse; and the disk path: watcher refresh). Reports peak
memory and the ratios against the goals, prints them and writes JSON to benchmarks/results/.

    .venv/bin/python benchmarks/index_bench.py [--tag NAME] [--repeat N] [--corpus DIR]

Goals (2-core machine): cold <= 2x raw parse, warm <= 10% of cold, single-file re-index <= 20 ms.
To measure on 2 cores of a bigger machine: `taskset -c 0,1 python benchmarks/index_bench.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from daima.config import IndexOptions
from daima.indexer import WorkspaceIndex
from daima.indexer.languages import language_for_path
from daima.indexer.walk import IgnoreRules, walk

RESULTS = Path(__file__).parent / "results"
GOALS = {"cold_over_raw": 2.0, "warm_over_cold": 0.10, "single_file_ms": 20.0}


def corpus_root() -> Path:
    import transformers

    return Path(transformers.__file__).parent


def raw_parse(root: Path) -> dict[str, float]:
    """Parse every indexable file once, in this process; reading is not timed."""
    files = [root / c.rel for c in walk(root, IgnoreRules(root))]
    data = [(language_for_path(path), path.read_bytes()) for path in files]
    began = time.perf_counter()
    for language, source in data:
        if language is not None:
            language.parser.parse(source)
    seconds = time.perf_counter() - began
    return {
        "seconds": seconds,
        "files": len(files),
        "megabytes": sum(len(source) for _, source in data) / 1e6,
        "lines": sum(source.count(b"\n") for _, source in data),
        "peak_rss_mb": peak_rss_mb(),
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it does not carry over an exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def file_near_2000_lines(root: Path) -> Path:
    sizes = []
    for candidate in walk(root, IgnoreRules(root)):
        lines = (root / candidate.rel).read_bytes().count(b"\n")
        sizes.append((abs(lines - 2000), candidate.rel))
    return root / min(sizes)[1]


def single_file(index: WorkspaceIndex, path: Path, repeat: int) -> dict[str, float]:
    """Re-index one file after a one-line edit in its middle: editor (incremental) and disk paths."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    middle = len(lines) // 2
    index.update_document(path, text)  # the editor opened it: full parse once, keeps the tree
    editor = []
    for i in range(repeat):
        edited = "".join([*lines[:middle], f"bench_value_{i} = {i}\n", *lines[middle:]])
        began = time.perf_counter()
        index.update_document(path, edited)
        editor.append((time.perf_counter() - began) * 1000)
    index.close_document(path)
    disk = []
    for i in range(repeat):
        path.write_text(
            "".join([*lines[:middle], f"disk_value_{i} = {i}\n", *lines[middle:]]), encoding="utf-8"
        )
        began = time.perf_counter()
        index.refresh_paths([path])
        disk.append((time.perf_counter() - began) * 1000)
    assert index.definitions(f"disk_value_{repeat - 1}"), "the edit did not reach the index"
    return {
        "file": str(path.name),
        "lines": len(lines),
        "editor_median_ms": statistics.median(editor),
        "editor_max_ms": max(editor),
        "disk_median_ms": statistics.median(disk),
        "disk_max_ms": max(disk),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tag", default="local", help="suffix of the results file name")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--corpus", type=Path, help="the transformers source folder (default: the installed one)"
    )
    parser.add_argument("--raw-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw_only:  # child process: keeps raw parsing's memory out of the index's peak
        print(json.dumps(raw_parse(args.raw_only)))
        return 0

    with tempfile.TemporaryDirectory(prefix="daima-index-bench-") as tmp:
        work = Path(tmp)
        root = work / "transformers"
        shutil.copytree(args.corpus or corpus_root(), root, ignore=shutil.ignore_patterns("__pycache__"))
        db = work / "index.sqlite3"
        options = IndexOptions(max_file_kb=4096)

        began = time.perf_counter()
        index = WorkspaceIndex.open(root, options, db)
        cold_report = index.index_all()
        cold = time.perf_counter() - began
        index.close()

        began = time.perf_counter()
        index = WorkspaceIndex.open(root, options, db)
        warm_report = index.index_all()
        warm = time.perf_counter() - began

        edit = single_file(index, file_near_2000_lines(root), args.repeat)
        index.close()
        peak_parent = peak_rss_mb()
        peak_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        db_mb = db.stat().st_size / 1e6

        raw_run = subprocess.run(
            [sys.executable, __file__, "--raw-only", str(root)], capture_output=True, text=True, check=True
        )
        raw = json.loads(raw_run.stdout)

    results = {
        "machine": {
            "tag": args.tag,
            "cpu": cpu_model(),
            "cores_usable": len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
        },
        "corpus": {k: raw[k] for k in ("files", "megabytes", "lines")},
        "raw_parse_s": raw["seconds"],
        "raw_parse_peak_rss_mb": raw["peak_rss_mb"],
        "cold_s": cold,
        "cold_timings": cold_report.timings,
        "cold_summary": cold_report.summary(),
        "warm_s": warm,
        "warm_summary": warm_report.summary(),
        "single_file": edit,
        "peak_rss_mb": {"indexer_process": peak_parent, "largest_worker": peak_workers},
        "database_mb": db_mb,
    }
    results["ratios"] = {
        "cold_over_raw": cold / raw["seconds"],
        "warm_over_cold": warm / cold,
        "single_file_ms": edit["editor_median_ms"],
    }
    results["goals_met"] = {name: results["ratios"][name] <= goal for name, goal in GOALS.items()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"index_{args.tag}.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _print(results, out)
    return 0


def _print(r: dict, out: Path) -> None:
    c = r["corpus"]
    print(
        f"corpus: {c['files']} files, {c['megabytes']:.1f} MB, {c['lines']:,} lines; "
        f"{r['machine']['cores_usable']} usable cores"
    )
    print(f"raw parse (1 process)   {r['raw_parse_s']:8.2f} s")
    print(f"cold index              {r['cold_s']:8.2f} s   ({r['cold_summary']})")
    print(f"warm restart            {r['warm_s']:8.2f} s")
    e = r["single_file"]
    print(
        f"single file ({e['lines']} lines) editor re-index median {e['editor_median_ms']:.1f} ms "
        f"(max {e['editor_max_ms']:.1f}); disk refresh median {e['disk_median_ms']:.1f} ms"
    )
    print(
        f"peak RSS: indexer {r['peak_rss_mb']['indexer_process']:.0f} MB, largest worker "
        f"{r['peak_rss_mb']['largest_worker']:.0f} MB, raw parse {r['raw_parse_peak_rss_mb']:.0f} MB; "
        f"database {r['database_mb']:.0f} MB"
    )
    for name, value in r["ratios"].items():
        goal = GOALS[name]
        print(f"  {name:16s} {value:8.3f}  goal <= {goal}  {'ok' if r['goals_met'][name] else 'MISSED'}")
    print(f"written to {out}")


if __name__ == "__main__":
    sys.exit(main())
