"""Done-when test: a completion context built from the index's queries (definitions of the names used
near the cursor, resolved through imports and scopes, plus similar chunks from other files)."""

from __future__ import annotations

from daima.indexer import definition_at, gather_context

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
    cursor = len(APP.encode()) - 1  # after "return "
    context = gather_context(index, path, APP, cursor)

    names = [s.name for s in context.definitions]
    assert {"apply_discount", "含税价", "reserve", "Stock"} <= set(names)
    assert "checkout" not in names  # the prompt already holds the current file
    by_name = {s.name: s for s in context.definitions}
    assert by_name["apply_discount"].signature == "def apply_discount(price: float, rate: float) -> float"
    assert by_name["apply_discount"].doc == "Price after a discount rate between 0 and 1."
    assert by_name["reserve"].scope == "Stock"
    # The loop over orders with apply_discount is most like the report's loop.
    assert context.chunks and context.chunks[0].path.name == "report.py"
    assert all(chunk.path != path for chunk in context.chunks)
    assert "apply_discount(order.price, order.rate)" in context.chunks[0].text

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
    context = gather_context(index, index.root / "app.py", text, len(text.encode()) - 2)
    assert "会员折扣" in [s.name for s in context.definitions]


def test_a_chunk_that_defines_this_file_s_class_differently_is_left_out(make_index) -> None:
    here = "class 图书:\n    定价: float\n    册数: int\n\n\n"
    here += "def 书款(书单):\n    return sum(图书.定价 for 图书 in 书单)\n"
    other = "class 图书:\n    def __init__(self, 售价):\n        self.售价 = 售价\n\n\n"
    other += "def 汇总(书单):\n    return sum(图书.售价 for 图书 in 书单)\n"
    alike = "def 清点(书单):\n    return sum(图书.定价 for 图书 in 书单)\n"
    index = make_index({"a.py": here, "b.py": other, "c.py": alike})
    index.index_all()
    cursor = len(here.encode()) - 1
    context = gather_context(index, index.root / "a.py", here, cursor)
    # b.py's own 图书 (with 售价) would be copied beside this file's 图书 (with 定价): only c.py is shown.
    assert [chunk.path.name for chunk in context.chunks] == ["c.py"]
