"""Pattern edits (nextedit/pattern.py): which places are asked about, what each prompt shows, and the
bars a model's answer must clear. The fills here answer by a stated rule, so each test says what the
mechanism does with a given answer; whether the real model answers well is measured on real history
(benchmarks/next_edit) and checked once on the real model (tests/model/test_pattern_real.py)."""

from __future__ import annotations

import time

from daima.nextedit.edits import apply_edits
from daima.nextedit.history import Burst
from daima.nextedit.proposals import propose
from daima.text import TextDocument

LEDGER = """\
import logging

日志 = logging.getLogger(__name__)
warn = "警告"


def 加载(路径):
    日志.warn("加载 %s", 路径)
    return 路径.read_text()


def 保存(路径, 内容):
    日志.warn("保存 %s", 路径)
    print(warn, "warn")
    路径.write_text(内容)


def 删除(路径):
    日志.warn("删除 %s", 路径)
    路径.unlink()
"""


class Asked:
    """A fill that answers `answer` (None: no time left) and keeps every prompt it was shown."""

    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.prompts: list[tuple[str, str]] = []

    def __call__(self, prefix: str, suffix: str, words: tuple[str, ...] = ()) -> str | None:
        self.prompts.append((prefix, suffix))
        self.words = words
        return self.answer


def replace_first(text: str, old: str, new: str, after: str = "", language: str = "python"):
    """Replace the first `old` after `after` with `new` in one edit; (document, bursts) after it."""
    at = text.index(old, text.index(after) if after else 0)
    edited = text[:at] + new + text[at + len(old) :]
    burst = Burst(at, at + len(new), old, 2, time.monotonic())
    return TextDocument("file:///账本.py", edited, 2, language), [burst]


def test_the_same_replacement_is_proposed_where_the_old_name_stands_in_the_same_syntax() -> None:
    document, bursts = replace_first(LEDGER, "warn", "warning", after="def 加载")
    fill = Asked("warning(")
    proposal = propose(document, bursts, fill)
    assert proposal is not None and proposal.kind == "pattern"
    changed = apply_edits(document.text, proposal.edits)
    assert changed.count("日志.warning(") == 3
    # The module variable `warn`, its read and the string are no attribute after `日志.`: never asked.
    assert 'warn = "警告"' in changed and 'print(warn, "warn")' in changed
    assert len(fill.prompts) == 2 and fill.words == ("warn", "warning")  # the model's choice


def test_each_prompt_holes_the_candidate_and_shows_the_places_decided_so_far() -> None:
    document, bursts = replace_first(LEDGER, "warn", "warning", after="def 加载")
    fill = Asked("warning")
    propose(document, bursts, fill)
    (first_prefix, first_suffix), (second_prefix, _) = fill.prompts
    assert first_prefix.endswith("日志.") and first_suffix.startswith('("保存 %s", 路径)')
    assert '日志.warning("加载 %s", 路径)' in first_prefix  # the user's own edit, above
    assert second_prefix.endswith("日志.") and '日志.warning("保存 %s", 路径)' in second_prefix


def test_the_edit_is_shown_above_a_candidate_whose_surroundings_do_not_reach_it() -> None:
    far = LEDGER.replace("def 删除", "\n" * 40 + "def 删除")
    document, bursts = replace_first(far, "warn", "warning", after="def 加载")
    fill = Asked("warning")
    propose(document, bursts, fill)
    prefix, _ = fill.prompts[-1]
    assert prefix.index('日志.warning("加载 %s", 路径)') < prefix.index("def 删除")


def test_nothing_is_proposed_when_the_model_keeps_the_old_name_or_writes_another() -> None:
    document, bursts = replace_first(LEDGER, "warn", "warning", after="def 加载")
    for answer in ("warn(", "warnwarn", "error(", ""):
        assert propose(document, bursts, Asked(answer)) is None, answer


def test_the_places_decided_before_the_time_ran_out_are_kept() -> None:
    document, bursts = replace_first(LEDGER, "warn", "warning", after="def 加载")
    answers = iter(["warning", None])
    proposal = propose(document, bursts, lambda prefix, suffix, words: next(answers))
    assert proposal is not None and len(proposal.edits) == 1
    assert document.text[proposal.edits[0].start :].startswith('warn("保存')  # the nearest one


def test_a_new_name_read_as_a_variable_must_resolve_where_it_is_put() -> None:
    # `输出` is bound inside 加载 only: put for `print` in 保存 it would name nothing there.
    code = (
        "def 加载(路径):\n    输出 = 记录器()\n    print(路径)\n\n\n"
        "def 保存(路径):\n    print(路径)\n\n\n"
        "def 汇报(路径):\n    输出 = 记录器()\n    print(路径)\n"
    )
    document, bursts = replace_first(code, "print", "输出", after="def 加载")
    proposal = propose(document, bursts, Asked("输出"))
    assert proposal is not None
    changed = apply_edits(document.text, proposal.edits)
    assert "def 保存(路径):\n    print(路径)" in changed  # refused: unbound there
    assert "def 汇报(路径):\n    输出 = 记录器()\n    输出(路径)" in changed


def test_a_binding_renamed_is_still_the_exact_rename_and_the_model_is_not_asked() -> None:
    code = "def 计算(总价):\n    总价 += 1\n    return 总价\n"
    document, bursts = replace_first(code, "总价", "合计")
    fill = Asked("合计")
    proposal = propose(document, bursts, fill)
    assert proposal is not None and proposal.kind == "rename" and fill.prompts == []


def test_without_a_model_no_pattern_is_proposed() -> None:
    document, bursts = replace_first(LEDGER, "warn", "warning", after="def 加载")
    assert propose(document, bursts) is None


def test_attributes_in_javascript_follow_the_same_rule() -> None:
    code = (
        "function 加载(路径) {\n  日志.warn('加载', 路径);\n}\n\n"
        "function 保存(路径) {\n  日志.warn('保存', 路径);\n  const warn = 1;\n}\n"
    )
    document, bursts = replace_first(code, "warn", "warning", language="javascript")
    proposal = propose(document, bursts, Asked("warning"))
    assert proposal is not None
    changed = apply_edits(document.text, proposal.edits)
    assert changed.count("日志.warning(") == 2 and "const warn = 1" in changed


def test_when_one_word_begins_the_other_the_longer_one_the_fill_spells_is_its_choice() -> None:
    shorter = LEDGER.replace("日志.warn(", "日志.warning(")
    document, bursts = replace_first(shorter, "warning", "warn", after="def 加载")
    assert propose(document, bursts, Asked("warning")) is None  # it kept the old, longer word
    proposal = propose(document, bursts, Asked("warn("))
    assert proposal is not None and len(proposal.edits) == 2
