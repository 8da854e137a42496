package 商店;

import java.util.List;

/** 一张订单。 */
public class 订单 implements 可结算 {
    private final List<Double> 金额列表;
    public static final int 最大条目 = 50;

    public 订单(List<Double> 金额列表) {
        this.金额列表 = 金额列表;
    }

    // 所有金额之和
    public double 合计() {
        double 和 = 0;
        for (double 金额 : 金额列表) { 和 += 金额; }
        return 和;
    }
}

interface 可结算 {
    double 合计();
}
