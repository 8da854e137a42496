"""Pattern edits decided by the real 0.5B model (nextedit/pattern.py through nextedit/fill.py): a
method renamed at one call is proposed at the other calls of the same shape, and nothing else."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from daima.nextedit.edits import apply_edits
from daima.nextedit.fill import model_fill
from daima.nextedit.history import Burst
from daima.nextedit.proposals import propose
from daima.text import TextDocument

STORE = (Path(__file__).parents[1] / "data" / "next_edit" / "存储.py").read_text(encoding="utf-8")


def test_the_real_model_repeats_a_method_renamed_at_one_call(real_engine: Any) -> None:
    at = STORE.index("warn")
    text = STORE[:at] + "warning" + STORE[at + len("warn") :]
    burst = Burst(at, at + len("warning"), "warn", 2, time.monotonic())
    document = TextDocument("file:///存储.py", text, 2, "python")
    proposal = propose(document, [burst], model_fill(real_engine, time.monotonic() + 120))
    assert proposal is not None and proposal.kind == "pattern"
    assert apply_edits(text, proposal.edits) == STORE.replace("日志.warn(", "日志.warning(")
