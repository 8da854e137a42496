// Protocol level: vscode-languageserver-protocol over stdio to the real `daima serve` (model "none"),
// as VS Code's client speaks it: start, open a Chinese document, type, inline completions (with the
// progress notification), accept, settings change, a crash and a restart.
import assert from "node:assert/strict";
import { ChildProcess, spawn } from "child_process";
import { after, describe, it } from "node:test";
import {
  createProtocolConnection,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  InitializedNotification,
  InitializeRequest,
  ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-languageserver-protocol/node";
import { DAIMA, waitFor } from "./server-path";

const URI = "file:///tmp/daima-protocol/%E8%B4%AD%E7%89%A9%E8%BD%A6.py";
const SOURCE = 'def 计算总价(商品列表):\n    """😀 求和"""\n    return sum(商品列表)\n\n';

interface Server {
  process: ChildProcess;
  connection: ProtocolConnection;
  progress: { uri: string; version: number; text: string; done: boolean; position: unknown }[];
  encoding: string;
  version: number;
  text: string;
}
const running: Server[] = [];

async function start(encodings: string[] = ["utf-16"], options: object = {}): Promise<Server> {
  const child = spawn(DAIMA, ["serve"], { stdio: ["pipe", "pipe", "pipe"] });
  child.stderr!.resume();
  const connection = createProtocolConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  const server: Server = { process: child, connection, progress: [], encoding: "", version: 1, text: SOURCE };
  connection.onNotification("daima/completionProgress", (params) => server.progress.push(params));
  connection.onNotification("daima/status", () => {});
  connection.onNotification("window/showMessage", () => {});
  connection.onNotification("window/logMessage", () => {});
  connection.onRequest("window/workDoneProgress/create", () => null);
  connection.onRequest("client/registerCapability", () => null);
  connection.onNotification("$/progress", () => {});
  connection.listen();
  running.push(server);
  const result = await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    capabilities: { general: { positionEncodings: encodings } } as never,
    initializationOptions: { model: { name: "none" }, index: { enabled: false }, ...options },
  });
  assert.ok(result.capabilities.inlineCompletionProvider, "inlineCompletionProvider not advertised");
  server.encoding = (result.capabilities as { positionEncoding?: string }).positionEncoding ?? "utf-16";
  await connection.sendNotification(InitializedNotification.type, {});
  await connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri: URI, languageId: "python", version: 1, text: SOURCE },
  });
  return server;
}

/** The LSP column of str index `index` on `line` in the server's encoding. */
function column(server: Server, line: string, index: number): number {
  const head = line.slice(0, index);
  if (server.encoding === "utf-8") return Buffer.byteLength(head, "utf8");
  if (server.encoding === "utf-32") return [...head].length;
  return head.length;
}

/** Types `typed` at the end of line `row`, one character (code point) at a time. */
async function type(server: Server, row: number, typed: string): Promise<{ line: number; character: number }> {
  for (const ch of typed) {
    const lines = server.text.split("\n");
    const at = { line: row, character: column(server, lines[row], lines[row].length) };
    lines[row] += ch;
    server.text = lines.join("\n");
    server.version += 1;
    await server.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: URI, version: server.version },
      contentChanges: [{ range: { start: at, end: at }, text: ch }],
    });
  }
  const line = server.text.split("\n")[row];
  return { line: row, character: column(server, line, line.length) };
}

interface Item {
  insertText: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}

async function inline(server: Server, position: { line: number; character: number }): Promise<Item[]> {
  const result = (await server.connection.sendRequest("textDocument/inlineCompletion", {
    textDocument: { uri: URI },
    position,
    context: { triggerKind: 2 },
  })) as { items: Item[] } | null;
  return result?.items ?? [];
}

/** Applies `item` the way VS Code does on accept: one edit replacing its range. */
async function accept(server: Server, item: Item): Promise<void> {
  server.version += 1;
  const lines = server.text.split("\n");
  const row = lines[item.range.start.line];
  const toIndex = (character: number) => {
    for (let i = 0; i <= row.length; i++) if (column(server, row, i) === character) return i;
    throw new Error(`column ${character} is inside a character`);
  };
  const start = toIndex(item.range.start.character);
  const end = toIndex(item.range.end.character);
  lines[item.range.start.line] = row.slice(0, start) + item.insertText + row.slice(end);
  server.text = lines.join("\n");
  await server.connection.sendNotification(DidChangeTextDocumentNotification.type, {
    textDocument: { uri: URI, version: server.version },
    contentChanges: [{ range: item.range, text: item.insertText }],
  });
}

after(() => {
  for (const server of running) {
    server.connection.dispose();
    server.process.kill();
  }
});

describe("daima serve over stdio (vscode-languageserver-protocol)", () => {
  for (const encoding of ["utf-16", "utf-8"]) {
    it(`completes Chinese identifiers after emoji, ${encoding} positions, and accepts exactly`, async () => {
      const server = await start([encoding]);
      assert.equal(server.encoding, encoding);
      const position = await type(server, 3, "    😀 = 计算总");
      const items = await inline(server, position);
      assert.equal(items.length, 1);
      assert.equal(items[0].insertText.endsWith("价"), true, JSON.stringify(items));
      // The progress notification for this request carries the same text, the request's position and
      // the document version it was computed on.
      await waitFor("the final progress notification", () => server.progress.some((p) => p.done));
      const done = server.progress.filter((p) => p.done).at(-1)!;
      assert.equal(done.version, server.version);
      assert.deepEqual(done.position, position);
      assert.equal(done.text, items[0].insertText);
      await accept(server, items[0]);
      assert.equal(server.text.split("\n")[3], "    😀 = 计算总价");
      // The server agrees on the text: after "(商" it offers the rest of 商品列表.
      const next = await inline(server, await type(server, 3, "(商"));
      assert.equal(next[0]?.insertText.endsWith("品列表"), true, JSON.stringify(next));
    });
  }

  it("applies a settings change and answers daima/status", async () => {
    const server = running[0]; // the utf-16 server from the first test
    const before = (await server.connection.sendRequest("daima/status", {})) as {
      state: string;
      options: { completion: { maxTokens: number } };
    };
    assert.equal(before.state, "disabled");
    await server.connection.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { daima: { completion: { maxTokens: 9, disabledLanguages: ["python"] } } },
    });
    const after = (await server.connection.sendRequest("daima/status", {})) as typeof before;
    assert.equal(after.options.completion.maxTokens, 9);
    // python is now disabled: no suggestion.
    assert.deepEqual(await inline(server, await type(server, 3, " 计算总")), []);
  });

  it("a crashed server is noticed, and a restarted one works from a fresh open", async () => {
    const server = running[1]; // the utf-8 server from the second test
    const closed = new Promise<void>((resolve) => server.connection.onClose(() => resolve()));
    server.process.kill("SIGKILL");
    await closed;
    await assert.rejects(inline(server, { line: 0, character: 0 }));
    const again = await start();
    const items = await inline(again, await type(again, 3, " 商品"));
    assert.equal(items[0]?.insertText.endsWith("列表"), true, JSON.stringify(items));
  });
});
