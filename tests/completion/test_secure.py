"""Secure suggestions: a candidate that the reviewer's injection rules would flag is never shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scripted import ScriptedModel

from daima.completion.candidates import Candidate
from daima.completion.names import name_scope
from daima.completion.needs import Needs
from daima.completion.pipeline import _check, complete
from daima.completion.rules import INJECTION
from daima.completion.syntax import SpliceChecker
from daima.config import CompletionOptions
from daima.text import TextDocument

HEAD = "import sqlite3\n\n\ndef 查找用户(连接, 用户名):\n    游标 = 连接.cursor()\n    "
TAIL = "\n    return 游标.fetchone()\n"
UNSAFE = "游标.execute(\"SELECT * FROM 用户 WHERE 名字 = '%s'\" % 用户名)"
SAFE = '游标.execute("SELECT * FROM 用户 WHERE 名字 = ?", (用户名,))'


def checked(candidate: str, head: str = HEAD, tail: str = TAIL, language: str = "python") -> Candidate:
    text = head + tail
    checker = SpliceChecker(text, len(head), len(head), language)
    needs = Needs(line_before=head[head.rfind("\n") + 1 :])
    return _check(Candidate(text=candidate), checker, name_scope(checker, language), language, needs, tail)


def test_the_reviewer_s_injection_rules_run_on_each_candidate() -> None:
    unsafe = checked(UNSAFE)
    assert unsafe.found(INJECTION) == ("sql-injection",) and not unsafe.ok
    assert any("parameters" in note for note in unsafe.notes)
    assert checked(SAFE).ok
    # Built on the candidate's line, run by the line below that the code already has.
    built = checked("语句 = 'SELECT * FROM 用户 WHERE 名字 = ' + 用户名", tail="\n    游标.execute(语句)\n")
    assert built.found(INJECTION) == ("sql-injection",)
    shell = checked(
        "os.system('ping -c 1 ' + 用户名)", head="import os\n\n\ndef 检测(用户名):\n    ", tail="\n"
    )
    assert shell.found(INJECTION) == ("shell-injection",)


def pipeline(answers: list[str], **request: Any) -> tuple[str | None, ScriptedModel]:
    """The scripted answers through `complete` at the hole between HEAD and TAIL (`request`: more of
    complete's keyword arguments)."""
    model = ScriptedModel(answers, cut=None)
    text = HEAD + TAIL
    document = TextDocument("file:///用户.py", text, language_id="python")
    options = CompletionOptions(max_time_ms=0, extra_candidates=2, english_reading=False)
    suggestion = complete(
        document, len(HEAD), engine=model, options=options, path=Path("用户.py"), language_id="python",
        **request,
    )  # fmt: skip
    return (suggestion.text if suggestion else None), model


def test_an_injection_is_never_shown() -> None:
    shown, model = pipeline([UNSAFE + "\n", SAFE + "\n"])
    assert shown == SAFE and model.calls == 2  # the greedy one was the injection: the next one is shown
    # When every candidate injects, the review's mechanical fix of one is shown if it passes the checks:
    # the same query with the value as a parameter (sqlite3's placeholder), never the injection.
    shown, model = pipeline([UNSAFE + "\n"])
    assert shown == '游标.execute("SELECT * FROM 用户 WHERE 名字 = ?", (用户名,))' and model.calls == 3
    # With no mechanical fix (a shell command), nothing is shown rather than the injection.
    shell_head = "import os\n\n\ndef 打包(目录):\n    "
    model = ScriptedModel(["os.system('tar czf a.tgz ' + 目录)\n"], cut=None)
    document = TextDocument("file:///打包.py", shell_head + "\n", language_id="python")
    options = CompletionOptions(max_time_ms=0, extra_candidates=2, english_reading=False)
    suggestion = complete(
        document, len(shell_head), engine=model, options=options, path=Path("打包.py"), language_id="python"
    )
    assert suggestion is None and model.calls == 3


def test_partial_text_heading_for_an_injection_is_held_back() -> None:
    # Partial text cannot be checked whole (it does not parse yet): once it names a sink, or builds a
    # string the next lines run, nothing more streams; only a final suggestion that passed the rules shows.
    streamed: list[str] = []
    shown, _ = pipeline([UNSAFE + "\n", SAFE + "\n"], on_partial=streamed.append)
    assert shown == SAFE
    assert streamed and all("execute" not in text and "%" not in text for text in streamed)
    # A string built for the line below that runs it is held back too; plain code still streams.
    from daima.review.checks import partial_may_inject

    assert partial_may_inject(
        "语句 = 'SELECT * FROM 用户 WHERE 名字 = ' + 用", "    游标.execute(语句)", "python"
    )
    assert not partial_may_inject("总价 = 单价 * ", "    return 总价", "python")
    assert not partial_may_inject("名字 = '张三'", "    return 名字", "python")


def test_the_trace_has_every_candidate_and_what_refused_it_shown_or_not() -> None:
    from daima.completion.pipeline import Tried

    trace: list[Tried] = []
    shown, _ = pipeline([UNSAFE + "\n", SAFE + "\n"], trace=trace)
    assert shown == SAFE
    assert [(t.text, t.rules) for t in trace] == [(UNSAFE, (INJECTION,)), (SAFE, ())]
    assert all(t.start == len(HEAD) for t in trace)
    # Every candidate refused: the trace says why, and has the parameterised form shown instead.
    trace.clear()
    fixed, _ = pipeline([UNSAFE + "\n"], trace=trace)
    assert fixed is not None and [t.rules for t in trace] == [(INJECTION,)] * 3 + [()]
    assert trace[-1].text == fixed
