"""`python -m benchmarks.replay`: real edits typed again over the real server, beside a naive plugin.

Usage: .venv/bin/python -m benchmarks.replay --half heldout --pauses 400 --mirrors DIR [--out FILE]

Each edit of the half (benchmarks/replay/edits.py) is typed (typing.py) into its file on the tree of its
parent commit, once through `daima serve` with default options and once through the naive plugin on the
same model in this process (completers.py), the order alternating from edit to edit. Edits are taken
round-robin over the half's repositories until the half has `--pauses` pauses.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.repo_eval.sources import Source, SourceUnavailable, bring, load_sources, mirror_with

from .completers import NaivePlugin, ServerCompleter
from .edits import Edit, edits_of
from .run import PauseRecord, as_dicts, replay, summarize
from .typing import pauses, script

SOURCES = Path(__file__).with_name("sources.json")
RESULTS = Path("benchmarks/results")
HALVES = ("dev", "heldout")


def split(sources: list[Source], seed: int) -> dict[str, list[Source]]:
    """Repositories into halves, seeded, zh and en each split evenly so both halves have both."""
    halves: dict[str, list[Source]] = {half: [] for half in HALVES}
    for kind in sorted({s.identifiers for s in sources}):
        group = sorted((s for s in sources if s.identifiers == kind), key=lambda s: s.repo)
        random.Random(f"replay-split:{seed}:{kind}").shuffle(group)
        for index, source in enumerate(group):
            halves[HALVES[index % 2]].append(source)
    return halves


def take_edits(sources: list[Source], mirrors: list[Path], seed: int, target_pauses: int) -> list[Edit]:
    """Edits round-robin over `sources` until their scripts hold `target_pauses` pauses."""
    streams: list[Iterator[Edit]] = []
    for source in sources:
        git_dir = mirror_with(source, mirrors)
        if git_dir is None:
            raise SourceUnavailable(f"{source.repo}@{source.commit[:12]} is in no mirror")
        streams.append(edits_of(source, git_dir, seed))
    taken: list[Edit] = []
    total = 0
    while streams and total < target_pauses:
        for stream in list(streams):
            edit = next(stream, None)
            if edit is None:
                streams.remove(stream)
                continue
            taken.append(edit)
            total += pauses(script(edit.added, edit.edit_id))
            if total >= target_pauses:
                break
    return taken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replay", description=__doc__.splitlines()[0])
    parser.add_argument("--half", default="heldout", choices=(*HALVES, "both"))
    parser.add_argument(
        "--pauses", type=int, default=400, help="pauses per half (edits are added until reached)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--completers", default="daima,naive")
    parser.add_argument("--model", default="qwen2.5-coder-0.5b", help="the model both completers use")
    parser.add_argument("--options", default="{}", help="JSON initializationOptions for the server")
    parser.add_argument("--mirrors", default=os.environ.get("DAIMA_EVAL_MIRRORS", ""),
                        help="folders of local git mirrors (os.pathsep-separated)")  # fmt: skip
    parser.add_argument("--server-log", type=Path, help="a folder for each server's log (one file an edit)")
    parser.add_argument("--list", action="store_true", help="print the edits and exit")
    parser.add_argument("--out", type=Path, help="default benchmarks/results/replay_HALF.json")
    args = parser.parse_args(argv)
    mirrors = [Path(p) for p in args.mirrors.split(os.pathsep) if p]
    completers = [c for c in args.completers.split(",") if c]
    halves = split(load_sources(SOURCES), args.seed)
    wanted = HALVES if args.half == "both" else (args.half,)
    try:
        plan = {half: take_edits(halves[half], mirrors, args.seed, args.pauses) for half in wanted}
    except SourceUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.list:
        for half, edits in plan.items():
            for edit in edits:
                print(f"{half}\t{edit.edit_id}\t{pauses(script(edit.added, edit.edit_id))}")
        return 0
    options = {"model": {"name": args.model}, **json.loads(args.options)}
    naive = None
    if "naive" in completers:
        from daima.config import ModelOptions
        from daima.model.loader import load_engine

        naive = NaivePlugin(load_engine(ModelOptions(name=args.model)))
    out = args.out or RESULTS / f"replay_{args.half}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    records: list[PauseRecord] = []
    began = time.monotonic()
    status: dict[str, Any] = {}
    with out.with_suffix(".jsonl").open("w", encoding="utf-8") as log:
        for half, edits in plan.items():
            for number, edit in enumerate(edits):
                tree = bring(Source(edit.repo, edit.parent, edit.identifiers), mirrors, network=False)
                events = script(edit.added, edit.edit_id)
                order = completers if number % 2 == 0 else completers[::-1]
                for name in order:
                    if name == "naive":
                        assert naive is not None
                        found = replay(naive, edit, tree, events)
                    else:
                        log_file = None
                        if args.server_log:
                            args.server_log.mkdir(parents=True, exist_ok=True)
                            log_file = args.server_log / f"{half}-{number:03d}.log"
                        server = ServerCompleter(tree, options, log=log_file)
                        status = server.status
                        try:
                            found = replay(server, edit, tree, events)
                        finally:
                            server.close()
                    for record in found:
                        log.write(
                            json.dumps({"half": half, **as_dicts([record])[0]}, ensure_ascii=False) + "\n"
                        )
                    log.flush()
                    records.extend(found)
                    shown = sum(r.shown for r in found)
                    print(f"{half} {name:6} {edit.edit_id[:70]:70} shown {shown}/{len(found)} "
                          f"saved {sum(r.matched for r in found)}", file=sys.stderr, flush=True)  # fmt: skip
    if naive is not None:
        naive.close()
        getattr(naive.engine, "close", lambda: None)()
    results: dict[str, Any] = {}
    for half, edits in plan.items():
        typed = sum(len(e.added) for e in edits)
        mine = [r for r in records if any(r.edit_id == e.edit_id for e in edits)]
        per: dict[str, Any] = {}
        for name in completers:
            theirs = [r for r in mine if r.completer == name]
            per[name] = {
                **summarize(theirs, typed),
                "by_identifiers": {
                    kind: summarize(
                        [r for r in theirs if r.identifiers == kind],
                        sum(len(e.added) for e in edits if e.identifiers == kind),
                    )
                    for kind in ("zh", "en")
                },
            }
        if "daima" in per and "naive" in per and per["naive"]["chars_saved"]:
            per["daima"]["saved_ratio"] = round(per["daima"]["chars_saved"] / per["naive"]["chars_saved"], 3)
        results[half] = {"edits": len(edits), "repositories": sorted({e.repo for e in edits}), **per}
    summary = {
        "benchmark": "replay",
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
        },
        "how": "real edits (pure-addition hunks of real commits) typed again over the real `daima serve` "
        "(default options unless --options) and a llama.vim-style naive plugin on the same model in the "
        "same run; benchmarks/replay/run.py states the timing and the scoring",
        "config": {
            "seed": args.seed,
            "pauses_target": args.pauses,
            "model": args.model,
            "server_options": options,
            "completers": completers,
        },
        "model_status": status,
        "wall_s": round(time.monotonic() - began, 1),
        "results": results,
    }
    out.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
