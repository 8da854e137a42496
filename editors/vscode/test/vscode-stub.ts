// A stand-in for the `vscode` module, enough for vscode-languageclient and daima's extension to run
// under Node (VS Code itself cannot be downloaded here). It plays the editor: it holds documents,
// applies typed edits and fires the events VS Code fires, keeps settings, and calls the registered
// inline completion provider the way VS Code does. Unknown API members are inert stand-ins.
import Module from "module";

type Listener<T> = (event: T) => unknown;

export class Disposable {
  constructor(private readonly fn: () => void = () => {}) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((item) => item.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  event = (listener: Listener<T>, thisArg?: unknown, disposables?: Disposable[]) => {
    const bound: Listener<T> = (e) => listener.call(thisArg, e);
    this.listeners.add(bound);
    const d = new Disposable(() => this.listeners.delete(bound));
    disposables?.push(d);
    return d;
  };
  fire(event: T): void {
    for (const listener of [...this.listeners]) {
      listener(event);
    }
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
  isEqual(other: Position): boolean {
    return this.line === other.line && this.character === other.character;
  }
  isBefore(other: Position): boolean {
    return this.line < other.line || (this.line === other.line && this.character < other.character);
  }
  translate(lineDelta = 0, characterDelta = 0): Position {
    return new Position(this.line + lineDelta, this.character + characterDelta);
  }
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    this.start = typeof a === "number" ? new Position(a, b as number) : a;
    this.end = typeof a === "number" ? new Position(c as number, d as number) : (b as Position);
  }
  get isEmpty(): boolean {
    return this.start.isEqual(this.end);
  }
}
export class Selection extends Range {}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(path: string): Uri {
    return new Uri("file", path);
  }
  static parse(value: string): Uri {
    const match = /^(\w+):\/\/(.*)$/.exec(value);
    return match ? new Uri(match[1], decodeURIComponent(match[2])) : new Uri("file", value);
  }
  get path(): string {
    return this.fsPath;
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath.split("/").map(encodeURIComponent).join("/")}`;
  }
  with(): Uri {
    return this;
  }
}

export class InlineCompletionItem {
  command?: { title: string; command: string; arguments?: unknown[] };
  constructor(
    public insertText: string,
    public range?: Range,
  ) {}
}
export enum InlineCompletionTriggerKind {
  Invoke = 0,
  Automatic = 1,
}
export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}
export class ThemeColor {
  constructor(readonly id: string) {}
}
export class CancellationTokenSource {
  private emitter = new EventEmitter<void>();
  token = {
    isCancellationRequested: false,
    onCancellationRequested: this.emitter.event,
  };
  cancel(): void {
    if (!this.token.isCancellationRequested) {
      this.token.isCancellationRequested = true;
      this.emitter.fire();
    }
  }
  dispose(): void {}
}

/** A text document with VS Code's (UTF-16) positions; JavaScript strings are UTF-16 too. */
export class TextDocument {
  version = 1;
  isClosed = false;
  isDirty = false;
  isUntitled = false;
  eol = 1;
  constructor(
    readonly uri: Uri,
    readonly languageId: string,
    public text: string,
  ) {}
  get fileName(): string {
    return this.uri.fsPath;
  }
  get lineCount(): number {
    return this.text.split("\n").length;
  }
  getText(range?: Range): string {
    return range ? this.text.slice(this.offsetAt(range.start), this.offsetAt(range.end)) : this.text;
  }
  offsetAt(position: Position): number {
    const lines = this.text.split("\n");
    let offset = 0;
    for (let i = 0; i < position.line && i < lines.length; i++) {
      offset += lines[i].length + 1;
    }
    return offset + Math.min(position.character, (lines[position.line] ?? "").length);
  }
  positionAt(offset: number): Position {
    const before = this.text.slice(0, offset).split("\n");
    return new Position(before.length - 1, before[before.length - 1].length);
  }
  lineAt(line: number | Position) {
    const n = typeof line === "number" ? line : line.line;
    const text = this.text.split("\n")[n] ?? "";
    return { lineNumber: n, text, range: new Range(n, 0, n, text.length), isEmptyOrWhitespace: !text.trim() };
  }
  save(): Promise<boolean> {
    return Promise.resolve(true);
  }
}

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

const outputLines: string[] = [];
export const output = outputLines;
export const window = namespace("window", {
  activeTextEditor: undefined,
  visibleTextEditors: [],
  tabGroups: { all: [], onDidChangeTabs: new EventEmitter<unknown>().event },
  onDidChangeActiveTextEditor: new EventEmitter<unknown>().event,
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
