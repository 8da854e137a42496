import logging

日志 = logging.getLogger(__name__)


def 加载(路径):
    日志.warn("加载 %s", 路径)
    with open(路径, encoding="utf-8") as 文件:
        return 文件.read()


def 保存(路径, 内容):
    日志.warn("保存 %s", 路径)
    with open(路径, "w", encoding="utf-8") as 文件:
        文件.write(内容)


def 删除(路径):
    日志.warn("删除 %s", 路径)
    路径.unlink()
