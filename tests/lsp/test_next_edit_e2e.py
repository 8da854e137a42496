"""daima/nextEdit over the real server, with VS Code's and Neovim's capabilities (UTF-16 and UTF-8)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient
from test_server_e2e import CLIENTS, initialize_params, lsp_position, open_document, send_raw_request

from daima.text import Position, PositionEncoding, TextDocument

SERVER = [sys.executable, "-m", "daima", "serve"]
SOURCE = """\
def 计算(商品列表, 折扣=1):  # 🧾 总价
    总价 = 0
    for 商品 in 商品列表:
        总价 += 商品.总价 * 折扣
    return 总价


print(计算([], 折扣=0.5))
"""


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), params=list(CLIENTS))
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest, tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    options = {"model": {"name": "none"}, "index": {"watch": False}}
    result = await lsp_client.initialize_session(initialize_params(request.param, options, root))
    lsp_client.daima_encoding = PositionEncoding(result.capabilities.position_encoding)  # type: ignore[attr-defined]
    lsp_client.daima_root = root  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def change(client: LanguageClient, uri: str, text: str, start: int, end: int, new: str, version: int) -> str:
    encoding = client.daima_encoding  # type: ignore[attr-defined]
    document = TextDocument(uri, text)
    edit_range = lsp.Range(
        start=lsp_position(document, start, encoding), end=lsp_position(document, end, encoding)
    )
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangePartial(range=edit_range, text=new)],
        )
    )
    return text[:start] + new + text[end:]


def apply_answer(text: str, answer: dict, encoding: PositionEncoding) -> str:
    document = TextDocument("x", text)
    spans = []
    for edit in answer["edits"]:
        start, end = (
            document.offset_at(Position(point["line"], point["character"]), encoding)
            for point in (edit["range"]["start"], edit["range"]["end"])
        )
        spans.append((start, end, edit["newText"]))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


async def next_edit(client: LanguageClient, uri: str, text: str, at: int, version: int | None) -> dict:
    position = lsp_position(TextDocument(uri, text), at, client.daima_encoding)  # type: ignore[attr-defined]
    document: dict = {"uri": uri} if version is None else {"uri": uri, "version": version}
    answer = await send_raw_request(
        client,
        "daima/nextEdit",
        {"textDocument": document, "position": {"line": position.line, "character": position.character}},
    )
    assert isinstance(answer, dict) or hasattr(answer, "_asdict")
    return plain(answer)


def plain(value):
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


async def test_a_typed_rename_proposes_the_other_identifiers_in_the_negotiated_encoding(
    client: LanguageClient,
) -> None:
    uri = (client.daima_root / "购物车.py").as_uri()  # type: ignore[attr-defined]
    open_document(client, uri, SOURCE)
    at = SOURCE.index("    总价 = 0") + 4
    text = change(client, uri, SOURCE, at + 1, at + 2, "", 2)  # 总价 → 总, then 总金额
    text = change(client, uri, text, at + 1, at + 1, "金额", 3)
    answer = await next_edit(client, uri, text, at + 3, version=3)
    assert answer["version"] == 3 and answer["kind"] == "rename"
    assert [edit["reason"] for edit in answer["edits"]] == ["rename 总价 → 总金额"] * 2
    assert apply_answer(text, answer, client.daima_encoding) == (  # type: ignore[attr-defined]
        SOURCE.replace("    总价 = 0", "    总金额 = 0")
        .replace("        总价 += 商品.总价", "        总金额 += 商品.总价")
        .replace("return 总价", "return 总金额")
    )
    # The parameter on the line with the emoji: a rename that reaches a keyword argument below.
    at = SOURCE.index("折扣")
    text = change(client, uri, text, at, at + 2, "优惠", 4)
    answer = await next_edit(client, uri, text, at + 2, version=None)
    renamed = apply_answer(text, answer, client.daima_encoding)  # type: ignore[attr-defined]
    assert "* 优惠\n" in renamed and "计算([], 优惠=0.5)" in renamed and "折扣" not in renamed


async def test_stale_versions_unknown_documents_and_bad_params(client: LanguageClient) -> None:
    uri = (client.daima_root / "a.py").as_uri()  # type: ignore[attr-defined]
    open_document(client, uri, SOURCE)
    at = SOURCE.index("    总价 = 0") + 4
    text = change(client, uri, SOURCE, at, at + 2, "合计", 2)
    stale = await next_edit(client, uri, text, at, version=1)
    assert stale == {"uri": uri, "version": 2, "kind": None, "edits": [], "otherFiles": []}
    missing = await next_edit(client, uri + "x", text, 0, version=None)
    assert missing["edits"] == [] and missing["version"] is None
    with pytest.raises(JsonRpcException):
        await send_raw_request(client, "daima/nextEdit", {"textDocument": {"uri": uri}})
    with pytest.raises(JsonRpcException):
        await send_raw_request(
            client, "daima/nextEdit", {"textDocument": {"uri": uri}, "position": {"line": 99, "character": 0}}
        )
    # The server is still up and still answers.
    answer = await next_edit(client, uri, text, at, version=2)
    assert answer["kind"] == "rename" and len(answer["edits"]) == 2
    # A word in a comment is no identifier: renaming it proposes nothing.
    at = SOURCE.index("# 🧾 总价") + 5
    text = change(client, uri, text, at, at + 2, "合计", 3)
    assert (await next_edit(client, uri, text, at, version=3))["edits"] == []


async def test_a_module_level_rename_is_offered_in_the_files_that_import_it(client: LanguageClient) -> None:
    root: Path = client.daima_root  # type: ignore[attr-defined]
    (root / "账本").mkdir()
    tools = "def 合计(流水):\n    return sum(流水)\n\n\ndef 平均(流水):\n    return 合计(流水) / len(流水)\n"
    report = "from 账本.工具 import 合计\n\n\ndef 报告(流水):\n    return f'{合计(流水)} 元', 合计\n"
    (root / "账本" / "工具.py").write_text(tools, encoding="utf-8")
    (root / "报表.py").write_text(report, encoding="utf-8")
    tools_uri, report_uri = (root / "账本" / "工具.py").as_uri(), (root / "报表.py").as_uri()
    open_document(client, tools_uri, tools)
    open_document(client, report_uri, report)
    text = change(client, tools_uri, tools, 4, 6, "求和", 2)
    answer: dict = {}
    for _ in range(100):  # the index takes the opened buffers in once typing pauses
        answer = await next_edit(client, tools_uri, text, 6, version=2)
        if answer["otherFiles"]:
            break
        await asyncio.sleep(0.1)
    assert answer["kind"] == "rename" and len(answer["edits"]) == 1
    assert [unquote(uri) for uri in answer["otherFiles"]] == [unquote(report_uri)]
    # In the importing file (no edit made there), the same rename is proposed once asked.
    there = await next_edit(client, report_uri, report, 0, version=None)
    assert there["kind"] == "rename" and {e["reason"] for e in there["edits"]} == {
        "rename 合计 → 求和 (renamed in 账本.工具)"
    }
    assert apply_answer(report, there, client.daima_encoding) == report.replace("合计", "求和")  # type: ignore[attr-defined]


async def test_a_module_level_rename_reaches_javascript_and_typescript_importers(
    client: LanguageClient,
) -> None:
    root: Path = client.daima_root  # type: ignore[attr-defined]
    (root / "src").mkdir()
    tools = "export function 合计(流水) {\n  return 流水.reduce((a, b) => a + b, 0);\n}\n"
    files = {
        "src/报表.js": "import { 合计 } from './工具.js';\n\nexport const 报告 = (账) => `${合计(账)}`;\n",
        "src/汇总.ts": "import * as 工具 from './工具';\n\nexport const 总数: number = 工具.合计([1, 2]);\n",
        "src/旧.js": "const { 合计: 加总 } = require('./工具');\n\nmodule.exports = 加总;\n",
    }
    (root / "src" / "工具.js").write_text(tools, encoding="utf-8")
    for rel, text in files.items():
        (root / rel).write_text(text, encoding="utf-8")
    tools_uri = (root / "src" / "工具.js").as_uri()
    open_document(client, tools_uri, tools, language_id="javascript")
    at = tools.index("合计")
    text = change(client, tools_uri, tools, at, at + 2, "求和", 2)
    answer: dict = {}
    for _ in range(100):  # the index takes the opened buffers in once typing pauses
        answer = await next_edit(client, tools_uri, text, at, version=2)
        if len(answer["otherFiles"]) == len(files):
            break
        await asyncio.sleep(0.1)
    assert sorted(unquote(uri) for uri in answer["otherFiles"]) == sorted(
        unquote((root / r).as_uri()) for r in files
    )
    expected = {
        "src/报表.js": files["src/报表.js"].replace("合计", "求和"),
        "src/汇总.ts": files["src/汇总.ts"].replace("工具.合计", "工具.求和"),
        "src/旧.js": files["src/旧.js"].replace("合计:", "求和:"),
    }
    for rel, text in files.items():
        uri = (root / rel).as_uri()
        open_document(client, uri, text, language_id="typescript" if rel.endswith(".ts") else "javascript")
        there = await next_edit(client, uri, text, 0, version=None)
        assert there["kind"] == "rename", (rel, there)
        assert apply_answer(text, there, client.daima_encoding) == expected[rel]  # type: ignore[attr-defined]


PARAMETER_CASE = """def 计算总价(商品列表, 折扣):
    总价 = 0
    for 商品 in 商品列表:
        总价 += 商品.单价
    print("商品列表 ok", len(商品列表))
    return 总价 * 折扣

def 其它(商品列表):
    return 商品列表
"""


async def test_a_parameter_rename_sent_as_the_whole_text_is_proposed_exactly(client: LanguageClient) -> None:
    """A client that sends the whole text (no incremental sync, or a resync) still gets the rename:
    the two uses in the function, not the word in the string nor the other function's own parameter."""
    uri = (client.daima_root / "参数.py").as_uri()  # type: ignore[attr-defined]
    open_document(client, uri, PARAMETER_CASE)
    text = PARAMETER_CASE.replace("商品列表", "货物列表", 1)
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    answer = await next_edit(client, uri, text, text.index("货物列表") + 4, version=2)
    assert answer["kind"] == "rename" and len(answer["edits"]) == 2
    assert apply_answer(text, answer, client.daima_encoding) == (  # type: ignore[attr-defined]
        text.replace("for 商品 in 商品列表", "for 商品 in 货物列表").replace("len(商品列表)", "len(货物列表)")
    )
