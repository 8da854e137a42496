// The streaming state machine of the inline provider, with a scripted server (fast, deterministic;
// the real server is driven in extension/protocol/model tests): partial text is shown first and
// replaced by the final item, progress for another version or position is ignored, a cancelled ask
// sends nothing.
import * as stub from "./vscode-stub";
stub.install();

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AdaptiveDebounce } from "../src/debounce";
import { InlineCompletions, ProgressParams, shownItem } from "../src/inline";

const URI = "file:///tmp/a.py";
const HERE = { line: 0, character: 3 };
const RANGE = { start: HERE, end: HERE };

function scripted() {
  const sent: { method: string; params: unknown }[] = [];
  let answer: (value: unknown) => void = () => {};
  const client = {
    sendRequest: (method: string, params: unknown) => {
      sent.push({ method, params });
      return new Promise((resolve) => (answer = resolve));
    },
  };
  const requeries: number[] = [];
  const inline = new InlineCompletions(client, new AdaptiveDebounce(0, 0), () => true, () => requeries.push(1));
  return { inline, sent, requeries, answer: (value: unknown) => answer(value) };
}

function document(version: number) {
  const doc = new stub.TextDocument(stub.Uri.parse(URI), "python", "计算总\n");
  doc.version = version;
  return doc;
}

const context = { triggerKind: stub.InlineCompletionTriggerKind.Automatic, selectedCompletionInfo: undefined };
const progress = (text: string, version = 2, position = HERE): ProgressParams => ({
  uri: URI,
  version,
  position,
  text,
  range: RANGE,
  done: false,
});

describe("InlineCompletions streaming", () => {
  it("shows partial text, then the final item", async () => {
    const { inline, sent, requeries, answer } = scripted();
    const token = new stub.CancellationTokenSource().token;
    const first = inline.provide(document(2) as never, new stub.Position(0, 3) as never, context as never, token as never);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(sent.length, 1);
    let resolved = false;
    void first.then(() => (resolved = true));
    inline.onProgress(progress("x", 1)); // another version: ignored
    inline.onProgress(progress("x", 2, { line: 0, character: 2 })); // another position: ignored
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(resolved, false, "progress for another version or position was shown");
    inline.onProgress(progress("价"));
    const partial = await first;
    assert.equal(partial?.[0].insertText, "价");
    assert.equal(partial?.[0].command, undefined);
    answer({ items: [{ insertText: "价格", range: RANGE }] });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(requeries.length, 1, "VS Code is asked to query again when the final item is in");
    const final = await inline.provide(document(2) as never, new stub.Position(0, 3) as never, context as never, token as never);
    assert.equal(final?.[0].insertText, "价格");
    assert.equal(final?.[0].command?.command, "daima.accepted");
    assert.equal(sent.length, 1, "the re-query is answered from the session, without a new request");
  });

  it("sends nothing for an ask cancelled during the debounce", async () => {
    const { inline, sent } = scripted();
    inline.debounce.minMs = 50;
    inline.debounce.maxMs = 50;
    const source = new stub.CancellationTokenSource();
    const result = inline.provide(document(3) as never, new stub.Position(0, 3) as never, context as never, source.token as never);
    source.cancel();
    assert.equal(await result, null);
    assert.equal(sent.length, 0);
  });

  it("reaches the end of the line, so VS Code draws a suggestion before the `)` it closed itself", async () => {
    const doc = new stub.TextDocument(stub.Uri.parse(URI), "python", "    print(购物车[0].)\nx = 1\n");
    const cursor = { line: 0, character: 17 };
    const { inline, answer } = scripted();
    const token = new stub.CancellationTokenSource().token;
    const asked = inline.provide(doc as never, new stub.Position(0, 17) as never, context as never, token as never);
    await new Promise((resolve) => setImmediate(resolve));
    answer({ items: [{ insertText: "名称", range: { start: cursor, end: cursor } }] });
    const items = (await asked)!;
    assert.equal(items[0].insertText, "名称)");
    assert.deepEqual(
      [items[0].range!.start.character, items[0].range!.end.line, items[0].range!.end.character],
      [17, 0, 18],
    );
    // At the end of a line, and for a range that spans lines, the item is the server's.
    const atEnd = shownItem(doc as never, "1", { start: { line: 1, character: 5 }, end: { line: 1, character: 5 } });
    assert.equal(atEnd.insertText, "1");
    assert.equal(atEnd.range!.end.character, 5);
  });

  it("draws no empty partial, and its own ask for newer text is not taken for the user's Invoke", async () => {
    const { inline, sent, requeries, answer } = scripted();
    const token = new stub.CancellationTokenSource().token;
    const first = inline.provide(document(2) as never, new stub.Position(0, 3) as never, context as never, token as never);
    await new Promise((resolve) => setImmediate(resolve));
    inline.onProgress(progress("")); // the English reading holds a name back: nothing to draw
    inline.onProgress(progress("价"));
    const partial = (await first)!;
    assert.equal(partial[0].insertText, "价");
    answer({ items: [{ insertText: "价格", range: RANGE }] });
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(requeries.length, 1);
    // VS Code reports the ask `requery` made as Invoke: it gets the final answer, the server is not asked again.
    const invoke = { triggerKind: stub.InlineCompletionTriggerKind.Invoke, selectedCompletionInfo: undefined };
    const again = (await inline.provide(document(2) as never, new stub.Position(0, 3) as never, invoke as never, token as never))!;
    assert.equal(again[0].insertText, "价格");
    assert.equal(sent.length, 1);
  });
});
