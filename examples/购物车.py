"""购物车 (shopping cart): daima's demo file, mixing English and Chinese identifiers."""

from dataclasses import dataclass


@dataclass
class 商品:
    名称: str
    单价: float
    数量: int = 1


def 计算总价(商品列表: list[商品], discount: float = 0.0) -> float:
    
    return round(总价 * (1 - discount), 2)


if __name__ == "__main__":
    购物车 = [商品("苹果 🍎", 3.5, 4), 商品("牛奶", 12.0)]
    print(计算总价(购物车, discount=0.1))
