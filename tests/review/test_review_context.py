"""Context for the model: the changed function, the definitions it uses and its callers, from git."""

from __future__ import annotations

from pathlib import Path

from review_repos import commit_all, init_repo, write_tree

from daima.review.context import gather
from daima.review.diff import read_blobs, review_changes, tree_entries


def test_context_has_changed_function_definitions_and_callers(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write_tree(repo, {
        "shop/价格.py": "def 折扣(金额, 比例):\n    return 金额 * (1 - 比例)\n\n\n"
                       "def unrelated():\n    return 0\n",
        "shop/订单.py": "from shop.价格 import 折扣\n\n\ndef 计算总价(商品列表):\n    return sum(商品列表)\n",
        "shop/api.py": "from shop.订单 import 计算总价\n\n\n"
                       "def checkout(cart):\n    return 计算总价(cart.items)\n",
        "web/app.js": "function 计算总价() { return 1; }\n",
    })  # fmt: skip
    base = commit_all(repo, "base")
    write_tree(repo, {"shop/订单.py": (
        "from shop.价格 import 折扣\n\n\ndef 计算总价(商品列表):\n"
        "    总价 = sum(商品列表)\n    return 折扣(总价, 0.1)\n"
    )})  # fmt: skip
    head = commit_all(repo, "head")
    [changed], _ = review_changes(repo, base, head, lambda path: True)
    text = changed.text
    assert text is not None
    context = gather(repo, head, changed.path, text, changed.added_lines, 4000)
    assert "# changed function: shop/订单.py\ndef 计算总价(商品列表):" in context
    assert "# definition used by the change: shop/价格.py\ndef 折扣(金额, 比例):" in context
    assert "# caller of the changed code: shop/api.py\ndef checkout(cart):" in context
    assert "unrelated" not in context and "app.js" not in context
    assert len(gather(repo, head, changed.path, text, changed.added_lines, 50)) == 50


def test_blobs_are_read_in_one_batch(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write_tree(repo, {f"m{i}.py": f"x = {i}\n" * (i + 1) for i in range(30)})
    (repo / "bin.dat").write_bytes(b"\x00\x01binary")
    head = commit_all(repo, "base")
    entries = tree_entries(repo, head)
    texts = read_blobs(repo, entries)
    assert len(texts) == 30 and "bin.dat" not in texts
    assert texts["m7.py"] == "x = 7\n" * 8
