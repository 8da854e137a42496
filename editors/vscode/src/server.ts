// Finds the `daima serve` command and builds the language client that runs it.
import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  ErrorHandler,
  LanguageClient,
  LanguageClientOptions,
  Middleware,
  ServerOptions,
  ProposedFeatures,
} from "vscode-languageclient/node";
import { DaimaOptions, ServerSettings } from "./settings";

export class ServerNotFound extends Error {}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

const FIX =
  "Install daima (`pip install -e .` in its checkout) and set `daima.server.path` to its `daima` " +
  "executable, or `daima.server.interpreter` to a Python that has daima installed.";

/** The command and arguments that start the server; throws ServerNotFound with the fix. */
export function resolveCommand(settings: ServerSettings, folders: readonly string[]): { command: string; args: string[] } {
  if (settings.path) {
    if (!isExecutable(settings.path)) {
      throw new ServerNotFound(`daima.server.path is '${settings.path}', which is not an executable file. ${FIX}`);
    }
    return { command: settings.path, args: settings.args };
  }
  if (settings.interpreter) {
    if (!isExecutable(settings.interpreter) && !onPath(settings.interpreter)) {
      throw new ServerNotFound(`daima.server.interpreter '${settings.interpreter}' was not found. ${FIX}`);
    }
    return { command: settings.interpreter, args: ["-m", "daima", ...settings.args] };
  }
  const found =
    onPath("daima") ??
    folders.map((folder) => path.join(folder, ".venv", "bin", "daima")).find((file) => isExecutable(file));
  if (!found) {
    throw new ServerNotFound(`the \`daima\` command was not found on PATH or in the workspace's .venv. ${FIX}`);
  }
  return { command: found, args: settings.args };
}

const RESTARTS = 4; // automatic restarts allowed within RESTART_WINDOW_MS
const RESTART_WINDOW_MS = 3 * 60 * 1000;

/** Restarts a crashed server a few times, never one that was stopped on purpose (`wanted()` false). */
export function crashHandler(wanted: () => boolean, onGiveUp: () => void): ErrorHandler {
  const crashes: number[] = [];
  return {
    error: () => ({ action: ErrorAction.Continue }),
    closed: () => {
      if (!wanted()) {
        return { action: CloseAction.DoNotRestart, handled: true };
      }
      const now = Date.now();
      crashes.push(now);
      while (crashes.length && crashes[0] < now - RESTART_WINDOW_MS) crashes.shift();
      if (crashes.length > RESTARTS) {
        onGiveUp();
        return { action: CloseAction.DoNotRestart, handled: true };
      }
      return { action: CloseAction.Restart, handled: true };
    },
  };
}

/** A language client for `daima serve`; inline completions go through `middleware`. */
export function createClient(
  command: { command: string; args: string[] },
  options: DaimaOptions,
  middleware: Middleware,
  outputChannel: vscode.OutputChannel,
  errorHandler: ErrorHandler,
): LanguageClient {
  const serverOptions: ServerOptions = { command: command.command, args: command.args };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
    initializationOptions: options,
    outputChannel,
    middleware,
    errorHandler,
  };
  const client = new LanguageClient("daima", "daima", serverOptions, clientOptions);
  // Inline completion is a "proposed" feature in vscode-languageclient 9: it registers the provider
  // (for the document selector above) whose calls reach `middleware.provideInlineCompletionItems`.
  client.registerFeatures(ProposedFeatures.createAll(client));
  return client;
}
