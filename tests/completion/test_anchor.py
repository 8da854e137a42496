"""Prompts that stay cached while the user types: the prefix's first line and the cross-file context are
kept from one keystroke to the next while they fit (completion/anchor.py), so a keystroke's prompt
shares every token before the edit point with the previous one."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from daima.completion import pipeline, prepare
from daima.completion.anchor import HEADROOM, PrefixAnchors
from daima.config import CompletionOptions
from daima.indexer import WorkspaceIndex
from daima.model.api import (
    CancelToken,
    EngineInfo,
    GenerationRequest,
    GenerationStats,
    PrefillMeter,
    TextStream,
)
from daima.text import TextDocument

BODY = "".join(
    f"def 函数{n}(参数):\n    值 = 参数 * {n} + len(str(参数))\n    return 值\n\n" for n in range(80)
)
OPTIONS = CompletionOptions(prompt_tokens=768, english_reading=False)


class RecordingEngine:
    """The real tokenizer (conftest's `qwen_engine`); every request's prompt is kept, nothing generated."""

    def __init__(self, base: Any) -> None:
        self.base = base
        self.prompts: list[tuple[int, ...]] = []

    @property
    def info(self) -> EngineInfo:
        return self.base.info

    def tokenize(self, text: str) -> list[int]:
        return self.base.tokenize(text)

    def detokenize(self, ids: Sequence[int]) -> str:
        return self.base.detokenize(ids)

    def stream(self, request: GenerationRequest, cancel: CancelToken | None = None) -> TextStream:
        prompt = request.prompt
        self.prompts.append(tuple(self.tokenize(prompt) if isinstance(prompt, str) else prompt))
        return TextStream(deltas=iter(()), stats=GenerationStats(finish_reason="stop"))


def _common(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _type(engine: RecordingEngine, texts: list[str], anchors: PrefixAnchors | None, index=None, path=None):
    """Warm (build and send the prompt) after each keystroke; the cursor is at the end of each text
    before its last line (the code below the cursor stays)."""
    for text in texts:
        cursor = text.index("▮")
        document = TextDocument("file:///w/a.py", text.replace("▮", ""), language_id="python")
        prepare.warm(
            document, cursor, engine=engine, index=index, options=OPTIONS, path=path, language_id="python",
            anchors=anchors,
        )  # fmt: skip
    return engine.prompts


def _keystrokes(head: str, typed: str, tail: str) -> list[str]:
    return [head + typed[:n] + "▮" + tail for n in range(len(typed) + 1)]


def test_a_new_line_keeps_the_prefixs_first_line(qwen_engine) -> None:
    typed = "    x = 1\n    y = x + 2\n    "
    texts = _keystrokes(BODY + "def 新函数():\n", typed, "\n" + BODY)
    anchored = _type(RecordingEngine(qwen_engine), texts, PrefixAnchors())
    fresh = _type(RecordingEngine(qwen_engine), texts, None)
    suffix = int(OPTIONS.prompt_tokens * OPTIONS.suffix_share)
    for before, after in itertools.pairwise(anchored):
        # Everything before the line being typed is shared: a keystroke computes that line and the
        # suffix after it.
        assert _common(before, after) >= len(before) - suffix - 40
    computed_anchored = sum(len(b) - _common(a, b) for a, b in itertools.pairwise(anchored))
    computed_fresh = sum(len(b) - _common(a, b) for a, b in itertools.pairwise(fresh))
    # Cut afresh, the window slides at each new line and whole prompts are computed again.
    assert min(_common(a, b) for a, b in itertools.pairwise(fresh)) < 100
    assert min(_common(a, b) for a, b in itertools.pairwise(anchored)) > 300
    assert computed_fresh - computed_anchored > 300  # the slid windows, prefilled again


def test_a_prefix_that_outgrows_its_anchor_is_cut_again_with_headroom(qwen_engine) -> None:
    engine = RecordingEngine(qwen_engine)
    anchors = PrefixAnchors()
    head = BODY + "def 新函数():\n"
    _type(engine, [head + "▮\n"], anchors)
    first = anchors.hint("file:///w/a.py", head + "\n", len(head))
    assert first is not None
    grown = head + "".join(f"    变量{n} = {n} * 3\n" for n in range(60))
    _type(engine, [grown + "▮\n"], anchors)
    second = anchors.hint("file:///w/a.py", grown + "\n", len(grown))
    assert second is not None and second.offset > first.offset
    # The new cut left room: the next lines typed keep it (a cut that filled the budget would move at
    # the next line).
    more = grown + "".join(f"    其它{n} = {n} + 1\n" for n in range(12))
    _type(engine, [more + "▮\n"], anchors)
    third = anchors.hint("file:///w/a.py", more + "\n", len(more))
    assert third is not None and third.offset == second.offset
    assert 0 < HEADROOM < 0.5


def test_a_jump_above_the_anchor_cuts_afresh(qwen_engine) -> None:
    engine = RecordingEngine(qwen_engine)
    anchors = PrefixAnchors()
    text = BODY + BODY
    late = text.index("def 函数70(") + len("def 函数70(")
    _type(engine, [text[:late] + "▮" + text[late:]], anchors)
    early = text.index("def 函数3(") + len("def 函数3(")
    assert anchors.hint("file:///w/a.py", text, early) is None
    _type(engine, [text[:early] + "▮" + text[early:]], anchors)
    hint = anchors.hint("file:///w/a.py", text, early)
    assert hint is not None and hint.offset <= early


def test_typing_a_new_name_keeps_the_context_while_the_anchor_holds(
    qwen_engine, workspace: WorkspaceIndex
) -> None:
    path = workspace.root / "主程序.py"
    head = path.read_text("utf-8") + "\n" + BODY[:600] + "\n结果 = "
    texts = [head + typed + "▮\n" for typed in ("", "打", "打折", "打折(")]

    def snippets_per_keystroke(anchors: PrefixAnchors | None) -> list[tuple[int, ...]]:
        engine = RecordingEngine(qwen_engine)
        return _type(engine, texts, anchors, index=workspace, path=path)

    fresh = snippets_per_keystroke(None)
    anchored = snippets_per_keystroke(PrefixAnchors())
    # Cut afresh, the definition of the name being typed comes into the context, which is first in
    # the prompt: almost nothing is shared. Anchored, the context stays and only the last line changes.
    assert min(_common(a, b) for a, b in itertools.pairwise(fresh)) < 100
    for before, after in itertools.pairwise(anchored):
        assert _common(before, after) >= len(before) - 80


def test_the_deadline_counts_from_the_requests_arrival(qwen_engine) -> None:
    """Time the request waited for the worker (behind an older job) is part of its deadline."""
    import time

    engine = RecordingEngine(qwen_engine)
    seen: list[GenerationRequest] = []
    engine.stream = lambda request, cancel=None: (  # type: ignore[method-assign]
        seen.append(request) or TextStream(deltas=iter(()), stats=GenerationStats(finish_reason="stop"))
    )
    document = TextDocument("file:///w/a.py", "x = 1\n", language_id="python")
    arrived = time.monotonic() - 1.5  # it waited 1.5 s for the worker
    pipeline.complete(document, 6, engine=engine, options=OPTIONS, language_id="python", received=arrived)
    assert seen and seen[0].deadline == arrived + OPTIONS.max_time_ms / 1000


class TimedEngine(RecordingEngine):
    """A recording engine that reports a prefill speed and how much of a prompt it has cached."""

    def __init__(self, base: Any, tokens_per_s: float, cached: Callable[[Sequence[int]], int]) -> None:
        super().__init__(base)
        self.prefill_meter = PrefillMeter()
        self.prefill_meter.record(int(tokens_per_s), 1.0)
        self.cached_tokens = lambda prompt: cached(
            prompt if not isinstance(prompt, str) else self.tokenize(prompt)
        )


def test_a_cold_prompt_the_deadline_cannot_prefill_is_asked_short_and_the_full_one_warmed(
    qwen_engine,
) -> None:
    text = BODY + "def 新函数():\n    " + "▮\n" + BODY
    cursor = text.index("▮")
    document = TextDocument("file:///w/a.py", text.replace("▮", ""), language_id="python")
    slow = TimedEngine(qwen_engine, tokens_per_s=100, cached=lambda ids: 0)  # 100 tok/s, nothing cached
    quick: list[bool] = []
    pipeline.complete(
        document, cursor, engine=slow, options=OPTIONS, language_id="python", anchors=PrefixAnchors(),
        on_quick_prompt=lambda: quick.append(True),
    )  # fmt: skip
    # Half the 2 s deadline at 100 tok/s is 100 tokens: the prompt asked fits them.
    affordable = int(100 * OPTIONS.max_time_ms / 1000 * prepare.QUICK_PREFILL_SHARE)
    assert quick == [True] and len(slow.prompts[0]) <= affordable
    anchors = PrefixAnchors()
    prepare.warm(document, cursor, engine=slow, options=OPTIONS, language_id="python", anchors=anchors)
    assert len(slow.prompts[-1]) > 350  # warming builds the full prompt (suffix capped), whatever it costs

    warm = TimedEngine(qwen_engine, tokens_per_s=200, cached=lambda ids: len(ids) - 20)  # all but the tail
    quick.clear()
    pipeline.complete(
        document, cursor, engine=warm, options=OPTIONS, language_id="python", anchors=anchors,
        on_quick_prompt=lambda: quick.append(True),
    )  # fmt: skip
    assert quick == [] and len(warm.prompts[0]) > 350
    # Without anchors (daima complete, the evals) the prompt is the full one, as before.
    cold = TimedEngine(qwen_engine, tokens_per_s=200, cached=lambda ids: 0)
    pipeline.complete(document, cursor, engine=cold, options=OPTIONS, language_id="python")
    assert len(cold.prompts[0]) > 350


def test_a_small_files_prompt_is_asked_whole_however_slow_the_engine(qwen_engine) -> None:
    document = TextDocument(
        "file:///w/a.py", "def add(a, b):\n    \n\nprint(add(1, 2))\n", language_id="python"
    )
    slow = TimedEngine(qwen_engine, tokens_per_s=10, cached=lambda ids: 0)  # nothing fits in time
    quick: list[bool] = []
    pipeline.complete(
        document, 19, engine=slow, options=OPTIONS, language_id="python", anchors=PrefixAnchors(),
        on_quick_prompt=lambda: quick.append(True),
    )  # fmt: skip
    assert quick == [] and b"def add(a, b):" in slow.detokenize(slow.prompts[0]).encode()


def test_the_suffix_cap_stays_with_the_anchor_while_the_measured_speed_moves(qwen_engine) -> None:
    """The warmed prompt and the request's at the same place are one prompt, though the warm's own
    prefill moved the measured speed (enough to move the suffix's end: the CI run where a busy machine
    moved it lost 40 of the warmed prompt's tokens)."""
    text = BODY + "def 新函数():\n    " + "▮\n" + BODY
    cursor = text.index("▮")
    document = TextDocument("file:///w/a.py", text.replace("▮", ""), language_id="python")
    engine = TimedEngine(qwen_engine, tokens_per_s=200, cached=lambda ids: len(ids))
    anchors = PrefixAnchors()
    prepare.warm(document, cursor, engine=engine, options=OPTIONS, language_id="python", anchors=anchors)
    engine.prefill_meter.record(2000, 1.0)  # the other work stopped: 200 -> 740 tokens a second
    prepare.warm(document, cursor, engine=engine, options=OPTIONS, language_id="python", anchors=anchors)
    assert engine.prompts[0] == engine.prompts[1]
    # Cut afresh (no anchors), the new speed would have lengthened the suffix.
    fresh = TimedEngine(qwen_engine, tokens_per_s=200, cached=lambda ids: len(ids))
    fresh.prefill_meter.record(2000, 1.0)
    prepare.warm(
        document, cursor, engine=fresh, options=OPTIONS, language_id="python", anchors=PrefixAnchors()
    )
    assert len(fresh.prompts[0]) > len(engine.prompts[0])
