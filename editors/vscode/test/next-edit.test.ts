// Next-edit suggestions in the extension (activate() under Node with the stand-in `vscode` module)
// against the real `daima serve`: a rename typed in the editor is proposed at the other identifiers,
// drawn as decorations, jumped to and applied with the daima.nextEdit command (Alt+J).
import * as stub from "./vscode-stub";
stub.install();

import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { after, before, describe, it } from "node:test";
import type { DaimaApi } from "../src/extension";
import { DAIMA, waitFor } from "./server-path";

const SOURCE = [
  "def 结账(商品列表, 折扣):",
  "    总价 = 0",
  "    for 商品 in 商品列表:",
  "        总价 += 商品.总价 * 折扣",
  '    return ("😀", 总价)',
  "",
].join("\n");
const root = fs.mkdtempSync(path.join(os.tmpdir(), "daima-vscode-next-"));
const file = path.join(root, "收银.py");
fs.writeFileSync(file, SOURCE);
// A module and a file importing from it, on disk before the server starts (it indexes them).
const TOOLS = "def 合计(流水):\n    return sum(流水)\n\n\ndef 平均(流水):\n    return 合计(流水) / len(流水)\n";
const REPORT = "from 账本.工具 import 合计\n\n\ndef 报告(流水):\n    return 合计(流水)\n";
fs.mkdirSync(path.join(root, "账本"));
fs.writeFileSync(path.join(root, "账本", "工具.py"), TOOLS);
fs.writeFileSync(path.join(root, "报表.py"), REPORT);
const subscriptions: { dispose(): unknown }[] = [];

stub.setSetting("daima.server.path", DAIMA);
stub.setSetting("daima.model.name", "none");
stub.setSetting("daima.index.watch", false);
stub.workspace.workspaceFolders.push({ uri: stub.Uri.file(root), name: "ws", index: 0 });

/** The editor showing the document: it records decorations and applies edits as VS Code does. */
class Editor {
  selection = new stub.Selection(new stub.Position(0, 0), new stub.Position(0, 0));
  readonly decorations = new Map<unknown, { range: stub.Range; renderOptions?: { after?: { contentText?: string } } }[]>();
  constructor(readonly document: stub.TextDocument) {}
  setDecorations(type: unknown, ranges: unknown[]): void {
    this.decorations.set(type, ranges.map((r) => (r instanceof stub.Range ? { range: r } : r)) as never);
  }
  async edit(change: (builder: { replace(range: stub.Range, text: string): void }) => void): Promise<boolean> {
    const edits: [stub.Range, string][] = [];
    change({ replace: (range, text) => edits.push([range, text]) });
    for (const [range, text] of edits) {
      stub.edit(this.document, range, text);
    }
    return true;
  }
  revealRange(): void {}
  drawn(): { struck: string[]; added: string[] } {
    const struck: string[] = [];
    const added: string[] = [];
    for (const options of this.decorations.values()) {
      for (const option of options) {
        const where = `${option.range.start.line}:${option.range.start.character}-${option.range.end.line}:${option.range.end.character}`;
        const text = option.renderOptions?.after?.contentText;
        if (text !== undefined) added.push(`${where} ${text}`);
        else struck.push(where);
      }
    }
    return { struck: struck.sort(), added: added.sort() };
  }
}

let api: DaimaApi;
let editor: Editor;

describe("next-edit suggestions in VS Code", () => {
  before(async () => {
    const ext = await import("../src/extension");
    api = await ext.activate({ subscriptions } as never);
    assert.ok(api.client()?.isRunning(), `server did not start: ${JSON.stringify(stub.shown)}`);
    const document = stub.openDocument(file, "python", SOURCE);
    editor = new Editor(document);
    (stub.window as { activeTextEditor: unknown }).activeTextEditor = editor;
  });

  after(async () => {
    for (const d of subscriptions) {
      d.dispose();
    }
    await api.client()?.stop(2000).catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("a typed rename is drawn at the other identifiers, then jumped to and applied", async () => {
    const document = editor.document;
    // Type 合计 over 总价 on line 2, as keystrokes: delete, then two characters.
    stub.edit(document, new stub.Range(1, 4, 1, 6), "");
    stub.edit(document, new stub.Range(1, 4, 1, 4), "合");
    stub.edit(document, new stub.Range(1, 5, 1, 5), "计");
    editor.selection = new stub.Selection(new stub.Position(1, 6), new stub.Position(1, 6));
    await waitFor("the proposals", () => (api.nextEdits.proposals(editor as never)?.length ?? 0) === 2);
    // Line 4's 总价 (the attribute stays) and line 5's, after the emoji (UTF-16: two units).
    assert.deepEqual(editor.drawn(), { struck: ["3:8-3:10", "4:18-4:20"], added: ["3:10-3:10 合计", "4:20-4:20 合计"] });
    assert.ok(stub.executed.includes("setContext"), "the key's context is set");

    const command = stub.registeredCommand("daima.nextEdit")!;
    assert.equal(await command(), true);
    assert.deepEqual([editor.selection.start.line, editor.selection.start.character], [3, 8], "jumped");
    assert.equal(await command(), true);
    assert.equal(document.lineAt(3).text, "        合计 += 商品.总价 * 折扣", "applied");
    assert.deepEqual(editor.drawn(), { struck: [], added: [] }, "cleared once applied");
    await waitFor("the remaining proposal", () => (api.nextEdits.proposals(editor as never)?.length ?? 0) === 1);
    await command();
    await command();
    assert.equal(document.text, SOURCE.replaceAll("总价 ", "合计 ").replace("商品.合计", "商品.总价").replace("总价)", "合计)"));
  });

  it("a module-level rename goes on in the file that imports it, once the command opens it", async () => {
    const tools = stub.openDocument(path.join(root, "账本", "工具.py"), "python", TOOLS);
    editor = new Editor(tools);
    (stub.window as { activeTextEditor: unknown }).activeTextEditor = editor;
    const opened: string[] = [];
    (stub.window as unknown as { showTextDocument: unknown }).showTextDocument = async (uri: stub.Uri) => {
      opened.push(uri.toString());
      editor = new Editor(stub.openDocument(uri.fsPath, "python", fs.readFileSync(uri.fsPath, "utf8")));
      (stub.window as { activeTextEditor: unknown }).activeTextEditor = editor;
      stub.activeEditorChanged.fire(editor);
      return editor;
    };
    stub.edit(tools, new stub.Range(0, 4, 0, 6), "求和");
    editor.selection = new stub.Selection(new stub.Position(0, 6), new stub.Position(0, 6));
    await waitFor("the call in this file", () => (api.nextEdits.proposals(editor as never)?.length ?? 0) === 1);
    const command = stub.registeredCommand("daima.nextEdit")!;
    await command();
    await command();
    assert.equal(tools.lineAt(5).text, "    return 求和(流水) / len(流水)");
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(await command(), true, "nothing left here: the command opens the importing file");
    assert.equal(opened.length, 1);
    assert.match(decodeURIComponent(opened[0]), /报表\.py$/);
    await waitFor("the rename proposed there", () => (api.nextEdits.proposals(editor as never)?.length ?? 0) === 2);
    await command();
    await command();
    await waitFor("the other one", () => (api.nextEdits.proposals(editor as never)?.length ?? 0) === 1);
    await command();
    await command();
    assert.equal(editor.document.text, REPORT.replaceAll("合计", "求和"));
  });

  it("without a proposal the command does nothing and says so", async () => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(api.nextEdits.proposals(editor as never), undefined);
    assert.equal(await stub.registeredCommand("daima.nextEdit")!(), false);
  });
});
