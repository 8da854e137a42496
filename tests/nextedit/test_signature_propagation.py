"""Signature propagation (nextedit/signature.py): a parameter added to a definition reaches its calls."""

from __future__ import annotations

from daima.nextedit.edits import apply_edits
from daima.nextedit.history import EditBursts
from daima.nextedit.proposals import propose
from daima.text import TextDocument


def add(text: str, after: str, inserted: str, language: str = "python"):
    """Type `inserted` right after the first `after`; (proposal, text with the proposal applied)."""
    document = TextDocument("file:///x", text, 1, language)
    bursts = EditBursts()
    at = text.index(after) + len(after)
    for version, ch in enumerate(inserted, start=2):
        bursts.record(document.uri, [document.replace(at, at, ch, version)], version)
        at += 1
    proposal = propose(document, bursts.recent(document.uri))
    return proposal, apply_edits(document.text, proposal.edits) if proposal else document.text


SHOP = """\
def 计算(商品列表, 折扣=1):
    return sum(商品列表) * 折扣

def 结账(商品列表, 税率):
    小计 = 计算(商品列表)
    return 小计 + 计算(商品列表, 折扣=0.9) * 税率

def 预览(税率):
    return 计算([])
"""


def test_an_added_parameter_is_passed_where_a_variable_of_its_name_is_visible() -> None:
    proposal, result = add(SHOP, "def 计算(商品列表", ", 税率")
    assert proposal is not None and proposal.kind == "signature"
    assert "    小计 = 计算(商品列表, 税率)\n" in result
    assert "计算(商品列表, 税率, 折扣=0.9)" in result
    assert "    return 计算([], 税率)\n" in result
    assert {edit.reason for edit in proposal.edits} == {"pass 税率 to 计算"}


def test_calls_where_the_name_is_not_visible_are_left_alone() -> None:
    source = (
        "def 计算(列表):\n    return 列表\n\n"
        "def 甲(列表, 单位):\n    return 计算(列表)\n\n"
        "def 乙(列表):\n    return 计算(列表)\n"
    )
    proposal, result = add(source, "def 计算(列表", ", 单位")
    assert proposal is not None and len(proposal.edits) == 1
    assert "def 甲(列表, 单位):\n    return 计算(列表, 单位)" in result
    assert "def 乙(列表):\n    return 计算(列表)" in result


def test_a_parameter_with_a_default_needs_no_argument() -> None:
    proposal, _ = add(SHOP, "def 结账(商品列表, 税率", ", 币种='元'")
    assert proposal is None


def test_methods_are_called_on_their_receiver_without_self() -> None:
    source = """\
class 购物车:
    def 合计(self, 列表):
        return sum(列表)

    def 结账(self, 列表, 折扣):
        return self.合计(列表) * 折扣
"""
    proposal, result = add(source, "def 合计(self, 列表", ", 折扣")
    assert proposal is not None
    assert "return self.合计(列表, 折扣) * 折扣" in result


def test_a_parameter_after_defaults_left_out_goes_by_keyword() -> None:
    source = (
        "def 计算(列表, 折扣=1, *, 单位):\n    pass\n\ndef 用(列表, 单位, 币种):\n    计算(列表, 单位=单位)\n"
    )
    proposal, result = add(source, "单位", ", 币种")
    assert proposal is not None
    assert "    计算(列表, 单位=单位, 币种=币种)\n" in result  # keyword-only, after `*`
    source = "def 计算(列表, 折扣=1):\n    pass\n\ndef 用(列表, 币种):\n    计算(列表)\n"
    proposal, result = add(source, "折扣=1", ", 币种")
    assert proposal is not None
    assert "    计算(列表, 币种=币种)\n" in result


def test_calls_that_spread_their_arguments_are_left_alone() -> None:
    source = "def 计算(列表):\n    pass\n\ndef 用(参数, 单位):\n    计算(*参数)\n"
    assert add(source, "def 计算(列表", ", 单位")[0] is None


def test_javascript_functions_and_methods() -> None:
    source = """\
function 计算(列表) {
  return 列表.length;
}
function 结账(列表, 税率) {
  return 计算(列表) * 税率;
}
"""
    proposal, result = add(source, "function 计算(列表", ", 税率", language="javascript")
    assert proposal is not None and "return 计算(列表, 税率) * 税率;" in result
    source = "class 车 {\n  合计(列表) { return 0; }\n  结账(列表, 税率) { return this.合计(列表); }\n}\n"
    _, result = add(source, "合计(列表", ", 税率", language="typescript")
    assert "return this.合计(列表, 税率);" in result
