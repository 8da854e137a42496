"""Helpers that pass their parameter to a sink are sinks, in the changed file and in the repository's
other files: a change that only adds a call of an unchanged helper with a built string is found; a
helper the changed file cannot reach (it names neither its module nor its class) is not used."""

from __future__ import annotations

from pathlib import Path

from review_repos import commit_all, init_repo, write_tree

from daima.review.checks import defined_wrappers
from daima.review.runner import run_review

UTILS_JS = (
    'const child_process = require("child_process");\n'
    "module.exports = {\n"
    "  exec(cmd) {\n"
    "    return child_process.exec(cmd);\n"
    "  },\n"
    "};\n"
)
HELPERS_PY = (
    "def 执行语句(连接, 语句):\n"
    "    游标 = 连接.cursor()\n"
    "    游标.execute(语句)\n"
    "    return 游标.fetchall()\n"
)


def _review(
    tmp_path: Path, base_files: dict[str, str], head_files: dict[str, str]
) -> list[tuple[str, int, str]]:
    repo = init_repo(tmp_path / "repo")
    write_tree(repo, base_files)
    base = commit_all(repo, "base")
    write_tree(repo, head_files)
    head = commit_all(repo, "head")
    return [(f.path, f.line, f.rule_id) for f in run_review(repo, base, head).findings]


def test_a_helper_in_another_file_is_a_sink(tmp_path: Path) -> None:
    app_before = 'const utils = require("./lib/utils");\n\nfunction log(req) {\n  return null;\n}\n'
    app_after = (
        'const utils = require("./lib/utils");\n\nfunction log(req) {\n'
        '  return utils.exec("git log " + req.query.ref);\n}\n'
    )
    views_before = "from 库.助手 import 执行语句\n\n\ndef 查找(连接, 名字):\n    return []\n"
    views_after = (
        "from 库.助手 import 执行语句\n\n\ndef 查找(连接, 名字):\n"
        "    return 执行语句(连接, \"SELECT * FROM 用户 WHERE 名字 = '%s'\" % 名字)\n"
    )
    found = _review(
        tmp_path,
        {"lib/utils.js": UTILS_JS, "app.js": app_before, "库/助手.py": HELPERS_PY, "视图.py": views_before},
        {"app.js": app_after, "视图.py": views_after},
    )
    assert found == [("app.js", 4, "shell-injection"), ("视图.py", 5, "sql-injection")]


def test_a_helper_the_file_cannot_reach_is_not_used(tmp_path: Path) -> None:
    # `run` in tasks.js wraps exec, but app.js calls the `run` of another module it requires.
    tasks = 'const cp = require("child_process");\nexports.run = function (cmd) { return cp.exec(cmd); };\n'
    app = 'const jobs = require("./jobs");\n\nfunction go(req) {\n  return 1;\n}\n'
    called = app.replace("return 1;", 'return jobs.run("build " + req.body.target);')
    found = _review(
        tmp_path,
        {
            "tasks.js": tasks,
            "jobs.js": "exports.run = function (name) { return queue.push(name); };\n",
            "app.js": app,
        },
        {"app.js": called},
    )
    assert found == []


def test_helpers_of_helpers_and_where_they_are() -> None:
    source = (
        "import subprocess\n\n\ndef 运行(命令):\n    subprocess.run(命令, shell=True)\n\n\n"
        "def 打包(目录):\n    运行('tar czf out.tgz ' + 目录)\n\n\n"
        "def 发布(目录):\n    打包(目录)\n"
    )
    found = {(w.name, w.position, w.rule_id, w.line) for w in defined_wrappers("工具.py", source)}
    # 打包 builds the command from its parameter: a call of it with any name is not flagged, but its
    # parameter reaches the shell, so it is a wrapper, and so is 发布, which passes its own on.
    assert found == {
        ("运行", 0, "shell-injection", 4),
        ("打包", 0, "shell-injection", 8),
        ("发布", 0, "shell-injection", 12),
    }


PROMISIFIED_JS = (
    'const util = require("util");\n'
    'const execAsync = util.promisify(require("child_process").exec);\n'
    'const readAsync = util.promisify(require("fs").readFile);\n'
    "exports.exec = async (cmd) => execAsync(cmd);\n"
    "exports.read = async (file) => readAsync(file);\n"
)


def test_a_promisified_sink_is_the_sink_and_its_helper_a_wrapper(tmp_path: Path) -> None:
    from daima.review.checks import check_file

    # In its own file: the alias called with a built command is the sink; the fs alias is not one.
    own = PROMISIFIED_JS + 'exports.log = (ref) => execAsync("git log " + ref);\nreadAsync("a" + 1);\n'
    assert [(f.line, f.rule_id) for f in check_file("utils.js", own, set(range(1, 9)))] == [
        (6, "shell-injection")
    ]
    # In a file that requires it: the helper around the alias is a wrapper of exec.
    app_before = 'const utils = require("./utils");\n\nfunction log(req) {\n  return null;\n}\n'
    app_after = (
        'const utils = require("./utils");\n\nfunction log(req) {\n'
        '  utils.read("notes/" + req.query.name);\n'
        '  return utils.exec("git log " + req.query.ref);\n}\n'
    )
    found = _review(tmp_path, {"utils.js": PROMISIFIED_JS, "app.js": app_before}, {"app.js": app_after})
    assert found == [("app.js", 5, "shell-injection")]
