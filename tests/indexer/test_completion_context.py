"""Done-when test: a completion context built from the index's queries (definitions of the names used
near the cursor, resolved through imports and scopes, plus similar chunks from other files), through the
one `gather_context` the server runs."""

from __future__ import annotations

from pathlib import Path

from daima.completion.context import gather_context
from daima.completion.templates import Snippet
from daima.indexer import WorkspaceIndex, definition_at
from daima.text import TextDocument


def _context(index: WorkspaceIndex, path: Path, text: str, offset: int) -> list[Snippet]:
    document = TextDocument(path.as_uri(), text, language_id="python")
    return gather_context(document, offset, index=index, path=path, root=index.root)


PRICING = '''"""Prices."""

def apply_discount(price: float, rate: float) -> float:
    """Price after a discount rate between 0 and 1."""
    return price * (1 - rate)


def 含税价(price: float) -> float:
    return price * 1.13
'''

INVENTORY = '''class Stock:
    """What the warehouse holds."""

    def reserve(self, sku: str, count: int) -> bool:
        return True
'''

REPORT = """from shop.pricing import apply_discount


def monthly_report(orders):
    lines = []
    for order in orders:
        discounted = apply_discount(order.price, order.rate)
        lines.append(f"{order.sku}: {discounted:.2f}")
    return "\\n".join(lines)
"""

APP = """from shop.pricing import apply_discount, 含税价
from shop.inventory import Stock


def checkout(orders, stock: Stock):
    total = 0.0
    for order in orders:
        stock.reserve(order.sku, 1)
        discounted = apply_discount(order.price, order.rate)
        total += 含税价(discounted)
"""
APP += "    return \n"  # the cursor goes after this return


def test_context_from_the_index(make_index) -> None:
    index = make_index(
        {
            "shop/__init__.py": "",
            "shop/pricing.py": PRICING,
            "shop/inventory.py": INVENTORY,
            "shop/report.py": REPORT,
            "app.py": APP,
        }
    )
    index.index_all()
    path = index.root / "app.py"
    offset = len(APP) - 1  # after "return "
    cursor = len(APP.encode()) - 1
    context = _context(index, path, APP, offset)

    by_path = {s.path: s for s in context if s.kind in ("import", "definition")}
    assert by_path["shop/pricing.py"].kind == "import"  # imported names come first, from their module
    assert context[0].path == "shop/pricing.py"
    assert by_path["shop/pricing.py"].text == (
        "def apply_discount(price: float, rate: float) -> float:\n"
        '    """Price after a discount rate between 0 and 1."""\n'
        "def 含税价(price: float) -> float:\n    ..."
    )
    inventory = by_path["shop/inventory.py"].text
    assert "class Stock:" in inventory and "def reserve(self, sku: str, count: int) -> bool:" in inventory
    assert "app.py" not in by_path  # the prompt already holds the current file
    # The loop over orders with apply_discount is most like the report's loop.
    similar = [s for s in context if s.kind == "similar"]
    assert similar and similar[0].path == "shop/report.py"
    assert all(s.path != "app.py" for s in similar)
    assert "apply_discount(order.price, order.rate)" in similar[0].text

    # The queries underneath, as the server's handlers use them.
    visible = {s.name for s in index.visible_names(path, APP, cursor)}
    assert {"checkout", "apply_discount", "含税价", "Stock"} <= visible
    offset = APP.encode().index("含税价(discounted)".encode())
    [target] = definition_at(index, path, APP, offset, "含税价")
    assert (target.path.name, target.line, target.column) == ("pricing.py", 7, 4)
    assert [p.name for p in index.importers("shop.pricing")] == ["app.py", "report.py"]
    assert [s.name for s in index.definitions_with_prefix("apply")] == ["apply_discount"]


def test_context_follows_unsaved_edits(make_index) -> None:
    index = make_index({"shop/pricing.py": PRICING, "app.py": APP})
    index.index_all()
    pricing = index.root / "shop/pricing.py"
    edited = PRICING + "\n\ndef 会员折扣(price):\n    return price * 0.9\n"
    index.update_document(pricing, edited)
    text = APP.replace("    return \n", "    return 会员折扣(total)\n")
    context = _context(index, index.root / "app.py", text, len(text) - 2)
    assert any("def 会员折扣(price):" in s.text for s in context if s.kind in ("import", "definition"))


def test_a_chunk_that_defines_this_file_s_class_differently_is_left_out(make_index) -> None:
    here = "class 图书:\n    定价: float\n    册数: int\n\n\n"
    here += "def 书款(书单):\n    return sum(图书.定价 for 图书 in 书单)\n"
    other = "class 图书:\n    def __init__(self, 售价):\n        self.售价 = 售价\n\n\n"
    other += "def 汇总(书单):\n    return sum(图书.售价 for 图书 in 书单)\n"
    alike = "def 清点(书单):\n    return sum(图书.定价 for 图书 in 书单)\n"
    index = make_index({"a.py": here, "b.py": other, "c.py": alike})
    index.index_all()
    context = _context(index, index.root / "a.py", here, len(here) - 1)
    # b.py's own 图书 (with 售价) would be copied beside this file's 图书 (with 定价): only c.py is shown.
    assert [s.path for s in context if s.kind == "similar"] == ["c.py"]
    # This file binds 图书 and 书款: no other file's definition of them is looked up.
    assert [s for s in context if s.kind in ("import", "definition")] == []
