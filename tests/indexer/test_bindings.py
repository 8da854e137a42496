"""The scope model (indexer/bindings.py): which binding each identifier names, from the locals queries."""

from __future__ import annotations

import pytest

from daima.indexer.bindings import ScopeTable, scope_table
from daima.indexer.languages import language_named


def table_of(source: str, language: str = "python") -> tuple[ScopeTable, object, bytes]:
    lang = language_named(language)
    data = source.encode("utf-8")
    tree = lang.parser.parse(data)
    table = scope_table(tree, lang)
    assert table is not None
    return table, tree, data


def lines_of(source: str, needle: str, line_hint: str) -> list[int]:
    """1-based lines of every identifier of the binding named by `needle` on the line containing
    `line_hint`."""
    table, tree, data = table_of(source)
    return binding_lines(table, tree, data, source, needle, line_hint)


def binding_lines(table, tree, data, source, needle, line_hint) -> list[int]:
    line_start = source.index(line_hint)
    at = source.index(needle, line_start)
    found = table.at(tree, len(source[:at].encode("utf-8")))
    assert found is not None and found[0] == needle, found
    assert found[1] is not None, f"{needle} is free"
    return [data[: occurrence.start_byte].count(b"\n") + 1 for occurrence in found[1].occurrences]


SHOP = """\
总价 = 0

def 计算(商品列表, 折扣=总价):
    总价 = 0
    for 商品 in 商品列表:
        总价 += 商品.总价 * 折扣
    def 内部():
        return 总价 + 1
    def 遮蔽():
        总价 = 5
        return 总价
    小计 = [总价 for 总价 in 商品列表]
    return 总价, 计算(商品列表, 折扣=折扣)

class 购物车:
    总价 = 2
    def 方法(self):
        return 总价
"""


def test_a_local_is_one_binding_with_the_nested_function_that_reads_it() -> None:
    # The attribute 商品.总价, the shadowing 遮蔽, the comprehension's own 总价 and the class's stay out.
    assert lines_of(SHOP, "总价", "    总价 = 0") == [4, 6, 8, 13]


def test_module_name_is_read_by_the_default_value_and_by_a_method_not_by_the_class_body() -> None:
    assert lines_of(SHOP, "总价", "总价 = 0") == [1, 3, 18]
    assert lines_of(SHOP, "总价", "    总价 = 2") == [16]


def test_shadowing_and_comprehension_variables_are_their_own_bindings() -> None:
    assert lines_of(SHOP, "总价", "        总价 = 5") == [10, 11]
    assert lines_of(SHOP, "总价", "    小计 =") == [12, 12]


def test_keyword_argument_names_are_no_variables() -> None:
    assert lines_of(SHOP, "折扣", "def 计算") == [3, 6, 13]
    table, _, _ = table_of(SHOP)
    assert "self" not in table.free


def test_global_and_nonlocal_send_bindings_outward() -> None:
    source = """\
次数 = 0

def 外层():
    计数 = 0
    def 加一():
        global 次数
        nonlocal 计数
        次数 += 1
        计数 += 1
    return 计数
"""
    assert lines_of(source, "次数", "次数 = 0") == [1, 6, 8]
    assert lines_of(source, "计数", "    计数 = 0") == [4, 7, 9, 10]


def test_imports_bind_the_name_they_introduce() -> None:
    source = "import os.path\nfrom 工具 import 格式化 as 格式, 解析\n格式(解析(os.path))\n"
    table, tree, data = table_of(source)
    assert binding_lines(table, tree, data, source, "格式", "as 格式") == [2, 3]
    assert binding_lines(table, tree, data, source, "解析", "from") == [2, 3]
    assert binding_lines(table, tree, data, source, "os", "import os") == [1, 3]
    assert table.at(tree, len(source[: source.index("工具")].encode())) is None  # a module path


def test_free_names_are_kept_by_name() -> None:
    table, _, _ = table_of("print(长度(数据))\n")
    assert set(table.free) == {"print", "长度", "数据"}


ECMA = """\
import { 格式化 as 格式 } from "./工具.js";
var 全局 = 1;
function 计算(商品列表) {
  let 总价 = 0;
  for (const 商品 of 商品列表) {
    const 总价 = 商品.总价;
    var 次数 = 2;
  }
  const 结果 = { 总价, 次数 };
  return 格式(总价, 全局, 结果);
}
"""


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx"])
def test_block_scopes_var_and_shorthand_properties(language: str) -> None:
    table, tree, data = table_of(ECMA, language)
    assert binding_lines(table, tree, data, ECMA, "总价", "  let 总价") == [4, 9, 10]
    assert binding_lines(table, tree, data, ECMA, "总价", "    const 总价") == [6]
    assert binding_lines(table, tree, data, ECMA, "次数", "    var 次数") == [7, 9]
    assert binding_lines(table, tree, data, ECMA, "格式", "as 格式") == [1, 10]
    shorthand = table.at(tree, len(ECMA[: ECMA.index("{ 总价") + 2].encode()))
    assert shorthand is not None and shorthand[1] is not None
    assert [o.kind for o in shorthand[1].occurrences] == ["definition", "shorthand", "reference"]


def test_typescript_types_are_bindings_too() -> None:
    source = "interface 商品 { 价格: number }\nfunction 总和(列表: 商品[]): number { return 0 }\n"
    table, tree, data = table_of(source, "typescript")
    assert binding_lines(table, tree, data, source, "商品", "interface") == [1, 2]


def test_visible_answers_what_a_read_at_a_place_would_name() -> None:
    table, tree, _ = table_of(SHOP)
    inner = len(SHOP[: SHOP.index("return 总价 + 1")].encode())
    binding = table.visible(tree, inner, "折扣")
    assert binding is not None and binding.name == "折扣"
    assert table.visible(tree, inner, "不存在") is None
    in_method = len(SHOP[: SHOP.index("        return 总价\n", SHOP.index("class"))].encode())
    module_binding = table.visible(tree, in_method, "总价")
    assert module_binding is not None and module_binding.scope == (0, len(SHOP.encode()))


def test_a_language_without_a_locals_query_has_no_table() -> None:
    go = language_named("go")
    assert go.locals_query is None
    assert scope_table(go.parser.parse(b"package main\n"), go) is None


REUSED = """\
def 检查(文本):
    结果 = 读(文本)
    print(结果)
    if 文本:
        结果 = 结果 + 1
    结果 = 读(结果)
    return 结果
"""


def test_an_assignment_in_the_body_starts_a_new_value_web() -> None:
    table, tree, data = table_of(REUSED)
    at = len(REUSED[: REUSED.index("结果")].encode())
    _, binding = table.at(tree, at)
    first = next(o for o in binding.occurrences if o.start_byte == at)
    lines = [data[: o.start_byte].count(b"\n") + 1 for o in table.web(binding, first)]
    # The assignment inside `if` does not start a web (it may not run); the one in the body does,
    # after its right side, which still reads the earlier value.
    assert lines == [2, 3, 5, 5, 6]
    last = next(o for o in binding.occurrences if data[: o.start_byte].count(b"\n") + 1 == 7)
    assert [data[: o.start_byte].count(b"\n") + 1 for o in table.web(binding, last)] == [6, 7]


def test_a_variable_a_closure_reads_is_not_split() -> None:
    source = "def 外():\n    值 = 1\n    def 内():\n        return 值\n    值 = 2\n    return 内\n"
    table, tree, _ = table_of(source)
    _, binding = table.at(tree, len(source[: source.index("值")].encode()))
    assert table.web(binding, binding.occurrences[0]) == binding.occurrences


def test_only_an_identifier_names_a_binding_and_scopes_are_told_apart_by_their_extent() -> None:
    # A function at byte 0 starts where the module does; a string prefix starts where its statement's
    # right side does, and a statement's first byte is its target's.
    source = "def 读(文本):\n    式 = r'第(\\d+)條'\n    return 式\n式 = 1\n"
    table, tree, _ = table_of(source)
    assert table.at(tree, len(source[: source.index("r'")].encode())) is None
    name, local = table.at(tree, len(source[: source.index("式")].encode()))
    assert name == "式" and local is not None
    assert local.scope[0] == 0 and local.scope[1] < len(source.encode())  # the function's, not the module's
    assert len(local.occurrences) == 2 and table.web(local, local.occurrences[0]) == local.occurrences
