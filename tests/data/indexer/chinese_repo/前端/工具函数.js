// 保留两位小数
export const 格式化 = (数值) => `¥${数值.toFixed(2)}`;
