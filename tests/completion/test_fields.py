"""Attributes read on an instance of the document's own class that the class does not have."""

from __future__ import annotations

import pytest

from daima.completion.fields import unknown_attributes
from daima.completion.syntax import SpliceChecker

CART = (
    "from dataclasses import dataclass\n\n\n@dataclass\nclass 图书:\n    书名: str\n    定价: float\n"
    "    册数: int = 1\n\n\ndef 计算书款(书单: list[图书]) -> float:\n    \n    return 书款\n"
)
ACCOUNT = (
    "class 账户:\n    def __init__(self, 书名):\n        self.书名 = 书名\n\n    def 显示(self):\n"
    "        return self.书名\n\n\ndef 比较(甲: 账户, 各账户: List[账户]):\n    \n"
)


def found(text: str, completion: str) -> dict[str, set[str]]:
    hole = text.index("    \n") + 4
    checker = SpliceChecker(text, hole, hole, "python")
    tree = checker.spliced_tree(completion)
    return unknown_attributes(tree, checker.hole_byte, checker.hole_byte + len(completion.encode()))


@pytest.mark.parametrize(
    ("text", "completion", "unknown"),
    [
        (CART, "书款 = sum(图书.售价 for 图书 in 书单)", {"售价"}),
        (CART, "书款 = sum(图书.定价 * 图书.册数 for 图书 in 书单)", set()),
        (CART, "书款 = 0\n    for 图书 in 书单:\n        书款 += 图书.售价", {"售价"}),
        (ACCOUNT, "return 甲.余额", {"余额"}),
        (ACCOUNT, "return 甲.书名 + 甲.显示() + str(甲.__dict__)", set()),
        (ACCOUNT, "return [x.金额 for x in 各账户]", {"金额"}),
        (ACCOUNT, "甲.新字段 = 1", set()),  # setting an attribute is not reading one
        (ACCOUNT, "return 乙.余额", set()),  # 乙's class is not known
    ],
)
def test_unknown_attributes(text: str, completion: str, unknown: set[str]) -> None:
    assert set(found(text, completion)) == unknown


def test_a_class_that_may_have_more_is_not_judged() -> None:
    inherited = ACCOUNT.replace("class 账户:", "class 账户(基类):")
    assert found(inherited, "return 甲.余额") == {}
    dynamic = ACCOUNT.replace(
        "    def 显示(self):", "    def __getattr__(self, 名字):\n        return 0\n\n    def 显示(self):"
    )
    assert found(dynamic, "return 甲.余额") == {}
    assert found(CART, "书款 = sum(图书.售价 for 图书 in 书单)")["售价"] == {"书名", "定价", "册数"}
