"""Out of memory, for real: the process's address space is capped (RLIMIT_AS) so that allocations fail as
they fail on a laptop with other programs open — mmap of the weights, torch's CPU allocator, oneDNN.

The load says "not enough memory" in one sentence; a generation that runs out empties the prefix cache,
halves what it may hold and tries once more; if that fails too the error is an EngineError that says what
to do (the server shows it and answers with identifier completion); and once memory is back the engine
answers again. Each runs in its own process, as the cap is the whole process's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

_PRELUDE = """
import json, resource, psutil
from daima.config import ModelOptions
from daima.model.api import EngineError, GenerationRequest
from daima.model.loader import load_engine
import daima.model.engine, daima.model.transformer, transformers  # what a load imports, before the cap

def cap(extra_mb):
    limit = psutil.Process().memory_info().vms + extra_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))

def uncap():
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
"""


def _run(script: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _PRELUDE + textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_load_without_enough_memory_says_so(fetched_model_dir: Path) -> None:
    found = _run("""
        cap(300)  # the packed weights alone are 720 MB
        try:
            load_engine(ModelOptions(name="qwen2.5-coder-0.5b"))
            print(json.dumps({"loaded": True}))
        except EngineError as error:
            print(json.dumps({"error": str(error)}))
    """)
    assert "error" in found, found
    message = found["error"]
    assert message.startswith("not enough memory to load the model 'qwen2.5-coder-0.5b'"), message
    assert "close other programs" in message and "\\n" not in message


@pytest.mark.slow
def test_a_generation_that_runs_out_of_memory_frees_the_cache_and_recovers(fetched_model_dir: Path) -> None:
    found = _run("""
        engine = load_engine(ModelOptions(name="qwen2.5-coder-0.5b"))
        engine.warm()
        source = open(daima.model.engine.__file__, encoding="utf-8").read()
        capacity = engine.cache.capacity_blocks
        cap(150)  # room for the first prompts' KV, not for a cache that keeps growing to its budget
        outcomes = []
        for i in range(12):
            try:
                prompt = source[i * 1500 : i * 1500 + 6000]
                engine.stream(GenerationRequest(prompt=prompt, max_tokens=4)).text()
                outcomes.append("ok")
            except EngineError as error:
                outcomes.append("EngineError: " + str(error))
            except Exception as error:  # anything else reached the caller raw
                outcomes.append("raw " + type(error).__name__ + ": " + str(error)[:200])
            if engine.cache.capacity_blocks < capacity and len(outcomes) >= 2 and outcomes[-1] == "ok":
                break  # ran out, emptied the cache, and answered after it
        lowered = engine.cache.capacity_blocks
        uncap()
        after = engine.stream(GenerationRequest(prompt=source[:3000], max_tokens=4))
        print(json.dumps({"outcomes": outcomes, "capacity": [capacity, lowered],
                          "after": [after.text(), after.stats.finish_reason]}))
    """)
    outcomes = found["outcomes"]
    assert not [o for o in outcomes if o.startswith("raw")], outcomes
    assert found["capacity"][1] < found["capacity"][0], found  # the cap was reached: the cache shrank
    for outcome in outcomes:
        assert outcome == "ok" or ("ran out of memory" in outcome and "cacheBudgetMb" in outcome), outcome
    assert found["after"][1] == "length" and found["after"][0], found
