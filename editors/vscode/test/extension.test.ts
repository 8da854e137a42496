// The extension itself (activate(), vscode-languageclient, the inline provider, commands, settings)
// under Node with a stand-in `vscode` module, driving the real `daima serve` (model "none").
import * as stub from "./vscode-stub";
stub.install();

import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { after, before, describe, it } from "node:test";
import type { DaimaApi } from "../src/extension";
import { DAIMA, waitFor } from "./server-path";

const SOURCE = 'def 计算总价(商品列表):\n    """😀 求和"""\n    return sum(商品列表)\n\n';
const root = fs.mkdtempSync(path.join(os.tmpdir(), "daima-vscode-"));
const file = path.join(root, "购物车.py");
fs.writeFileSync(file, SOURCE);
const subscriptions: { dispose(): unknown }[] = [];

stub.setSetting("daima.server.path", DAIMA);
stub.setSetting("daima.model.name", "none");
stub.setSetting("daima.index.watch", false);
stub.workspace.workspaceFolders.push({ uri: stub.Uri.file(root), name: "ws", index: 0 });

let api: DaimaApi;
let document: stub.TextDocument;

/** Types `text` at the end of line `line`, one character at a time, asking for a suggestion after
 * each keystroke and cancelling the previous ask, as VS Code does. Returns the last answer. */
async function typeAt(line: number, text: string): Promise<stub.InlineCompletionItem[]> {
  let previous: stub.CancellationTokenSource | undefined;
  let last: Promise<stub.InlineCompletionItem[]> = Promise.resolve([]);
  for (const ch of text) {
    const end = document.lineAt(line).range.end;
    stub.edit(document, new stub.Range(end, end), ch);
    previous?.cancel();
    previous = new stub.CancellationTokenSource();
    last = stub.provideInline(document, end.translate(0, ch.length), previous.token);
  }
  await last;
  return settle();
}

/** The final answer: VS Code keeps asking while daima streams; the final item carries a command. */
async function settle(): Promise<stub.InlineCompletionItem[]> {
  await waitFor("the final suggestion", () => {
    const items = stub.rendered.at(-1);
    return items !== undefined && (items.length === 0 || items[0].command !== undefined);
  });
  return stub.rendered.at(-1)!;
}

async function status(): Promise<{ state: string; options: { completion: { maxTokens: number } } }> {
  return (await api.client()!.sendRequest("daima/status", {})) as never;
}

describe("VS Code extension against daima serve", () => {
  before(async () => {
    const ext = await import("../src/extension");
    api = await ext.activate({ subscriptions } as never);
    assert.ok(api.client()?.isRunning(), `server did not start: ${JSON.stringify(stub.shown)}`);
    document = stub.openDocument(file, "python", SOURCE);
  });

  after(async () => {
    for (const d of subscriptions) {
      d.dispose();
    }
    await api.client()?.stop(2000).catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("starts, and the status bar shows the model state", async () => {
    await waitFor("a status", () => api.status.last.state !== "starting");
    assert.equal(api.status.last.state, "disabled");
    assert.match(api.status.item.text, /daima: no model/);
  });

  it("types Chinese text and gets the inline completion, with a UTF-16 range", async () => {
    const items = await typeAt(3, "    x = 😀 + 计算总");
    assert.equal(items.length, 1);
    const item = items[0];
    const line = document.lineAt(3).text;
    assert.equal(line, "    x = 😀 + 计算总");
    // Applying the item must give the identifier from the first line.
    const start = document.offsetAt(item.range!.start);
    const end = document.offsetAt(item.range!.end);
    const after = document.text.slice(0, start) + item.insertText + document.text.slice(end);
    assert.equal(after.split("\n")[3], "    x = 😀 + 计算总价");
    assert.equal(item.command?.command, "daima.accepted");
  });

  it("accepting inserts exactly the suggestion", async () => {
    const end = document.lineAt(3).range.end;
    await stub.provideInline(document, end);
    const [item] = await settle();
    stub.edit(document, item.range!, item.insertText);
    await stub.commandsNs.executeCommand(item.command!.command);
    assert.equal(document.lineAt(3).text, "    x = 😀 + 计算总价");
    // The server saw the same text: a new suggestion after "(商" continues from it.
    const next = await typeAt(3, "(商");
    assert.equal(next.length, 1);
    assert.equal(next[0].insertText.slice(-2), "列表");
  });

  it("cycling past the only suggestion asks the server for alternatives (Invoke)", async () => {
    // Three names the identifier completer can offer for `计算`; the automatic request shows one.
    stub.edit(document, new stub.Range(document.lineAt(4).range.start, document.lineAt(4).range.start),
      "计算总数 = 1\n计算平均值 = 2\n    y = ");
    const first = await typeAt(6, "计算");
    assert.equal(first.length, 1, "an automatic request shows one suggestion");
    // VS Code asks again with Invoke when the user cycles and only one item is there.
    const end = document.lineAt(6).range.end;
    await stub.provideInline(document, end, new stub.CancellationTokenSource().token, stub.InlineCompletionTriggerKind.Invoke);
    const items = await settle();
    const texts = items.map((item) => item.insertText);
    assert.equal(texts.length, 3, `three suggestions to cycle through: ${JSON.stringify(texts)}`);
    assert.equal(new Set(texts).size, 3);
    assert.equal(texts[0], first[0].insertText, "the best one stays first");
    assert.deepEqual([...texts].sort(), ["平均值", "总价", "总数"].sort());
    stub.edit(document, new stub.Range(document.lineAt(4).range.start, document.lineAt(6).range.end), "");
  });

  it("sends settings changes to the server", async () => {
    stub.changeSettings({ "daima.completion.maxTokens": 7 });
    await waitFor("maxTokens 7 on the server", async () => (await status()).options.completion.maxTokens === 7);
  });

  it("toggle turns suggestions off and on", async () => {
    await stub.commandsNs.executeCommand("daima.toggle");
    const end = document.lineAt(3).range.end;
    assert.deepEqual(await stub.provideInline(document, end), []);
    assert.match(api.status.item.text, /\(off\)/);
    await stub.commandsNs.executeCommand("daima.toggle");
  });

  it("trigger asks VS Code for a suggestion where the cursor is", async () => {
    stub.executed.length = 0;
    const shown = stub.rendered.length;
    await stub.commandsNs.executeCommand("daima.trigger");
    assert.deepEqual(stub.executed, ["daima.trigger", "editor.action.inlineSuggest.trigger"]);
    // VS Code asks the provider again: its answer lands before the next test types.
    await waitFor("the triggered answer", () => stub.rendered.length > shown);
  });

  it("snooze pauses suggestions until the time is up or the user resumes", async () => {
    await stub.commandsNs.executeCommand("daima.snooze", 15);
    const end = document.lineAt(3).range.end;
    assert.deepEqual(await stub.provideInline(document, end), []);
    assert.match(api.status.item.text, /snoozed until \d\d:\d\d/);
    assert.ok(api.inline.snoozed() && !api.inline.snoozed(Date.now() + 16 * 60_000), "15 minutes, not more");
    await stub.commandsNs.executeCommand("daima.snooze", 0);
    assert.doesNotMatch(api.status.item.text, /snoozed/);
    const items = await typeAt(3, " + 计算总");
    assert.equal(items[0]?.insertText.slice(-1), "价", `${document.lineAt(3).text} ${JSON.stringify(items)}`);
  });

  it("toggles suggestions for one language in the user's settings", async () => {
    await stub.commandsNs.executeCommand("daima.toggleLanguage", "python");
    const config = stub.workspace.getConfiguration("daima");
    assert.deepEqual(config.get("completion.disabledLanguages"), ["python"]);
    assert.deepEqual(await stub.provideInline(document, document.lineAt(3).range.end), []);
    assert.match(stub.shown.at(-1)!.message, /off for python/);
    await stub.commandsNs.executeCommand("daima.toggleLanguage", "python");
    assert.deepEqual(config.get("completion.disabledLanguages"), []);
    const items = await typeAt(3, " + 计算总");
    assert.equal(items[0]?.insertText.slice(-1), "价");
  });

  it("check setup says how the server runs and what it reports", async () => {
    const message = (await stub.commandsNs.executeCommand("daima.checkSetup")) as string;
    assert.ok(message.includes(DAIMA), message);
    assert.match(message, /is disabled, no model \(identifier completion only\)\. Suggestions come from the names/);
    assert.equal(stub.shown.at(-1)!.kind, "info");
  });

  it("comes back after the server crashes", async () => {
    const client = api.client()!;
    const pid = (client as unknown as { _serverProcess: { pid: number } })._serverProcess.pid;
    process.kill(pid, "SIGKILL");
    await waitFor("the client to notice", () => api.status.last.state === "stopped" || !client.isRunning(), 5000);
    await waitFor("the automatic restart", () => client.isRunning(), 15000);
    // isRunning() turns true before the client registers its features (the inline provider, didOpen).
    await waitFor("the inline provider again", () => stub.providers.length > 0, 5000);
    const newPid = (client as unknown as { _serverProcess: { pid: number } })._serverProcess.pid;
    assert.notEqual(newPid, pid);
    const items = await typeAt(3, ") + 计算总");
    assert.equal(items[0]?.insertText.slice(-1), "价");
  });

  it("restart command starts a new server that knows the open document", async () => {
    const before = api.client();
    await stub.commandsNs.executeCommand("daima.restartServer");
    assert.notEqual(api.client(), before);
    assert.ok(api.client()?.isRunning());
    const items = await typeAt(3, " + 商品");
    assert.equal(items[0]?.insertText.slice(-2), "列表");
  });

  it("answers daima/resync with the full text, so suggestions come back", async () => {
    const client = api.client()!;
    const uri = document.uri.toString();
    // A change the server must refuse (its version is not newer): it stops completing and asks.
    await client.sendNotification("textDocument/didChange", {
      textDocument: { uri, version: 0 },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "zz" }],
    });
    await waitFor("suggestions again", async () => {
      const items = await typeAt(3, " + 商品");
      return items[0]?.insertText.slice(-2) === "列表";
    }, 15000);
  });

  it("says how to fix it when the server cannot start", async () => {
    stub.shown.length = 0;
    stub.changeSettings({ "daima.server.path": path.join(root, "no-such-daima") });
    await waitFor("an error message", () => stub.shown.some((m) => m.kind === "error"), 5000);
    const message = stub.shown.find((m) => m.kind === "error")!.message;
    assert.match(message, /daima\.server\.path/);
    assert.match(message, /pip install -e \./);
    assert.equal(api.status.last.state, "error");
    stub.changeSettings({ "daima.server.path": DAIMA });
    // isRunning() turns true before the new server has been told about the open document.
    await api.ready();
    assert.ok(api.client()?.isRunning());
  });

  it("tells once, with a message, that the model named cannot load", async () => {
    stub.shown.length = 0;
    stub.changeSettings({ "daima.model.name": "no-such-model" });
    await waitFor("the model's error", () => stub.shown.some((m) => m.kind === "error"), 30000);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // statuses that follow tell nothing new
    const errors = stub.shown.filter((m) => m.kind === "error");
    assert.equal(errors.length, 1, JSON.stringify(stub.shown));
    assert.match(errors[0].message, /no-such-model/);
    assert.match(errors[0].message, /daima\.model\.name/);
    assert.equal(api.status.last.state, "error");
    stub.changeSettings({ "daima.model.name": "none" });
    await api.ready();
    await waitFor("the model back", () => api.status.last.state !== "error", 30000);
  });

  it("reports client-side overhead", async () => {
    for (let i = 0; i < 20; i++) {
      const items = await typeAt(3, i % 2 ? " 计算总" : " 商");
      assert.equal(items.length, 1);
    }
    const summary = api.inline.stats.summary();
    console.log(`STATS ${JSON.stringify(summary)}`);
    assert.ok(summary.send.count >= 20 && summary.drawResponse.count >= 20);
  });
});
