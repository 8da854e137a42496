"""Editor edits: tree.edit + incremental re-parse + re-extraction of one definition give the same facts
as reading the whole text again."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from daima.indexer.extract import extract
from daima.indexer.incremental import OpenDocument, diff_span
from daima.indexer.languages import language_for_path
from daima.indexer.modules import normalize_imports
from daima.text import TextDocument

PYTHON = '''"""Module doc."""
import os
from pkg.util import helper as h

LIMIT = 10


class Cart:
    """A cart."""

    size = 0

    def add(self, item):
        """Add one."""
        self.items.append(item)
        return h(item)

    def total(self):
        return sum(self.items)


def checkout(cart):
    # pay
    return cart.total()


class Other:
    def run(self):
        pass
'''

JAVASCRIPT = """import { fmt } from "./fmt.js";

// A view.
export class View {
  render(x) {
    return fmt(x);
  }
}

export function make(sel) {
  return new View(sel);
}

const DEFAULT = 3;
"""

EDITS = [
    ("        return h(item)\n", "        value = h(item)\n        return value\n"),  # inside a method
    ('        """Add one."""', '        """Add one item."""'),  # a docstring
    ("    def total(self):", "    def grand_total(self, tax=0):"),  # a method's head
    ("def checkout(cart):", "def checkout(cart, 税率):"),  # a function's head
    ("    # pay\n", ""),  # a comment
    ("LIMIT = 10\n", "LIMIT = 10\n限额 = 5\n"),  # a new module constant
    ("class Other:\n    def run(self):\n        pass\n", ""),  # a class removed
    ("import os\n", "import os\nimport sys\n"),  # an import
    ("    size = 0\n", "    size = 0\n\n    def new_method(self):\n        return 1\n"),  # a method added
    ("        pass\n", "        pass\n    def broken(self:\n"),  # a syntax error
]


def _full(language, text: str):
    return extract(language, TextDocument("x", text))


def _check(path: str, text: str, edits: list[tuple[str, str]]) -> None:
    language = language_for_path(path)
    assert language is not None
    document = OpenDocument.parse(language, path, "file:///" + path, text)
    for old, new in edits:
        if old not in text:
            continue
        text = text.replace(old, new, 1)
        assert document.update(text)
        expected = _full(language, text)
        assert document.facts.symbols == expected.symbols, (old, new)
        normalized = normalize_imports(language.name, path, expected.imports)
        assert sorted(document.facts.imports) == sorted(normalized), (old, new)
        assert set(expected.references) <= set(document.facts.references)
        fresh_tree = language.parser.parse(text.encode())
        assert str(document.tree.root_node) == str(fresh_tree.root_node)


def test_python_edits_match_a_full_read() -> None:
    _check("pkg/cart.py", PYTHON, EDITS)


def test_python_edits_one_character_at_a_time() -> None:
    # Typing a new method into the class, keystroke by keystroke, including invalid intermediate states.
    language = language_for_path("a.py")
    assert language is not None
    typed = "\n    def 新方法(self, n):\n        return n * 2\n"
    anchor = PYTHON.index("    def total")
    document = OpenDocument.parse(language, "a.py", "file:///a.py", PYTHON)
    for i in range(1, len(typed) + 1):
        text = PYTHON[:anchor] + typed[:i] + PYTHON[anchor:]
        document.update(text)
        assert document.facts.symbols == _full(language, text).symbols, repr(typed[:i])


def test_javascript_edits_match_a_full_read() -> None:
    _check(
        "web/view.js",
        JAVASCRIPT,
        [
            ("    return fmt(x);\n", "    const y = fmt(x);\n    return y;\n"),
            ("// A view.\n", "// The view of a cart.\n"),
            ("const DEFAULT = 3;\n", "const DEFAULT = 3;\nexport const 视图 = () => 1;\n"),
            ("export function make(sel) {", "export function make(sel, opts) {"),
        ],
    )


def test_random_line_edits_match_a_full_read() -> None:
    rng = random.Random(7)
    language = language_for_path("a.py")
    assert language is not None
    text = PYTHON
    document = OpenDocument.parse(language, "a.py", "file:///a.py", text)
    snippets = [
        "x = 1\n",
        "    y = 2\n",
        "def f():\n",
        "        return 3\n",
        "class 类:\n",
        "",
        "#\n",
        '"""\n',
    ]
    for _ in range(60):
        lines = text.splitlines(keepends=True)
        at = rng.randrange(len(lines) + 1)
        if lines and rng.random() < 0.4:
            del lines[min(at, len(lines) - 1)]
        else:
            lines.insert(at, rng.choice(snippets))
        text = "".join(lines)
        document.update(text)
        assert document.facts.symbols == _full(language, text).symbols


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_diff_span_finds_the_one_changed_region(old: str, new: str) -> None:
    start, old_end, new_end = diff_span(old, new)
    assert old[:start] == new[:start]
    assert old[old_end:] == new[new_end:]
    assert old[:start] + new[start:new_end] + old[old_end:] == new


def test_update_document_keeps_the_index_current(make_index) -> None:
    index = make_index({"pkg/cart.py": PYTHON, "pkg/util.py": "def helper(x):\n    return x\n"})
    index.index_all()
    path = Path(index.root / "pkg/cart.py")
    index.update_document(path, PYTHON)
    edited = PYTHON.replace("    def total(self):", "    def 合计(self):")
    index.update_document(path, edited)
    assert not index.definitions("total")
    [symbol] = index.definitions("合计")
    assert (symbol.line, symbol.column, symbol.scope, symbol.kind) == (17, 8, "Cart", "method")
    # The disk still has the old text, but the editor's copy wins while the document is open.
    index.index_all()
    assert index.definitions("合计")
    index.close_document(path)
    assert index.definitions("total") and not index.definitions("合计")
