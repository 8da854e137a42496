import { 格式化 } from "./工具函数.js";

// 购物车的视图
export class 购物车视图 {
  constructor(元素) {
    this.元素 = 元素;
  }

  /** 渲染总价 */
  渲染(总价) {
    this.元素.textContent = 格式化(总价);
  }
}

export function 创建视图(选择器) {
  return new 购物车视图(document.querySelector(选择器));
}

const 默认选择器 = "#购物车";
