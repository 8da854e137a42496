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

const WINDOWS = process.platform === "win32";
// The executable's file names: `daima` or, on Windows, `daima.exe` (and the like, from PATHEXT).
function executableNames(name: string, platformIsWindows = WINDOWS): string[] {
  if (!platformIsWindows || path.extname(name)) {
    return [name];
  }
  const extensions = (process.env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";").filter(Boolean);
  return [name, ...extensions.map((ext) => name + ext.toLowerCase())];
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    for (const file of executableNames(name)) {
      const candidate = path.join(dir, file);
      if (dir && isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** Where a workspace folder's virtual environment keeps `daima`: `bin/` on POSIX, `Scripts\` on Windows. */
export function venvCandidates(folder: string, platformIsWindows = WINDOWS): string[] {
  return platformIsWindows
    ? executableNames("daima", true).map((file) => path.join(folder, ".venv", "Scripts", file))
    : [path.join(folder, ".venv", "bin", "daima")];
}

const FIX =
  "Install daima (`pip install -e .` in its checkout) and set `daima.server.path` to its `daima` " +
  "executable, or `daima.server.interpreter` to a Python that has daima installed.";

/** The command and arguments that start the server; throws ServerNotFound with the fix.
 *
 * A workspace folder's own `.venv` is code from the folder that was opened: it is used only in a
 * trusted workspace (`trusted`), so opening a cloned repository in Restricted Mode runs nothing of it. */
export function resolveCommand(
  settings: ServerSettings,
  folders: readonly string[],
  trusted = false,
): { command: string; args: string[] } {
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
    // -I (isolated): the workspace folder is not put on Python's path, so a `daima/` package in the
    // opened project is not what runs.
    return { command: settings.interpreter, args: ["-I", "-m", "daima", ...settings.args] };
  }
  const inVenv = folders.flatMap((folder) => venvCandidates(folder)).find((file) => isExecutable(file));
  const found = onPath("daima") ?? (trusted ? inVenv : undefined);
  if (!found) {
    const why = inVenv
      ? `the workspace's ${inVenv} is used only in a trusted workspace (Manage Workspace Trust)`
      : "the `daima` command was not found on PATH or in the workspace's .venv";
    throw new ServerNotFound(`${why}. ${FIX}`);
  }
  return { command: found, args: settings.args };
}

const RESTARTS = 4; // automatic restarts allowed within RESTART_WINDOW_MS
const RESTART_WINDOW_MS = 3 * 60 * 1000;

/** Restarts a crashed server a few times, never one that was stopped on purpose (`wanted()` false)
 * and never one that did not start (`ready()` false): a server that cannot start would fail the same
 * way again, so the caller shows one error with what to do instead of a loop of toasts. */
export function crashHandler(wanted: () => boolean, onGiveUp: () => void, ready: () => boolean = () => true): ErrorHandler {
  const crashes: number[] = [];
  return {
    error: () => ({ action: ErrorAction.Continue, handled: true }),
    closed: () => {
      if (!wanted() || !ready()) {
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
