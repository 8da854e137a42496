"""What the code after the hole needs from it: unbound names and a missing block header (data-driven)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from daima.completion.names import NameScope, candidate_reads, name_scope
from daima.completion.needs import (
    assigns_to_itself,
    code_follows_in_block,
    dead_stores,
    ends_flow,
    left_unbound,
    may_bind,
    names_around_in_function,
    needed_names,
    opens_block,
    shadowed_builtins,
)
from daima.completion.rules import (
    DEAD_STORE,
    DUPLICATE_KEY,
    ENDLESS_LOOP,
    MISUSED_LITERAL,
    READ_BEFORE_BOUND,
    REPEATS_SUFFIX,
    REUSED_LOOP_NAME,
    SHADOWS_BUILTIN,
    UNBOUND,
    UNRESOLVED,
    Finding,
)
from daima.completion.syntax import SpliceChecker

CASES = json.loads((Path(__file__).parent.parent / "data" / "needs" / "python.json").read_text("utf-8"))[
    "cases"
]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_needs(case: dict[str, object]) -> None:
    document = str(case["document"])
    cursor = document.index("▮")
    text = document.replace("▮", "")
    checker = SpliceChecker(text, cursor, cursor, "python")
    assert needed_names(name_scope(checker, "python"), checker.tree, checker.hole_byte) == case["needed"]
    line_before = text[text.rfind("\n", 0, cursor) + 1 : cursor]
    assert opens_block(line_before, text[cursor:]) == case["opens_block"]


def test_known_names_from_the_index_are_bound() -> None:
    text = "def f():\n    \n    return 配置.值\n"
    checker = SpliceChecker(text, 13, 13, "python")
    assert needed_names(name_scope(checker, "python"), checker.tree, checker.hole_byte) == ["配置"]
    assert needed_names(name_scope(checker, "python", {"配置"}), checker.tree, checker.hole_byte) == []


def test_no_tree_needs_nothing() -> None:
    assert needed_names(NameScope(None, None, frozenset()), None, 0) == []


@pytest.mark.parametrize(
    ("line_before", "completion", "unbound"),
    [
        ("    ", "结果 = []", []),
        ("    ", "return 结果", ["结果"]),
        ("    甲, ", "乙 = 数值.split('/')", []),
        ("    ", "甲, 乙 = 数值.split('/')", []),
        ("    ", "for 序号 in range(3): pass", []),
    ],
)
def test_left_unbound(line_before: str, completion: str, unbound: list[str]) -> None:
    needed = [name for name in ("结果", "甲", "乙", "序号") if name in completion or name in line_before]
    text = "def f(数值):\n" + line_before + "\n    return 0\n"
    cursor = len("def f(数值):\n" + line_before)
    checker = SpliceChecker(text, cursor, cursor, "python")
    bound = candidate_reads(name_scope(checker, "python"), checker, completion, line_before).binds
    assert left_unbound(needed, bound) == unbound


@pytest.mark.parametrize(
    ("line_before", "expected"),
    [
        ("    ", True),
        ("    甲, ", True),
        ("    结", True),
        ("    结果 = ", False),
        ("    return ", False),
        ("    f(", False),
    ],
)
def test_may_bind(line_before: str, expected: bool) -> None:
    assert may_bind(line_before) is expected


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ("\n    return sum(数字)\n", True),  # the next statement of the same block
        ("\n\n    # 注释\n    数字[0] *= 符号\n", True),  # blank and comment lines are skipped
        ("\nelse:\n    pass\n", False),  # the block ends here
        ("\n    else:\n        pass\n", False),  # a clause of the statement, not the block
        ("\n        更深 = 1\n", False),  # deeper: a header is missing (opens_block)
        ("", False),  # end of file
        ("x\n    return 1\n", False),  # text after the cursor on the same line
    ],
)
def test_code_follows_in_block(after: str, expected: bool) -> None:
    assert code_follows_in_block("    ", after) is expected


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ("return 数字", True),
        ("raise ValueError(值)", True),
        ("数字[0] = 数字[0] * 符号", False),
        ("if 值:\n        return 1", False),  # the return is inside a nested block
        ("for 值 in 列表:\n        总和 += 值\n    return 总和", True),
        ("return 1  # 注释\n    # 尾注释", True),
    ],
)
def test_ends_flow(completion: str, expected: bool) -> None:
    assert ends_flow("    ", completion) is expected


def test_steering_forces_the_needed_name_then_its_binding_without_reading_it(qwen_engine: Any) -> None:
    from daima.completion.candidates import Candidate
    from daima.completion.needs import Needs
    from daima.completion.steering import steered
    from daima.model.api import GenerationRequest

    needs = Needs(("答案",), line_before="    ")
    greedy = GenerationRequest(prompt="…", max_tokens=16)
    # The greedy line already began with the needed name: forcing the name alone would repeat it.
    tried = [
        Candidate(
            text="答案.extend(奇数)", findings=(Finding(UNRESOLVED, ("答案",)), Finding(UNBOUND, ("答案",)))
        )
    ]
    request = steered(greedy, 1, tried, qwen_engine, needs)
    assert request.forced_prefix == "答案 =" and request.temperature == 0
    pushed = {i for i, value in (request.logit_bias or {}).items() if value < 0}
    assert qwen_engine.tokenize("答案")[0] in pushed  # `答案 = 答案 + 奇数` would read it unbound
    # A greedy line that began elsewhere gets the name alone first (`答案, 其余 = …` stays possible).
    tried = [Candidate(text="return 奇数", findings=(Finding(UNBOUND, ("答案",)),))]
    assert steered(greedy, 1, tried, qwen_engine, needs).forced_prefix == "答案"


def test_steering_forces_a_loop_header_where_the_next_line_is_indented_deeper(qwen_engine: Any) -> None:
    from daima.completion.candidates import Candidate
    from daima.completion.needs import Needs
    from daima.completion.steering import steered
    from daima.model.api import GenerationRequest

    needs = Needs(("序号",), line_before="    ", opens_block=True)
    greedy = GenerationRequest(prompt="…", max_tokens=16)
    # `序号=序号+1` binds the name but breaks the file (unexpected indent below): it binds nothing.
    tried = [Candidate(text="序号=序号+1", parses=False, findings=(Finding(UNRESOLVED, ("序号",)),))]
    assert steered(greedy, 1, tried, qwen_engine, needs).forced_prefix == "for 序号"
    tried.append(Candidate(text="for 序号 in 列表", forced="for 序号", steered=True, parses=False))
    assert steered(greedy, 2, tried, qwen_engine, needs).forced_prefix == ""  # tried: sample instead


def test_a_candidate_that_only_repeats_the_suffix_is_tried_again_and_chosen_last() -> None:
    from daima.completion.candidates import Candidate, choose

    repeat = Candidate(text="最近数对 = tuple(数对)", findings=(Finding(REPEATS_SUFFIX),))
    other = Candidate(text="距离 = abs(甲 - 乙)", findings=(Finding(UNRESOLVED, ("甲",)),))
    assert not repeat.ok
    assert choose([repeat, other]) is other


def test_steering_forces_every_needed_name_after_a_line_that_bound_some(qwen_engine: Any) -> None:
    from daima.completion.candidates import Candidate
    from daima.completion.needs import Needs
    from daima.completion.steering import steered
    from daima.model.api import GenerationRequest

    # HumanEval/0/L1: the body reads 索引二 and 元素二; `for 索引二 in range(…)` binds only the first.
    needs = Needs(("索引二", "元素二"), line_before="        ", opens_block=True)
    greedy = GenerationRequest(prompt="…", max_tokens=16)
    tried = [
        Candidate(
            text="for 索引二 in range(索引 + 1, len(数字列表)):", findings=(Finding(UNBOUND, ("元素二",)),)
        )
    ]
    assert steered(greedy, 1, tried, qwen_engine, needs).forced_prefix == "for 索引二, 元素二"
    header = "for 索引二, 元素二"
    tried.append(Candidate(text=header + " in 数字列表:", forced=header, steered=True))
    assert steered(greedy, 2, tried, qwen_engine, needs).forced_prefix == ""  # bound: nothing to force
    # `临时值甲 = float(甲)` where the code below reads both 临时值甲 and 临时值乙.
    flat = Needs(("临时值甲", "临时值乙"), line_before="    ")
    tried = [Candidate(text="临时值甲 = float(甲)", findings=(Finding(UNBOUND, ("临时值乙",)),))]
    assert steered(greedy, 1, tried, qwen_engine, flat).forced_prefix == "临时值甲, 临时值乙"


@pytest.mark.parametrize(
    ("line_before", "completion", "expected"),
    [
        ("    ", "距离 = 距离", True),
        ("    距离 = ", "距离", True),
        ("    ", "self.值 = self.值;", True),
        ("    ", "距离 = 距离 + 1", False),
        ("    ", "距离 == 距离", False),
        ("    ", "距离二 = 距离", False),
        ("    ", "if 值:\n        值 = 值", True),
    ],
)
def test_assigns_to_itself(line_before: str, completion: str, expected: bool) -> None:
    assert assigns_to_itself(line_before, completion) is expected


SUM_OF_SQUARES = "def 平方和(列表):\n    平方和 = 0\n    for 序号 in 列表:\n        ▮\n    return 平方和\n"


def _function_names(document: str) -> frozenset[str] | None:
    cursor = document.index("▮")
    checker = SpliceChecker(document.replace("▮", ""), cursor, cursor, "python")
    return names_around_in_function(name_scope(checker, "python"), checker.tree, checker.hole_byte)


def test_names_around_in_function_only_where_the_function_goes_on() -> None:
    assert _function_names(SUM_OF_SQUARES) == {"平方和", "列表", "序号"}
    assert _function_names("def f(甲):\n    乙 = 甲\n    ▮\n") is None  # nothing after the hole
    assert _function_names("甲 = 1\n▮\n乙 = 甲\n") is None  # module level: other modules may read it


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        ("平方 = 序号 ** 2", ["平方"]),  # a new name nothing reads
        ("平方和 += 序号 ** 2", []),  # augmented: the name is read after
        ("平方和 = 平方和 + 序号 ** 2", []),
        ("平方, 立方 = 序号 ** 2, 序号 ** 3", ["平方", "立方"]),
        ("平方 = 序号 ** 2\n        平方和 += 平方", []),  # read by its own next line
        ("if 序号 > 0: 平方 = 1", []),  # not a plain assignment statement
        ("print(序号 == 2)", []),
        ("_, _余数 = divmod(序号, 2)", []),  # a leading underscore says the value is unused
    ],
)
def test_dead_stores(completion: str, expected: list[str]) -> None:
    cursor = SUM_OF_SQUARES.index("▮")
    checker = SpliceChecker(SUM_OF_SQUARES.replace("▮", ""), cursor, cursor, "python")
    read = candidate_reads(name_scope(checker, "python"), checker, completion, "        ").reads
    assert dead_stores("        ", completion, _function_names(SUM_OF_SQUARES), read) == expected


def test_no_dead_stores_without_code_after_the_hole() -> None:
    # At a function's end the user may be writing it top-down: the next line will read the name.
    assert dead_stores("    ", "结果 = 0", None, frozenset()) == []


@pytest.mark.parametrize(
    ("line_before", "completion", "expected"),
    [
        ("    ", "sum = 0", ["sum"]),
        ("    ", "list, 长度 = [], 0", ["list"]),
        ("    sum", " = 0", ["sum"]),
        ("    ", "总和 = sum(列表)", []),
        ("    ", "sum == 0", []),
    ],
)
def test_shadowed_builtins(line_before: str, completion: str, expected: list[str]) -> None:
    assert shadowed_builtins(line_before, completion) == expected


def _pushed(request: Any) -> set[int]:
    return {i for i, value in (request.logit_bias or {}).items() if value < 0}


def test_steering_pushes_down_the_token_a_missing_name_was_glued_to(qwen_engine: Any) -> None:
    from daima.completion.candidates import Candidate
    from daima.completion.needs import Needs
    from daima.completion.steering import steered
    from daima.model.api import GenerationRequest

    # Qwen's tokenizer writes `sorted(array` as `sorted` `(array`: biasing `array` and ` array` alone
    # left the next candidate identical (HumanEval/116 with Chinese names).
    (glued,) = qwen_engine.tokenize("(array")
    tried = [Candidate(text="return sorted(array, key=len)", findings=(Finding(UNRESOLVED, ("array",)),))]
    request = steered(GenerationRequest(prompt="…", max_tokens=16), 1, tried, qwen_engine, Needs())
    assert glued in _pushed(request)
    assert qwen_engine.tokenize("(")[0] not in _pushed(request)  # the bracket itself stays free


def test_steering_pushes_down_the_token_the_model_actually_used(qwen_engine: Any) -> None:
    from daima.completion.candidates import PUSH_DOWN_REPEAT, Candidate, starting_tokens
    from daima.completion.needs import Needs
    from daima.completion.steering import steered
    from daima.model.api import GenerationRequest

    # The model wrote `最` `近` `数` `对`, not the canonical `最近` `数` `对`, and copied the next line.
    ids = [i for piece in ("最", "近", "数", "对", " =", " None") for i in qwen_engine.tokenize(piece)]
    assert qwen_engine.tokenize("最近数对")[0] != ids[0]
    tried = [Candidate(text="最近数对 = None", token_ids=tuple(ids), findings=(Finding(REPEATS_SUFFIX),))]
    request = steered(GenerationRequest(prompt="…", max_tokens=16), 1, tried, qwen_engine, Needs())
    assert (request.logit_bias or {}).get(ids[0]) == PUSH_DOWN_REPEAT
    # A token holding only part of a character is never pushed: it would push every character
    # that shares its bytes.
    # `, 元素二` as the model wrote it: `,` ` \xe5` `\x85\x83` (the rest of 元) `素` `二`.
    split = [11, 34369, 225, 71138, 40820]
    assert qwen_engine.detokenize(split) == ", 元素二"
    assert "\ufffd" in qwen_engine.detokenize(split[1:2])
    assert starting_tokens(qwen_engine, split, "元素二") == set()
    assert starting_tokens(qwen_engine, ids, "最近数对") == {ids[0]}


def test_steering_pushes_down_a_dead_store_and_a_shadowed_builtin(qwen_engine: Any) -> None:
    from daima.completion.candidates import PUSH_DOWN, Candidate, choose
    from daima.completion.needs import Needs
    from daima.completion.steering import steered
    from daima.model.api import GenerationRequest

    dead = Candidate(text="平方 = 序号 ** 2", findings=(Finding(DEAD_STORE, ("平方",)),))
    shadow = Candidate(text="sum = 0", findings=(Finding(SHADOWS_BUILTIN, ("sum",)),))
    assert not dead.ok and not shadow.ok and dead.problems == shadow.problems == 1
    request = steered(GenerationRequest(prompt="…", max_tokens=16), 2, [dead, shadow], qwen_engine, Needs())
    bias = request.logit_bias or {}
    assert bias.get(qwen_engine.tokenize("平方")[0]) == PUSH_DOWN
    assert bias.get(qwen_engine.tokenize("sum")[0]) == PUSH_DOWN
    # When every candidate fails, the one with the fewest problems is shown; a clean one wins.
    clean = Candidate(text="平方和 += 序号 ** 2")
    assert choose([dead, shadow]) is dead and choose([dead, clean]) is clean


def test_steering_pushes_down_the_first_word_of_a_line_that_left_a_loop_endless(qwen_engine: Any) -> None:
    from daima.completion.candidates import PUSH_DOWN, Candidate
    from daima.completion.needs import Needs
    from daima.completion.steering import steered
    from daima.model.api import GenerationRequest

    endless = Candidate(text="奇数考拉兹.append(int(整数))", findings=(Finding(ENDLESS_LOOP, ("整数",)),))
    assert not endless.ok and endless.problems == 1
    request = steered(GenerationRequest(prompt="…", max_tokens=16), 1, [endless], qwen_engine, Needs())
    assert (request.logit_bias or {}).get(qwen_engine.tokenize("奇数考拉兹")[0]) == PUSH_DOWN


def test_steering_pushes_down_a_literal_the_code_after_misuses(qwen_engine: Any) -> None:
    from daima.completion.candidates import PUSH_DOWN, Candidate
    from daima.completion.needs import Needs
    from daima.completion.steering import steered
    from daima.model.api import GenerationRequest

    misused = Candidate(text="答案 = 0", findings=(Finding(MISUSED_LITERAL, ("0",)),))
    assert not misused.ok and misused.problems == 1
    request = steered(GenerationRequest(prompt="…", max_tokens=16), 1, [misused], qwen_engine, Needs())
    assert (request.logit_bias or {}).get(qwen_engine.tokenize(" 0")[0]) == PUSH_DOWN


def test_steering_pushes_down_the_word_of_a_repeated_string_key(qwen_engine: Any) -> None:
    from daima.completion.candidates import PUSH_DOWN, Candidate
    from daima.completion.needs import Needs
    from daima.completion.steering import steered
    from daima.model.api import GenerationRequest

    repeated = Candidate(text="'zero': 0,", findings=(Finding(DUPLICATE_KEY, ("'zero'",)),))
    assert not repeated.ok and repeated.problems == 1
    request = steered(GenerationRequest(prompt="…", max_tokens=16), 1, [repeated], qwen_engine, Needs())
    bias = request.logit_bias or {}
    assert bias.get(qwen_engine.tokenize("zero")[0]) == PUSH_DOWN
    assert qwen_engine.tokenize("'")[0] not in bias  # the quote itself stays free
    # A numeric key is not pushed down: that would push its digits everywhere in the line.
    number = Candidate(text="1: 'One',", findings=(Finding(DUPLICATE_KEY, ("1",)),))
    assert not (
        steered(GenerationRequest(prompt="…", max_tokens=16), 1, [number], qwen_engine, Needs()).logit_bias
    )


def test_steering_pushes_down_a_reused_loop_variable(qwen_engine: Any) -> None:
    from daima.completion.candidates import PUSH_DOWN, Candidate
    from daima.completion.needs import Needs
    from daima.completion.steering import steered
    from daima.model.api import GenerationRequest

    reused = Candidate(text="for 下标 in range(2, 整数):", findings=(Finding(REUSED_LOOP_NAME, ("下标",)),))
    assert not reused.ok and reused.problems == 1
    request = steered(GenerationRequest(prompt="…", max_tokens=16), 1, [reused], qwen_engine, Needs())
    assert (request.logit_bias or {}).get(qwen_engine.tokenize(" 下标")[0]) == PUSH_DOWN


def test_steering_pushes_down_every_block_keyword_after_a_header_with_no_body(qwen_engine: Any) -> None:
    from daima.completion.candidates import PUSH_DOWN, Candidate
    from daima.completion.needs import Needs
    from daima.completion.steering import steered
    from daima.model.api import GenerationRequest

    # `for 序号 in range(len(已排序数组)):` above a line of the same indentation was cut to nothing;
    # with only `for` pushed down the model wrote `if …:` next.
    header = Candidate(text="", uncut="for 序号 in range(len(已排序数组)):")
    request = steered(GenerationRequest(prompt="…", max_tokens=16), 1, [header], qwen_engine, Needs())
    bias = request.logit_bias or {}
    assert all(
        bias.get(qwen_engine.tokenize(word)[0]) == PUSH_DOWN for word in ("for", "if", "while", "else")
    )
    # Where the next line is indented deeper a header is what the line needs: only its word goes.
    opens = steered(
        GenerationRequest(prompt="…", max_tokens=16), 1, [header], qwen_engine, Needs(opens_block=True)
    )
    assert (opens.logit_bias or {}).get(qwen_engine.tokenize("if")[0], 0) >= 0


def test_a_name_the_completion_makes_local_and_reads_first_is_found() -> None:
    from daima.completion.candidates import Candidate
    from daima.completion.needs import Needs
    from daima.completion.pipeline import _check

    document = (
        "def 最大质因数(整数):\n    def 是质数(数值):\n        if 数值 % 2 == 0:\n            \n"
        "        return True\n    return 是质数(整数)\n"
    )
    hole = document.index("            \n") + 12
    checker = SpliceChecker(document, hole, hole, "python")
    names = name_scope(checker, "python")
    checked = _check(Candidate(text="整数 //= 2"), checker, names, "python", Needs(line_before=" " * 12))
    assert checked.found(READ_BEFORE_BOUND) == ("整数",) and not checked.ok
    assert "reads a name it makes local before binding it: 整数" in checked.notes
    fine = _check(Candidate(text="return False"), checker, names, "python", Needs(line_before=" " * 12))
    assert fine.ok


def test_choose_counts_every_kind_of_problem() -> None:
    from daima.completion.candidates import Candidate, choose

    endless_and_misused = Candidate(
        text="结果 = ''", findings=(Finding(ENDLESS_LOOP, ("整数",)), Finding(MISUSED_LITERAL, ("''",)))
    )
    one_unresolved = Candidate(text="结果 = 列表", findings=(Finding(UNRESOLVED, ("列表",)),))
    assert endless_and_misused.problems == 2 and one_unresolved.problems == 1
    assert choose([endless_and_misused, one_unresolved]) is one_unresolved


def test_a_one_line_if_above_its_own_body_is_cut_to_its_header_and_says_so() -> None:
    from daima.completion.candidates import Candidate
    from daima.completion.needs import Needs
    from daima.completion.pipeline import _check

    document = (
        "def 是质数(整数):\n    for 序号 in range(2, 整数):\n        \n"
        "            return False\n    return True\n"
    )
    hole = document.index("        \n") + 8
    checker = SpliceChecker(document, hole, hole, "python")
    needs = Needs(line_before=" " * 8, opens_block=True)
    candidate = Candidate(text="if 整数 % 序号 == 0: return False")
    checked = _check(candidate, checker, name_scope(checker, "python"), "python", needs)
    assert checked.text == "if 整数 % 序号 == 0:" and checked.ok
    assert "kept the header: its body is the code below it" in checked.notes


def test_a_repeated_line_keeps_the_keyword_the_hole_needs_and_pushes_down_what_followed(
    qwen_engine: Any,
) -> None:
    from daima.completion.candidates import PUSH_DOWN_REPEAT, Candidate
    from daima.completion.needs import Needs
    from daima.completion.steering import steered
    from daima.model.api import GenerationRequest

    request = GenerationRequest(prompt="…", max_tokens=16)
    # `if num > 0:` copied from the line below, where the line must open a block.
    header = Candidate(text="if 数值 > 0:", findings=(Finding(REPEATS_SUFFIX),))
    kept = steered(request, 1, [header], qwen_engine, Needs(opens_block=True))
    assert kept.forced_prefix == "if"
    bias = kept.logit_bias or {}
    assert bias.get(qwen_engine.tokenize(" 数值")[0]) == PUSH_DOWN_REPEAT
    assert qwen_engine.tokenize("if")[0] not in bias
    # `return y - 1` copied from the dedented line below, where the block ends.
    returned = Candidate(text="return 乙 - 1", findings=(Finding(REPEATS_SUFFIX),))
    assert steered(request, 1, [returned], qwen_engine, Needs()).forced_prefix == "return"
    # Where code follows in the block a `return` cannot be kept: its word is pushed down as before.
    follows = steered(request, 1, [returned], qwen_engine, Needs(code_follows=True))
    assert follows.forced_prefix == ""
    assert (follows.logit_bias or {}).get(qwen_engine.tokenize("return")[0]) == PUSH_DOWN_REPEAT
