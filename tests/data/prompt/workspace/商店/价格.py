def 计算总价(商品列表: list) -> float:
    """返回所有商品的总价。

    第二行说明。
    """
    return sum(商品.价格 for 商品 in 商品列表)


class 商品:
    """一个商品 🎉"""

    def __init__(self, 名称: str, 价格: float):
        self.名称 = 名称
        self.价格 = 价格
