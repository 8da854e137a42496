// daima for VS Code: starts `daima serve`, shows its suggestions as inline completions (streamed),
// keeps its settings in sync and shows the model's state in the status bar. No telemetry.
import * as vscode from "vscode";
import { LanguageClient, State } from "vscode-languageclient/node";
import { describeSetup, snooze, toggleLanguage } from "./commands";
import { CursorNotes } from "./cursor";
import { AdaptiveDebounce } from "./debounce";
import { InlineCompletions, ProgressParams } from "./inline";
import { NextEdits } from "./nextEdit";
import { crashHandler, createClient, resolveCommand, ServerNotFound } from "./server";
import { enabledFor, readOptions, readServerSettings } from "./settings";
import { DaimaStatus, LoadErrorNotice, StatusItem } from "./status";

const MAX_DEBOUNCE_MS = 250;

/** What activate() returns: the live parts, for other extensions and for the tests. */
export interface DaimaApi {
  client(): LanguageClient | undefined;
  inline: InlineCompletions;
  nextEdits: NextEdits;
  status: StatusItem;
  restart(): Promise<void>;
  /** Settles when the latest (re)start has finished: the server has answered `daima/status`, so it
   * has seen every document that was open when it started. */
  ready(): Promise<void>;
}

export async function activate(context: vscode.ExtensionContext): Promise<DaimaApi> {
  const output = vscode.window.createOutputChannel("daima");
  const status = new StatusItem();
  const loadErrors = new LoadErrorNotice();
  const debounceMs = () => vscode.workspace.getConfiguration("daima").get<number>("completion.debounceMs", 75);
  const debounce = new AdaptiveDebounce(debounceMs(), MAX_DEBOUNCE_MS);
  let client: LanguageClient | undefined;
  let started: string | undefined; // the server command line, once it started
  const inline = new InlineCompletions(
    {
      sendRequest: (method, params, token) =>
        client ? client.sendRequest(method, params, token) : Promise.reject(new Error("daima is not running")),
    },
    debounce,
    enabledFor,
  );

  const nextEdits = new NextEdits({
    sendRequest: (method, params) =>
      client ? client.sendRequest(method, params) : Promise.reject(new Error("daima is not running")),
  });
  const nextEditEnabled = () => vscode.workspace.getConfiguration("daima").get<boolean>("nextEdit.enabled", true);
  nextEdits.enabled = nextEditEnabled() ?? true;
  const cursorNotes = new CursorNotes((place) => {
    if (client?.isRunning() && inline.enabled) {
      void client.sendNotification("daima/cursor", {
        textDocument: { uri: place.uri },
        position: { line: place.line, character: place.character },
      });
    }
  });
  const noteCursor = (editor: vscode.TextEditor | undefined) => {
    if (editor && enabledFor(editor.document.languageId)) {
      const position = editor.selection.active;
      cursorNotes.moved({ uri: editor.document.uri.toString(), line: position.line, character: position.character });
    }
  };

  async function start(): Promise<void> {
    status.update({ state: "starting" });
    const folders = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
    let command: { command: string; args: string[] };
    try {
      command = resolveCommand(readServerSettings(), folders, vscode.workspace.isTrusted);
    } catch (error) {
      const message = error instanceof ServerNotFound ? error.message : String(error);
      status.update({ state: "error", message });
      void showError(message, "daima.server");
      return;
    }
    output.appendLine(`starting ${command.command} ${command.args.join(" ")}`);
    started = undefined;
    const provide = inline.provide.bind(inline);
    let ready = false; // the server answered initialize: only then is a crash worth a restart
    const self = createClient(
      command,
      readOptions(),
      { provideInlineCompletionItems: provide },
      output,
      crashHandler(
        () => client === self,
        () => {
          const message = "daima's server crashed 5 times in 3 minutes; see 'daima: Show Log', then 'daima: Restart Server'.";
          status.update({ state: "error", message });
          void showError(message, "daima.server");
        },
        () => ready,
      ),
    );
    client = self;
    client.onDidChangeState((event) => {
      if (event.newState === State.Stopped) {
        status.update({ state: "stopped", message: "the server stopped; it restarts on its own or with 'daima: Restart Server'" });
      }
    });
    client.onNotification("daima/status", (params: DaimaStatus) => showStatus(params));
    client.onNotification("daima/completionProgress", (params: ProgressParams) => inline.onProgress(params));
    client.onNotification("daima/resync", (params: { uri: string }) => resync(self, params.uri));
    try {
      await client.start();
      ready = true;
      started = `${command.command} ${command.args.join(" ")}`;
      showStatus(await client.sendRequest<DaimaStatus>("daima/status", {}));
    } catch (error) {
      const message =
        `daima's server (${command.command} ${command.args.join(" ")}) could not start: ${String(error)}. ` +
        "Run it in a terminal to see why, check `daima.server.path`, or reinstall daima (`pip install -e .`).";
      status.update({ state: "error", message });
      void showError(message, "daima.server");
    }
  }

  async function stop(): Promise<void> {
    inline.reset();
    const running = client;
    client = undefined;
    if (running) {
      try {
        await running.stop(5000);
      } catch (error) {
        output.appendLine(`stopping the server: ${String(error)}`);
      }
    }
  }

  /** A status from the server: the status bar, and one message when the model cannot load. */
  function showStatus(params: DaimaStatus): void {
    status.update(params);
    const notice = loadErrors.next(params);
    if (notice !== undefined) void showError(notice, "daima.model");
  }

  /** An error the user must act on: in the log and in a message, with the settings it concerns. */
  async function showError(message: string, settings: string): Promise<void> {
    output.appendLine(message);
    const choice = await vscode.window.showErrorMessage(message, "Open Settings", "Show Log");
    if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", settings);
    } else if (choice === "Show Log") {
      output.show();
    }
  }

  // The latest (re)start, so that ready() can wait for a restart that a settings change began.
  let startup: Promise<void> = Promise.resolve();
  const restart = (): Promise<void> => {
    const previous = startup;
    startup = (async () => {
      await previous.catch(() => undefined);
      await stop();
      await start();
    })();
    return startup;
  };

  context.subscriptions.push(
    output,
    status,
    nextEdits,
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.contentChanges.length > 0) cursorNotes.edited();
      const editor = vscode.window.activeTextEditor;
      if (editor && editor.document === event.document && event.contentChanges.length > 0) {
        nextEdits.changed(editor);
      }
    }),
    // Going to a file asks too: a rename made in a module it imports from is proposed there.
    vscode.window.onDidChangeActiveTextEditor((editor) => {
      nextEdits.clear();
      if (editor) nextEdits.changed(editor);
      noteCursor(editor);
    }),
    vscode.window.onDidChangeTextEditorSelection((event) => {
      if (event.textEditor === vscode.window.activeTextEditor) noteCursor(event.textEditor);
    }),
    { dispose: () => cursorNotes.cancel() },
    vscode.commands.registerCommand("daima.nextEdit", () => {
      const editor = vscode.window.activeTextEditor;
      return editor ? nextEdits.jumpOrApply(editor) : false;
    }),
    vscode.commands.registerCommand("daima.restartServer", restart),
    vscode.commands.registerCommand("daima.toggle", () => {
      inline.enabled = !inline.enabled;
      inline.reset();
      status.setEnabled(inline.enabled);
      void vscode.window.showInformationMessage(`daima: suggestions ${inline.enabled ? "on" : "off"}`);
    }),
    vscode.commands.registerCommand("daima.showLog", () => output.show()),
    vscode.commands.registerCommand("daima.acceptNextWord", () =>
      vscode.commands.executeCommand("editor.action.inlineSuggest.acceptNextWord"),
    ),
    vscode.commands.registerCommand("daima.acceptNextLine", () =>
      vscode.commands.executeCommand("editor.action.inlineSuggest.acceptNextLine"),
    ),
    vscode.commands.registerCommand("daima.accepted", () => inline.reset()),
    // VS Code's own manual trigger asks with trigger kind Invoke: the server adds alternatives.
    vscode.commands.registerCommand("daima.trigger", () =>
      vscode.commands.executeCommand("editor.action.inlineSuggest.trigger"),
    ),
    vscode.commands.registerCommand("daima.snooze", (minutes?: number) => snooze(inline, status, minutes)),
    vscode.commands.registerCommand("daima.toggleLanguage", (languageId?: string) => toggleLanguage(languageId)),
    vscode.commands.registerCommand("daima.checkSetup", async () => {
      let answer: DaimaStatus | undefined;
      let error: string | undefined;
      try {
        answer = client?.isRunning() ? await client.sendRequest<DaimaStatus>("daima/status", {}) : undefined;
      } catch (failure) {
        error = String(failure);
      }
      const message = describeSetup(started, answer, error ?? status.last.message);
      output.appendLine(message);
      const healthy = answer !== undefined && answer.state !== "error";
      const show = healthy ? vscode.window.showInformationMessage : vscode.window.showErrorMessage;
      const choice = await show(message, "Show Log", "Open Settings");
      if (choice === "Show Log") {
        output.show();
      } else if (choice === "Open Settings") {
        await vscode.commands.executeCommand("workbench.action.openSettings", "daima");
      }
      return message;
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration("daima")) {
        return;
      }
      debounce.minMs = debounceMs();
      nextEdits.enabled = nextEditEnabled() ?? true;
      if (event.affectsConfiguration("daima.server")) {
        await restart();
      } else if (client?.isRunning()) {
        await client.sendNotification("workspace/didChangeConfiguration", { settings: { daima: readOptions() } });
      }
    }),
    { dispose: () => void stop() },
  );
  startup = start();
  await startup;
  return { client: () => client, inline, nextEdits, status, restart, ready: () => startup };
}

export function deactivate(): void {
  // The subscriptions (disposed by VS Code) stop the server.
}

/** The server refused a change (a lost or garbled edit) and stopped completing the document until it
 * has the whole text again: send it, as the editor has it now. */
function resync(client: LanguageClient, uri: string): void {
  const document = vscode.workspace.textDocuments.find((doc) => doc.uri.toString() === uri);
  if (document === undefined) return;
  void client.sendNotification("textDocument/didChange", {
    textDocument: { uri, version: document.version },
    contentChanges: [{ text: document.getText() }],
  });
}
