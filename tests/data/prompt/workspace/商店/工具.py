def 打折(总价, 折扣):
    return 总价 * 折扣
