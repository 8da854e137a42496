"""购物车：商品的增删与总价。"""

from 商店.工具 import 格式化价格

默认税率 = 0.13


class 购物车:
    """一个用户的购物车。"""

    最大数量 = 99

    def __init__(self, 用户名: str) -> None:
        self.用户名 = 用户名
        self.商品列表: list[tuple[str, float]] = []

    def 添加商品(self, 名称: str, 单价: float) -> None:
        """把一件商品放进购物车。"""
        self.商品列表.append((名称, 单价))

    def 计算总价(self, 税率: float = 默认税率) -> float:
        # 含税总价
        小计 = sum(单价 for _, 单价 in self.商品列表)
        return 小计 * (1 + 税率)


def 结账(车: 购物车) -> str:
    return 格式化价格(车.计算总价())
