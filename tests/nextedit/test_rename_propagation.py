"""Rename propagation (nextedit/rename.py) over the scope model, in code written with Chinese names."""

from __future__ import annotations

import pytest

from daima.nextedit.edits import apply_edits
from daima.nextedit.history import EditBursts
from daima.nextedit.proposals import propose
from daima.text import TextDocument

SHOP = """\
def 计算(商品列表, 折扣):
    总价 = 0
    for 商品 in 商品列表:
        总价 += 商品.总价 * 折扣
    def 内部():
        return 总价 + 1
    def 遮蔽():
        总价 = 5
        return 总价
    return [总价 for 总价 in 商品列表], 总价, 内部()

def 打印(总价):
    print(总价)
"""


def rename(text: str, old: str, new: str, after: str = "", language: str = "python", typed: bool = True):
    """Rename the first `old` after `after` to `new` as a user would (a character at a time when
    `typed`), then ask for the next edits. Returns (the proposal, the text with it applied)."""
    document = TextDocument("file:///x", text, 1, language)
    bursts = EditBursts()
    at = text.index(old, text.index(after) if after else 0)
    version = 1
    steps = [(at + len(old) - 1 - i, at + len(old) - i, "") for i in range(len(old) - 1)]
    steps += [(at + 1 + i, at + 1 + i, ch) for i, ch in enumerate(new[1:])]
    steps += [(at, at + 1, new[0])]
    if not typed:
        steps = [(at, at + len(old), new)]
    for start, end, inserted in steps:
        version += 1
        bursts.record(document.uri, [document.replace(start, end, inserted, version)], version)
    proposal = propose(document, bursts.recent(document.uri))
    return proposal, apply_edits(document.text, proposal.edits) if proposal else document.text


def test_renaming_a_local_at_its_definition_renames_its_binding_only() -> None:
    proposal, result = rename(SHOP, "总价", "总金额", after="    总价 = 0")
    assert proposal is not None and proposal.kind == "rename"
    assert result == SHOP.replace("    总价 = 0", "    总金额 = 0").replace(
        "        总价 += 商品.总价", "        总金额 += 商品.总价"
    ).replace("return 总价 + 1", "return 总金额 + 1").replace("], 总价, 内部", "], 总金额, 内部")
    assert {edit.reason for edit in proposal.edits} == {"rename 总价 → 总金额"}


def test_renaming_at_a_use_renames_the_definition_and_the_other_uses() -> None:
    _, result = rename(SHOP, "总价", "合计", after="return 总价 + 1")
    assert "    合计 = 0" in result and "        合计 += 商品.总价 * 折扣" in result
    assert "def 打印(总价):\n    print(总价)" in result  # another function's parameter


def test_a_parameter_rename_reaches_a_nested_function() -> None:
    source = "def 外层(数据):\n    def 内层():\n        return len(数据)\n    return 内层() + len(数据)\n"
    _, result = rename(source, "数据", "记录")
    assert result == source.replace("数据", "记录")


def test_a_new_name_that_would_capture_or_be_captured_is_not_proposed() -> None:
    # 折扣 is already a parameter: renaming 总价 to it would merge two variables.
    assert rename(SHOP, "总价", "折扣", after="    总价 = 0")[0] is None
    # An inner function binds the new name: its read of the outer 总价 would go to its own variable.
    source = (
        "def 外层():\n    总价 = 1\n    def 内层():\n        小计 = 2\n"
        "        return 总价 + 小计\n    return 内层\n"
    )
    assert rename(source, "总价", "小计")[0] is None


def test_module_names_global_declarations_and_imports() -> None:
    source = (
        "from 工具 import 格式化\n次数 = 0\n\n"
        "def 加一():\n    global 次数\n    次数 += 1\n    return 格式化(次数)\n"
    )
    _, result = rename(source, "次数", "调用次数")
    assert result == source.replace("次数", "调用次数")
    _, result = rename(source, "格式化", "排版", after="import")
    assert result == source.replace("格式化", "排版")


def test_nothing_is_proposed_for_what_is_no_rename() -> None:
    assert rename(SHOP, "总价", "for", after="    总价 = 0")[0] is None  # a keyword: would not parse
    assert rename("print(长度)\n", "长度", "尺寸")[0] is None  # a free name: its binding is elsewhere
    assert rename(SHOP, "商品.总价", "商品.合计", typed=False)[0] is None  # an attribute
    document = TextDocument("file:///x", SHOP, 1, "python")
    assert propose(document, []) is None


def test_a_shorthand_property_keeps_its_key() -> None:
    source = "function 汇总(列表) {\n  const 总价 = 列表.length;\n  return { 总价, 列表 };\n}\n"
    _, result = rename(source, "总价", "合计", language="javascript")
    assert result == source.replace("const 总价", "const 合计").replace("{ 总价,", "{ 总价: 合计,")


@pytest.mark.parametrize("language", ["typescript", "javascript"])
def test_block_scoped_shadowing_in_scripts(language: str) -> None:
    source = (
        "function 计算(列表) {\n  let 总价 = 0;\n  for (const 项 of 列表) {\n"
        "    const 总价 = 项.总价;\n    console.log(总价);\n  }\n  return 总价;\n}\n"
    )
    _, result = rename(source, "总价", "合计", language=language)
    assert result == source.replace("let 总价", "let 合计").replace("return 总价", "return 合计")


SUM = "def 计算(列表):\n    总价 = 0\n    for 项 in 列表:\n        总价 += 项\n    return 总价 + 总价\n"


def type_over(document: TextDocument, bursts: EditBursts, at: int, old: str, new: str) -> None:
    version = document.version or 1
    bursts.record(document.uri, [document.replace(at, at + len(old), new, version + 1)], version + 1)


def test_reads_renamed_by_hand_first_join_the_rename() -> None:
    document = TextDocument("file:///x", SUM, 1, "python")
    bursts = EditBursts()
    type_over(document, bursts, SUM.rindex("总价"), "总价", "合计")  # the last read, by hand
    type_over(document, bursts, SUM.index("总价"), "总价", "合计")  # then the definition
    proposal = propose(document, bursts.recent(document.uri))
    assert proposal is not None and len(proposal.edits) == 2
    assert apply_edits(document.text, proposal.edits) == SUM.replace("总价", "合计")


def test_accepting_one_edit_at_a_time_keeps_proposing_the_rest() -> None:
    document = TextDocument("file:///x", SUM, 1, "python")
    bursts = EditBursts()
    type_over(document, bursts, SUM.index("总价"), "总价", "合计")
    for left in (3, 2, 1):
        proposal = propose(document, bursts.recent(document.uri))
        assert proposal is not None and len(proposal.edits) == left
        first = proposal.edits[0]
        type_over(document, bursts, first.start, "总价", first.new_text)  # the client applies one
    assert document.text == SUM.replace("总价", "合计")
    assert propose(document, bursts.recent(document.uri)) is None


def test_a_global_of_the_new_name_is_not_taken_for_a_hand_rename() -> None:
    source = "def 计算():\n    总价 = 0\n    return 总价 + 合计\n"  # 合计: a global from elsewhere
    _, result = rename(source, "总价", "合计")
    assert result == source.replace("    总价 = 0", "    合计 = 0")  # nothing proposed


def test_a_renamed_parameter_renames_the_keyword_arguments_that_pass_it() -> None:
    source = (
        "def 计算(列表, 折扣=1):\n    return sum(列表) * 折扣\n\n"
        "def 结账(折扣):\n    return 计算([], 折扣=折扣) + 计算([1], 折扣=0.5)\n"
    )
    proposal, result = rename(source, "折扣", "优惠")
    assert proposal is not None
    assert result == (
        "def 计算(列表, 优惠=1):\n    return sum(列表) * 优惠\n\n"
        "def 结账(折扣):\n    return 计算([], 优惠=折扣) + 计算([1], 优惠=0.5)\n"
    )


def test_a_reassigned_variable_renames_the_value_the_user_renamed() -> None:
    source = (
        "def 测试(文本):\n    d = 读(文本)\n    print(d)\n\n"
        "    d = 解析(文本)\n    assert d[0] == 1\n    print(d)\n"
    )
    _, result = rename(source, "d", "记录", after="    d = 读")
    assert result == source.replace("    d = 读", "    记录 = 读").replace("print(d)\n\n", "print(记录)\n\n")
    _, result = rename(source, "d", "结果", after="    d = 解析")
    assert result == source.replace("    d = 解析", "    结果 = 解析").replace("d[0]", "结果[0]").replace(
        "    print(d)\n", "    print(结果)\n"
    ).replace("print(结果)\n\n", "print(d)\n\n")


WORD_ELSEWHERE = """\
def 计算总价(商品列表, 折扣):
    总价 = 0
    # 商品列表: what the caller bought
    for 商品 in 商品列表:
        总价 += 商品.单价
    print("商品列表 ok", len(商品列表), 库存.商品列表, 打包(商品列表=[]))
    return 总价 * 折扣

def 其它(商品列表):
    return 商品列表
"""


@pytest.mark.parametrize("typed", [True, False])
def test_a_parameter_rename_follows_the_value_not_the_word(typed: bool) -> None:
    # The same word in a comment, a string, an attribute, another call's keyword and another function's
    # parameter is another thing: only the two reads of this parameter are renamed.
    proposal, result = rename(WORD_ELSEWHERE, "商品列表", "货物列表", typed=typed)
    assert proposal is not None and len(proposal.edits) == 2
    expected = WORD_ELSEWHERE.replace("def 计算总价(商品列表", "def 计算总价(货物列表", 1)
    expected = expected.replace("for 商品 in 商品列表:", "for 商品 in 货物列表:")
    expected = expected.replace("len(商品列表)", "len(货物列表)")
    assert result == expected
