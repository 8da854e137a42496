// Inline completions with streaming: VS Code pulls suggestions, daima pushes partial text.
//
// A request starts a session keyed by (uri, version, position). Partial text from the server's
// `daima/completionProgress` is handed to VS Code by answering the pending call with it and asking
// VS Code to query again (`editor.action.inlineSuggest.trigger`); the next call gets the newer text
// or, once it has come, the final item. Anything for another version or position is dropped.
import * as vscode from "vscode";
import { AdaptiveDebounce } from "./debounce";

interface LspPosition {
  line: number;
  character: number;
}
interface LspRange {
  start: LspPosition;
  end: LspPosition;
}
interface LspItem {
  insertText: string | { value: string };
  range?: LspRange;
}
export interface ProgressParams {
  uri: string;
  version: number;
  position: LspPosition;
  text: string;
  range: LspRange;
  done: boolean;
}

/** What the provider needs from the language client (the real one, or a test's). */
export interface RequestClient {
  sendRequest(method: string, params: unknown, token?: vscode.CancellationToken): Promise<unknown>;
}

interface Session {
  uri: string;
  version: number;
  position: LspPosition;
  partial?: ProgressParams;
  partialAt?: number;
  partialShown?: boolean;
  final?: LspItem[];
  finalAt?: number;
  failed?: boolean;
  invoked: boolean; // asked for by the user (manual trigger, or cycling): the server adds alternatives
  changed: () => void; // wakes a provide() call waiting for news
  news: Promise<void>;
}

/** Client-side overhead samples in milliseconds. */
export class Stats {
  readonly samples: Record<string, number[]> = { send: [], drawResponse: [], drawProgress: [] };

  record(name: string, ms: number): void {
    const list = (this.samples[name] ??= []);
    list.push(ms);
    if (list.length > 1000) {
      list.shift();
    }
  }

  summary(): Record<string, { count: number; p50?: number; p95?: number }> {
    const out: Record<string, { count: number; p50?: number; p95?: number }> = {};
    for (const [name, list] of Object.entries(this.samples)) {
      const sorted = [...list].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.max(0, Math.ceil(sorted.length * q) - 1)];
      out[name] = { count: sorted.length, p50: at(0.5), p95: at(0.95) };
    }
    return out;
  }
}

const now = () => performance.now();

function sleep(ms: number, token: vscode.CancellationToken): Promise<boolean> {
  return new Promise((resolve) => {
    if (ms <= 0) {
      resolve(!token.isCancellationRequested);
      return;
    }
    const timer = setTimeout(() => {
      listener.dispose();
      resolve(!token.isCancellationRequested);
    }, ms);
    const listener = token.onCancellationRequested(() => {
      clearTimeout(timer);
      listener.dispose();
      resolve(false);
    });
  });
}

function toRange(range: LspRange): vscode.Range {
  return new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
}

/** The item VS Code will draw. It draws ghost text only where the item's range reaches the end of its
 * line (text after the cursor, such as the `)` it closed itself after `print(`, otherwise hides an item
 * that only inserts, and the user sees nothing), so the rest of the line joins the range and the text:
 * accepting it gives the same line, and VS Code shows only what is new. */
export function shownItem(
  document: Pick<vscode.TextDocument, "lineAt" | "lineCount">,
  text: string,
  range: LspRange | undefined,
): vscode.InlineCompletionItem {
  if (!range || range.end.line >= document.lineCount) {
    return new vscode.InlineCompletionItem(text, range ? toRange(range) : undefined);
  }
  const rest = document.lineAt(range.end.line).text.slice(range.end.character);
  if (rest === "" || range.start.line !== range.end.line) {
    return new vscode.InlineCompletionItem(text, toRange(range));
  }
  const end = { line: range.end.line, character: range.end.character + rest.length };
  return new vscode.InlineCompletionItem(text + rest, toRange({ start: range.start, end }));
}

function itemsOf(result: unknown): LspItem[] {
  if (Array.isArray(result)) {
    return result as LspItem[];
  }
  if (result && typeof result === "object" && Array.isArray((result as { items?: unknown }).items)) {
    return (result as { items: LspItem[] }).items;
  }
  return [];
}

export class InlineCompletions {
  enabled = true;
  /** Date.now() until which no suggestion is asked for (`daima: Snooze`); 0 when not snoozed. */
  snoozedUntil = 0;
  readonly stats = new Stats();
  private session: Session | undefined;
  private requeried = false; // the next ask is the one `requery` made

  constructor(
    private readonly client: RequestClient,
    readonly debounce: AdaptiveDebounce,
    private readonly isEnabledFor: (languageId: string) => boolean,
    private readonly requery: () => void = () => {
      void vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
    },
  ) {}

  /** Handles `daima/completionProgress`: keeps partial text that belongs to the live session. */
  onProgress(params: ProgressParams): void {
    const s = this.session;
    if (!s || !this.matches(s, params.uri, params.version, params.position) || s.final || params.done) {
      return;
    }
    if (params.text.trim() === "") return; // nothing to draw: it would stand in for the answer
    s.partial = params;
    s.partialAt = now();
    s.partialShown = false;
    s.changed();
  }

  /** The provider VS Code calls (through the language client's middleware). */
  async provide(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | null> {
    const called = now();
    if (!this.enabled || this.snoozed() || !this.isEnabledFor(document.languageId)) {
      return null;
    }
    const uri = document.uri.toString();
    const here = { line: position.line, character: position.character };
    let s = this.session;
    // Our own ask for newer text (after a partial answer) reaches us as Invoke too: that is not the user.
    const ours = this.requeried;
    this.requeried = false;
    const invoked = context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke && !ours;
    // VS Code asks again with Invoke when the user cycles past the only item shown: ask the server
    // for alternatives then, instead of answering from the automatic request's single item.
    const wantsMore = invoked && s !== undefined && !s.invoked && (s.final?.length ?? 0) < 2;
    if (!s || !this.matches(s, uri, document.version, here) || wantsMore) {
      const delay = invoked ? 0 : this.debounce.keystroke(called);
      if (!(await sleep(delay, token))) {
        return null;
      }
      s = this.start(uri, document.version, here, token, called + delay, invoked);
    }
    return this.answer(s, token, document);
  }

  private start(
    uri: string,
    version: number,
    position: LspPosition,
    token: vscode.CancellationToken,
    due: number,
    invoked = false,
  ): Session {
    let wake = () => {};
    const s: Session = {
      uri,
      version,
      position,
      invoked,
      changed: () => wake(),
      news: Promise.resolve(),
    };
    const renew = () => {
      s.news = new Promise<void>((resolve) => {
        wake = () => {
          resolve();
          renew();
        };
      });
    };
    renew();
    this.session = s;
    // LSP InlineCompletionTriggerKind: 1 invoked, 2 automatic.
    const params = { textDocument: { uri }, position, context: { triggerKind: invoked ? 1 : 2 } };
    const request = this.client.sendRequest("textDocument/inlineCompletion", params, token);
    this.stats.record("send", now() - due);
    request.then(
      (result) => {
        s.final = itemsOf(result);
        s.finalAt = now();
        s.changed();
      },
      () => {
        s.failed = true;
        s.changed();
      },
    );
    return s;
  }

  private async answer(
    s: Session,
    token: vscode.CancellationToken,
    document: vscode.TextDocument,
  ): Promise<vscode.InlineCompletionItem[] | null> {
    for (;;) {
      if (token.isCancellationRequested || this.session !== s || s.failed) {
        return null;
      }
      if (s.final) {
        const items = s.final.map((item) => this.toItem(document, item));
        this.stats.record("drawResponse", now() - (s.finalAt ?? now()));
        return items;
      }
      if (s.partial && !s.partialShown) {
        s.partialShown = true;
        const item = shownItem(document, s.partial.text, s.partial.range);
        this.stats.record("drawProgress", now() - (s.partialAt ?? now()));
        // Ask again when newer text (or the final answer) is there.
        void s.news.then(() => {
          if (this.session === s) {
            this.requeried = true;
            this.requery();
          }
        });
        return [item];
      }
      const cancelled = new Promise<void>((resolve) => token.onCancellationRequested(() => resolve()));
      await Promise.race([s.news, cancelled]);
    }
  }

  private toItem(document: vscode.TextDocument, item: LspItem): vscode.InlineCompletionItem {
    const text = typeof item.insertText === "string" ? item.insertText : item.insertText.value;
    const result = shownItem(document, text, item.range);
    result.command = { title: "daima: accepted", command: "daima.accepted" };
    return result;
  }

  private matches(s: Session, uri: string, version: number, position: LspPosition): boolean {
    return (
      s.uri === uri &&
      s.version === version &&
      s.position.line === position.line &&
      s.position.character === position.character
    );
  }

  snoozed(at: number = Date.now()): boolean {
    return at < this.snoozedUntil;
  }

  /** Forgets the live session (after accept, toggle or restart). */
  reset(): void {
    this.session = undefined;
  }
}
