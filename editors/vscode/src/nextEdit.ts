// Next-edit suggestions: once the user pauses after a change, daima/nextEdit proposes the related
// edits elsewhere in the document (a rename's other identifiers, a new parameter's calls). They are
// drawn as decorations (the old text struck through, the new text after it), and `daima.nextEdit`
// (Alt+J while some are shown) moves the cursor to the next one and, with the cursor on it, applies
// it; the server then proposes what remains (it takes the applied edit as the user's). After a rename
// of a module-level name the server names the files that import it: with nothing left here, the
// command opens the next of them, where the same rename is proposed.
import * as vscode from "vscode";

export interface ProposedEdit {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  newText: string;
  reason: string;
}

export interface NextEditAnswer {
  uri: string;
  version: number | null;
  kind: string | null;
  edits: ProposedEdit[];
  otherFiles?: string[];
}

/** The parts of a VS Code text editor next-edit uses (the tests pass their own). */
export interface EditorLike {
  document: vscode.TextDocument;
  selection: { active: vscode.Position };
  setDecorations(type: vscode.TextEditorDecorationType, ranges: vscode.Range[] | vscode.DecorationOptions[]): void;
  edit(change: (builder: { replace(range: vscode.Range, text: string): void }) => void): Thenable<boolean>;
  revealRange(range: vscode.Range): void;
}

export const VISIBLE_CONTEXT = "daima.nextEditVisible";

export class NextEdits {
  enabled = true;
  private shown: { editor: EditorLike; uri: string; version: number; edits: ProposedEdit[] } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly otherFiles = new Map<string, string[]>(); // document uri -> files needing the rename
  private readonly struck: vscode.TextEditorDecorationType;
  private readonly added: vscode.TextEditorDecorationType;

  constructor(
    private readonly client: { sendRequest(method: string, params: unknown): Promise<unknown> },
    private readonly delayMs = 300,
  ) {
    this.struck = vscode.window.createTextEditorDecorationType({ textDecoration: "line-through", opacity: "0.6" });
    this.added = vscode.window.createTextEditorDecorationType({
      after: { color: new vscode.ThemeColor("editorGhostText.foreground"), fontStyle: "italic" },
    });
  }

  /** The proposals shown for `editor`'s document as it is now, or undefined. */
  proposals(editor: EditorLike): ProposedEdit[] | undefined {
    const shown = this.shown;
    if (!shown || shown.uri !== editor.document.uri.toString() || shown.version !== editor.document.version) {
      return undefined;
    }
    return shown.edits;
  }

  /** A change to `editor`'s document: what was shown is stale; ask again once the user pauses. */
  changed(editor: EditorLike): void {
    this.clear();
    clearTimeout(this.timer);
    if (!this.enabled) return;
    this.timer = setTimeout(() => void this.request(editor), this.delayMs);
    this.timer.unref?.();
  }

  async request(editor: EditorLike): Promise<void> {
    const document = editor.document;
    const version = document.version;
    let answer: NextEditAnswer | undefined;
    try {
      answer = (await this.client.sendRequest("daima/nextEdit", {
        textDocument: { uri: document.uri.toString(), version },
        position: { line: editor.selection.active.line, character: editor.selection.active.character },
      })) as NextEditAnswer;
    } catch {
      return; // the server is not running or restarted: nothing to show
    }
    if (answer?.otherFiles?.length) {
      this.otherFiles.set(document.uri.toString(), [...answer.otherFiles]);
      void vscode.commands.executeCommand("setContext", VISIBLE_CONTEXT, true);
    }
    if (!answer || answer.version !== document.version || !answer.edits?.length) {
      return;
    }
    this.shown = { editor, uri: document.uri.toString(), version, edits: answer.edits };
    editor.setDecorations(this.struck, answer.edits.map((edit) => toRange(edit)).filter((r) => !r.isEmpty));
    editor.setDecorations(
      this.added,
      answer.edits.map((edit) => ({
        range: new vscode.Range(toRange(edit).end, toRange(edit).end),
        renderOptions: { after: { contentText: edit.newText.split("\n")[0] } },
        hoverMessage: `daima: ${edit.reason} (Alt+J)`,
      })),
    );
    void vscode.commands.executeCommand("setContext", VISIBLE_CONTEXT, true);
  }

  clear(): void {
    const shown = this.shown;
    this.shown = undefined;
    if (shown) {
      shown.editor.setDecorations(this.struck, []);
      shown.editor.setDecorations(this.added, []);
      void vscode.commands.executeCommand("setContext", VISIBLE_CONTEXT, false);
    }
  }

  /** With the cursor on a proposal: applies it. Otherwise moves the cursor to the next proposal after
   * it, or the first. False when none is shown. */
  async jumpOrApply(editor: EditorLike): Promise<boolean> {
    const edits = this.proposals(editor);
    if (!edits) {
      const next = this.otherFiles.get(editor.document.uri.toString())?.shift();
      if (next === undefined) return false;
      await vscode.window.showTextDocument(vscode.Uri.parse(next));
      return true;
    }
    const cursor = editor.selection.active;
    const sorted = [...edits].sort((a, b) => toRange(a).start.compareTo(toRange(b).start));
    const under = sorted.find((edit) => toRange(edit).start.line === cursor.line && toRange(edit).contains(cursor));
    if (under) {
      this.clear();
      await editor.edit((builder) => builder.replace(toRange(under), under.newText));
      return true;
    }
    const target = sorted.find((edit) => toRange(edit).start.isAfter(cursor)) ?? sorted[0];
    const at = toRange(target).start;
    (editor as { selection: unknown }).selection = new vscode.Selection(at, at);
    editor.revealRange(toRange(target));
    return true;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.clear();
    this.struck.dispose();
    this.added.dispose();
  }
}

function toRange(edit: ProposedEdit): vscode.Range {
  const { start, end } = edit.range;
  return new vscode.Range(start.line, start.character, end.line, end.character);
}
