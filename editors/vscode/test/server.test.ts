// Finding the server command: a workspace's own .venv runs only in a trusted workspace; Windows names.
import * as stub from "./vscode-stub";
stub.install();

import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, it } from "node:test";
import { resolveCommand, ServerNotFound, venvCandidates } from "../src/server";

function clonedProject(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "daima-trust-"));
  const daima = path.join(root, ".venv", "bin", "daima");
  fs.mkdirSync(path.dirname(daima), { recursive: true });
  fs.writeFileSync(daima, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  return root;
}

describe("resolveCommand", () => {
  const settings = { path: "", interpreter: "", args: ["serve"] };
  const savedPath = process.env.PATH;

  it("does not run the workspace's .venv in an untrusted workspace, and says why", () => {
    const root = clonedProject();
    process.env.PATH = "/nonexistent"; // no daima on PATH
    try {
      assert.throws(() => resolveCommand(settings, [root], false), (error: unknown) => {
        assert.ok(error instanceof ServerNotFound);
        assert.match(error.message, /trusted workspace/);
        return true;
      });
      assert.equal(resolveCommand(settings, [root], true).command, path.join(root, ".venv", "bin", "daima"));
    } finally {
      process.env.PATH = savedPath;
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("runs an interpreter isolated, so the workspace's own daima/ package is not imported", () => {
    const command = resolveCommand({ ...settings, interpreter: process.execPath }, [], false);
    assert.deepEqual(command.args.slice(0, 3), ["-I", "-m", "daima"]);
  });

  it("looks for Scripts\\daima.exe in a Windows virtual environment", () => {
    const found = venvCandidates("C:\\work\\repo", true);
    assert.ok(found.some((file) => file.endsWith(path.join(".venv", "Scripts", "daima.exe"))), found.join(", "));
    assert.deepEqual(venvCandidates("/work/repo", false), [path.join("/work/repo", ".venv", "bin", "daima")]);
  });
});

describe("crashHandler", () => {
  it("never restarts a server that did not start, and restarts one that did a few times", async () => {
    const { crashHandler } = await import("../src/server");
    const { CloseAction } = await import("vscode-languageclient/node");
    let gaveUp = 0;
    let ready = false;
    const handler = crashHandler(() => true, () => gaveUp++, () => ready);
    const closed = async () => (await handler.closed()) as { action: number; handled?: boolean };
    const first = await closed();
    assert.equal(first.action, CloseAction.DoNotRestart, "a server that never answered initialize");
    assert.equal(first.handled, true, "the client's own toast is suppressed (the extension shows one)");
    ready = true;
    const actions = [];
    for (let i = 0; i < 5; i++) actions.push((await closed()).action);
    assert.deepEqual(actions, [1, 1, 1, 1, 1].map((_, i) => (i < 4 ? CloseAction.Restart : CloseAction.DoNotRestart)));
    assert.equal(gaveUp, 1, "one error after the last restart");
  });
});
