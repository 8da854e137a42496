// A stand-in for the `vscode` module, enough for vscode-languageclient and daima's extension to run
// under Node (VS Code itself cannot be downloaded here). It plays the editor: it holds documents,
// applies typed edits and fires the events VS Code fires, keeps settings, and calls the registered
// inline completion provider the way VS Code does. Unknown API members are inert stand-ins.
import Module from "module";

import {
  CancellationTokenSource,
  Disposable,
  EventEmitter,
  InlineCompletionItem,
  InlineCompletionTriggerKind,
  Position,
  Range,
  Selection,
  StatusBarAlignment,
  TextDocument,
  ThemeColor,
  Uri,
} from "./vscode-types";

export {
  CancellationTokenSource,
  Disposable,
  EventEmitter,
  InlineCompletionItem,
  InlineCompletionTriggerKind,
  Position,
  Range,
  Selection,
  StatusBarAlignment,
  TextDocument,
  ThemeColor,
  Uri,
};

// --- the editor's state -------------------------------------------------------------------------

const settings = new Map<string, unknown>();
const commands = new Map<string, (...args: unknown[]) => unknown>();
export const shown: { kind: string; message: string }[] = [];
export const executed: string[] = [];
export const providers: { provideInlineCompletionItems: (...args: unknown[]) => unknown }[] = [];
const onDidOpen = new EventEmitter<TextDocument>();
const onDidChange = new EventEmitter<unknown>();
const onDidClose = new EventEmitter<TextDocument>();
const onDidChangeConfiguration = new EventEmitter<{ affectsConfiguration(section: string): boolean }>();
const documents: TextDocument[] = [];

function configuration(section?: string) {
  const prefix = section ? `${section}.` : "";
  return {
    get<T>(key: string, fallback?: T): T | undefined {
      const full = prefix + key;
      return settings.has(full) ? (settings.get(full) as T) : fallback;
    },
    has: (key: string) => settings.has(prefix + key),
    inspect: () => undefined,
    update: async (key: string, value: unknown) => {
      settings.set(prefix + key, value);
    },
  };
}

/** Inert stand-in for any API member the tests do not need: callable, returns a Disposable. */
function inert(name: string): unknown {
  // A plain function: callable, and constructible so that `class X extends vscode.Y` works.
  const fn = function () {
    return new Disposable();
  } as unknown as { prototype: object };
  return new Proxy(fn, {
    get: (target, prop) =>
      prop === "prototype"
        ? target.prototype
        : prop === "dispose"
          ? () => {}
          : prop === Symbol.toPrimitive
            ? () => name
            : undefined,
  });
}
function namespace<T extends object>(name: string, members: T): T {
  return new Proxy(members, {
    get: (target, prop) => (prop in target ? (target as Record<string | symbol, unknown>)[prop] : inert(`${name}.${String(prop)}`)),
  });
}

function matches(selector: unknown, document: TextDocument): number {
  const filters = Array.isArray(selector) ? selector : [selector];
  for (const filter of filters) {
    if (typeof filter === "string") {
      if (filter === "*" || filter === document.languageId) return 10;
    } else if (filter && typeof filter === "object") {
      const f = filter as { scheme?: string; language?: string; pattern?: unknown; notebookType?: string };
      if (f.notebookType) continue;
      if ((!f.scheme || f.scheme === document.uri.scheme) && (!f.language || f.language === document.languageId)) {
        return 5;
      }
    }
  }
  return 0;
}

export const workspace = namespace("workspace", {
  textDocuments: documents,
  notebookDocuments: [],
  workspaceFolders: [] as { uri: Uri; name: string; index: number }[],
  getConfiguration: configuration,
  onDidOpenTextDocument: onDidOpen.event,
  onDidChangeTextDocument: onDidChange.event,
  onDidCloseTextDocument: onDidClose.event,
  onDidChangeConfiguration: onDidChangeConfiguration.event,
  onDidSaveTextDocument: new EventEmitter<TextDocument>().event,
  onWillSaveTextDocument: new EventEmitter<unknown>().event,
  onDidChangeWorkspaceFolders: new EventEmitter<unknown>().event,
  getWorkspaceFolder: () => undefined,
  asRelativePath: (p: string | Uri) => String(p),
});

/** Fired by a test that makes another editor the active one, as VS Code does. */
export const activeEditorChanged = new EventEmitter<unknown>();
/** Fired by a test that moves an editor's cursor, as VS Code does. */
export const selectionChanged = new EventEmitter<unknown>();
const outputLines: string[] = [];
export const output = outputLines;
export const window = namespace("window", {
  activeTextEditor: undefined,
  visibleTextEditors: [],
  tabGroups: { all: [], onDidChangeTabs: new EventEmitter<unknown>().event },
  onDidChangeActiveTextEditor: activeEditorChanged.event,
  onDidChangeTextEditorSelection: selectionChanged.event,
  onDidChangeVisibleTextEditors: new EventEmitter<unknown>().event,
  createOutputChannel: (name: string) => ({
    name,
    append: (s: string) => outputLines.push(s),
    appendLine: (s: string) => outputLines.push(s),
    replace: () => {},
    clear: () => {},
    show: () => executed.push("output.show"),
    hide: () => {},
    dispose: () => {},
  }),
  createStatusBarItem: () => ({ text: "", tooltip: "", show() {}, hide() {}, dispose() {} }),
  showErrorMessage: async (message: string) => (shown.push({ kind: "error", message }), undefined),
  showWarningMessage: async (message: string) => (shown.push({ kind: "warning", message }), undefined),
  showInformationMessage: async (message: string) => (shown.push({ kind: "info", message }), undefined),
});

export const languages = namespace("languages", {
  match: matches,
  registerInlineCompletionItemProvider: (_selector: unknown, provider: (typeof providers)[number]) => {
    providers.push(provider);
    return new Disposable(() => providers.splice(providers.indexOf(provider), 1));
  },
});

export const commandsNs = namespace("commands", {
  registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
    commands.set(id, fn);
    return new Disposable(() => commands.delete(id));
  },
  executeCommand: async (id: string, ...args: unknown[]) => {
    executed.push(id);
    const fn = commands.get(id);
    return fn ? fn(...args) : undefined;
  },
  getCommands: async () => [...commands.keys()],
});

const api = {
  Disposable,
  EventEmitter,
  Position,
  Range,
  Selection,
  Uri,
  InlineCompletionItem,
  InlineCompletionTriggerKind,
  StatusBarAlignment,
  ThemeColor,
  CancellationTokenSource,
  workspace,
  window,
  languages,
  commands: commandsNs,
  env: { machineId: "test", sessionId: "test", language: "en", appName: "stand-in", uriScheme: "vscode" },
  extensions: namespace("extensions", { all: [] }),
  version: "1.82.0",
};
const vscode = new Proxy(api, {
  get: (target, prop) => (prop in target ? (target as Record<string | symbol, unknown>)[prop] : inert(String(prop))),
});

// --- what the tests drive ---------------------------------------------------------------------------

/** Makes `require("vscode")` return this stand-in. Call before importing the extension. */
export function install(): void {
  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = loader._load;
  loader._load = function (request: string, ...rest: unknown[]) {
    return request === "vscode" ? vscode : original.call(this, request, ...rest);
  };
}

export function setSetting(key: string, value: unknown): void {
  settings.set(key, value);
}

/** Changes settings and fires onDidChangeConfiguration as VS Code does. */
export function changeSettings(values: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(values)) {
    settings.set(key, value);
  }
  const keys = Object.keys(values);
  onDidChangeConfiguration.fire({
    affectsConfiguration: (section: string) => keys.some((k) => k === section || k.startsWith(`${section}.`)),
  });
}

export function openDocument(path: string, languageId: string, text: string): TextDocument {
  const document = new TextDocument(Uri.file(path), languageId, text);
  documents.push(document);
  onDidOpen.fire(document);
  return document;
}

/** Replaces `range` with `text` and fires onDidChangeTextDocument (one keystroke or one accept). */
export function edit(document: TextDocument, range: Range, text: string): void {
  const rangeOffset = document.offsetAt(range.start);
  const rangeLength = document.offsetAt(range.end) - rangeOffset;
  document.text = document.text.slice(0, rangeOffset) + text + document.text.slice(rangeOffset + rangeLength);
  document.version += 1;
  onDidChange.fire({ document, contentChanges: [{ range, rangeOffset, rangeLength, text }], reason: undefined });
}

/** What VS Code would show: each answer of the providers, newest last (partial ones included). */
export const rendered: InlineCompletionItem[][] = [];
let lastQuery: { document: TextDocument; position: Position } | undefined;

// VS Code queries the providers again at the cursor when this command runs; daima runs it when
// newer streamed text has arrived.
commands.set("editor.action.inlineSuggest.trigger", () => {
  if (lastQuery) {
    void provideInline(lastQuery.document, lastQuery.position);
  }
});

/** Calls the registered inline completion providers as VS Code does at `position`. */
export async function provideInline(
  document: TextDocument,
  position: Position,
  token = new CancellationTokenSource().token,
  triggerKind = InlineCompletionTriggerKind.Automatic,
): Promise<InlineCompletionItem[]> {
  const results: InlineCompletionItem[] = [];
  lastQuery = { document, position };
  for (const provider of providers) {
    const items = (await provider.provideInlineCompletionItems(
      document,
      position,
      { triggerKind, selectedCompletionInfo: undefined },
      token,
    )) as InlineCompletionItem[] | { items: InlineCompletionItem[] } | null | undefined;
    if (items) {
      results.push(...(Array.isArray(items) ? items : items.items));
    }
  }
  if (!token.isCancellationRequested) {
    rendered.push(results);
  }
  return results;
}

export function registeredCommand(id: string): ((...args: unknown[]) => unknown) | undefined {
  return commands.get(id);
}
