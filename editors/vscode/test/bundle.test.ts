// The file the .vsix ships (dist/extension.js, one esbuild bundle with its dependencies inside) activates
// and starts the real server with no node_modules to load from: what an installed extension runs.
import * as stub from "./vscode-stub";
stub.install();

import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, it } from "node:test";
import { DAIMA, waitFor } from "./server-path";

const BUNDLE = path.resolve(__dirname, "..", "..", "dist", "extension.js");

describe("the bundled extension", () => {
  it("activates from dist/extension.js and starts daima serve", async () => {
    // Copied where no node_modules folder is above it: the bundle must carry its dependencies.
    const alone = fs.mkdtempSync(path.join(os.tmpdir(), "daima-bundle-"));
    const copy = path.join(alone, "extension.js");
    fs.copyFileSync(BUNDLE, copy);
    stub.setSetting("daima.server.path", DAIMA);
    stub.setSetting("daima.model.name", "none");
    const subscriptions: { dispose(): unknown }[] = [];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const extension = require(copy) as { activate(context: unknown): Promise<{ client(): { isRunning(): boolean; stop(ms: number): Promise<void> } | undefined }> };
    const api = await extension.activate({ subscriptions });
    try {
      await waitFor("the server to run", () => api.client()?.isRunning() === true);
    } finally {
      for (const d of subscriptions) d.dispose();
      await api.client()?.stop(2000).catch(() => undefined);
      fs.rmSync(alone, { recursive: true, force: true });
    }
    assert.ok(fs.statSync(BUNDLE).size > 0);
  });
});
