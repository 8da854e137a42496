def 格式化价格(金额: float) -> str:
    """金额保留两位小数，加人民币符号。"""
    return f"¥{金额:.2f}"


# 𠮷 is outside the Basic Multilingual Plane: two UTF-16 code units, four UTF-8 bytes.
𠮷 = 1; 野家 = 2
