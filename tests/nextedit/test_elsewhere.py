"""Renames that reach other files (nextedit/elsewhere.py): the files that import a renamed name."""

from __future__ import annotations

from daima.indexer.languages import language_named
from daima.nextedit.edits import apply_edits
from daima.nextedit.elsewhere import ModuleRename, RecentRenames, importer_edits, module_of

PYTHON = language_named("python")
RENAME = ModuleRename("账本.工具", "合计", "求和")


def renamed(text: str, rel: str, renames: list[ModuleRename] | None = None) -> str | None:
    proposal = importer_edits(text, PYTHON, rel, [RENAME] if renames is None else renames)
    return apply_edits(text, proposal.edits) if proposal is not None else None


def test_module_names_of_files() -> None:
    assert module_of("账本/工具.py") == "账本.工具"
    assert module_of("账本/__init__.py") == "账本"
    assert module_of("工具.py") == "工具"
    assert module_of("src/工具.js") == module_of("src/工具.ts") == "src/工具"  # as the index stores imports
    assert module_of("README.md") is None


def test_an_importing_file_renames_the_import_and_its_uses_only() -> None:
    text = (
        "from 账本.工具 import 合计, 平均\n\n\n"
        "def 报告(流水):\n    return 合计(流水), 平均(流水), 流水.合计\n"
    )
    assert renamed(text, "报表.py") == text.replace("import 合计", "import 求和").replace(
        "return 合计(流水)", "return 求和(流水)"
    )


def test_relative_imports_aliases_and_other_modules() -> None:
    text = "from .工具 import 合计\n\nprint(合计([]))\n"
    assert renamed(text, "账本/报表.py") == text.replace("合计", "求和")
    aliased = "from 账本.工具 import 合计 as 加总\n\nprint(加总([]))\n"
    assert renamed(aliased, "报表.py") == aliased.replace("合计 as", "求和 as")
    assert renamed("from 其他.工具 import 合计\n\nprint(合计([]))\n", "报表.py") is None
    assert renamed("from 账本.工具 import 合计\n", "报表.py", renames=[]) is None


def test_a_file_that_already_has_the_new_name_gets_nothing() -> None:
    text = "from 账本.工具 import 合计\n\n求和 = 0\nprint(合计([]) + 求和)\n"
    assert renamed(text, "报表.py") is None


def test_recent_renames_keep_the_latest_per_name() -> None:
    renames = RecentRenames()
    renames.record(ModuleRename("甲", "旧", "新"))
    renames.record(ModuleRename("乙", "旧", "新"))
    renames.record(ModuleRename("甲", "旧", "更新"))
    assert renames.all() == [ModuleRename("甲", "旧", "更新"), ModuleRename("乙", "旧", "新")]
    renames.record(ModuleRename("甲", "更新", "最新"))  # goes on: files importing 旧 go to 最新
    assert ModuleRename("甲", "旧", "最新") in renames.all()
    renames.record(ModuleRename("甲", "最新", "旧"))  # back to the start: files still on 旧 stay
    assert [r for r in renames.all() if r.module == "甲"] == [
        ModuleRename("甲", "最新", "旧"),
        ModuleRename("甲", "更新", "旧"),
    ]


def test_a_file_that_imports_the_module_gets_the_attribute_renamed() -> None:
    text = "import 账本.工具\n\nprint(账本.工具.合计([]), 其他.合计)\n"
    assert renamed(text, "报表.py") == text.replace("工具.合计", "工具.求和")
    aliased = "import 账本.工具 as 工具\n\n\ndef 报告(工具箱):\n    return 工具.合计([]) + 工具箱.合计\n"
    assert renamed(aliased, "报表.py") == aliased.replace("工具.合计", "工具.求和")
    shadowed = "import 账本.工具 as 工具\n\n\ndef 报告(工具):\n    return 工具.合计\n"
    assert renamed(shadowed, "报表.py") is None  # 工具 there is the parameter, not the module


def test_a_deeper_module_path_is_followed_to_its_first_name() -> None:
    rename = ModuleRename("公司.账本.工具", "合计", "求和")
    text = "import 公司.账本.工具\n\nprint(公司.账本.工具.合计([]))\n"
    assert renamed(text, "报表.py", [rename]) == text.replace("工具.合计", "工具.求和")


SCRIPT_RENAME = ModuleRename("src/工具", "合计", "求和")


def script_renamed(text: str, language: str = "javascript", rel: str = "src/报表.js") -> str | None:
    proposal = importer_edits(text, language_named(language), rel, [SCRIPT_RENAME])
    return apply_edits(text, proposal.edits) if proposal is not None else None


def test_javascript_and_typescript_importers() -> None:
    named = (
        "import { 合计, 平均 } from './工具';\n\nexport const 报告 = (账) => [合计(账), 平均(账), 账.合计];\n"
    )
    assert script_renamed(named) == named.replace("{ 合计,", "{ 求和,").replace("[合计(", "[求和(")
    aliased = "import { 合计 as 加总 } from './工具.js';\nconsole.log(加总([]));\n"
    assert script_renamed(aliased) == aliased.replace("合计 as", "求和 as")
    namespace = "import * as 工具 from './工具';\nconsole.log(工具.合计([]), 工具.平均([]));\n"
    assert script_renamed(namespace) == namespace.replace("工具.合计", "工具.求和")
    required = "const { 合计 } = require('./工具');\nconsole.log(合计([]));\n"
    assert script_renamed(required) == required.replace("合计", "求和")
    keyed = "const { 合计: 加总 } = require('./工具');\nconsole.log(加总([]));\n"
    assert script_renamed(keyed) == keyed.replace("合计:", "求和:")
    # A parameter that shadows the module object is another variable: its `.合计` stays.
    module = "const 工具 = require('./工具');\nconst f = (工具) => 工具.合计;\nconsole.log(工具.合计([]));\n"
    assert script_renamed(module) == module.replace("console.log(工具.合计", "console.log(工具.求和")
    typed = "import { 合计 } from './工具';\nconst 结果: number = 合计([1, 2]);\n"
    assert script_renamed(typed, "typescript", "src/结果.ts") == typed.replace("合计", "求和")
    jsx = "import { 合计 } from './工具';\nexport const 组件 = () => <div>{合计([1])}</div>;\n"
    assert script_renamed(jsx, "tsx", "src/组件.tsx") == jsx.replace("合计", "求和")
    up = "import { 合计 } from '../src/工具';\nconsole.log(合计([]));\n"
    assert script_renamed(up, rel="lib/报表.js") == up.replace("合计", "求和")
    assert script_renamed("import { 合计 } from './其他';\nconsole.log(合计([]));\n") is None
