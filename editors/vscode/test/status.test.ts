// The status bar item: each state, and the step of a model load in progress.
import * as stub from "./vscode-stub";
stub.install();

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoadErrorNotice, StatusItem } from "../src/status";

describe("status bar item", () => {
  it("shows the step of a model load, cut to fit, and the whole message in the tooltip", () => {
    const status = new StatusItem();
    try {
      const message = "downloading qwen2.5-coder-0.5b (491 MB, the first time only)";
      status.update({ state: "loading", model: "qwen2.5-coder-0.5b", message });
      assert.match(status.item.text, /daima: loading: downloading qwen2\.5-coder-0\.5b \(491 MB,…$/);
      assert.match(String(status.item.tooltip), /the first time only\)/);
      status.update({ state: "loading", model: "qwen2.5-coder-0.5b", message: "preparing the engine on cpu" });
      assert.match(status.item.text, /loading: preparing the engine on cpu$/);
      status.update({ state: "loading", model: "qwen2.5-coder-0.5b" });
      assert.match(status.item.text, /daima: loading$/);
      status.update({ state: "ready", model: "qwen2.5-coder-0.5b", device: "cpu", lastLatencyMs: 412.4 });
      assert.match(status.item.text, /daima: qwen2\.5-coder-0\.5b 412 ms$/);
    } finally {
      status.dispose();
    }
  });

  it("tells a load error once, and again only after the model was ready", () => {
    const notice = new LoadErrorNotice();
    const failed = { state: "error" as const, model: "x", message: "the model failed to load (no such model 'x')" };
    assert.match(notice.next(failed) ?? "", /no such model 'x'.*daima\.model\.name/);
    assert.equal(notice.next(failed), undefined);
    assert.equal(notice.next({ state: "loading", model: "x" }), undefined);
    assert.equal(notice.next(failed), undefined);
    assert.match(notice.next({ ...failed, message: "another problem" }) ?? "", /another problem/);
    assert.equal(notice.next({ state: "ready", model: "y" }), undefined);
    assert.match(notice.next(failed) ?? "", /no such model/);
  });

  it("sends a request that failed on a loaded model to the model server, not the model's name", () => {
    const notice = new LoadErrorNotice();
    const message = "the model failed a request (remote engine at http://gpu:8000 answered HTTP 500)";
    const told = notice.next({ state: "error", model: "m", message, failed: "request" }) ?? "";
    assert.match(told, /HTTP 500.*daima\.model\.remoteUrl/);
    assert.doesNotMatch(told, /daima\.model\.name/);
  });
});
