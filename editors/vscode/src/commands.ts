// The user's commands beyond start/stop: manual trigger, snooze, per-language toggle, setup check.
import * as vscode from "vscode";
import type { InlineCompletions } from "./inline";
import type { DaimaStatus, StatusItem } from "./status";

const SNOOZE_CHOICES = [5, 15, 30, 60];
let snoozeTimer: ReturnType<typeof setTimeout> | undefined;

/** Suggestions pause for `minutes` (asked for with a quick pick when not given); 0 resumes them. */
export async function snooze(inline: InlineCompletions, status: StatusItem, minutes?: number): Promise<void> {
  if (minutes === undefined) {
    const choices = SNOOZE_CHOICES.map((m) => ({ label: `${m} minutes`, minutes: m }));
    if (inline.snoozed()) {
      choices.unshift({ label: "Resume now", minutes: 0 });
    }
    const picked = await vscode.window.showQuickPick(choices, { placeHolder: "Snooze daima's suggestions for" });
    if (!picked || typeof picked !== "object" || !("minutes" in picked)) {
      return;
    }
    minutes = picked.minutes;
  }
  const until = minutes > 0 ? Date.now() + minutes * 60_000 : 0;
  inline.snoozedUntil = until;
  inline.reset();
  status.setSnoozedUntil(until);
  clearTimeout(snoozeTimer);
  if (until) {
    // The status bar stops saying "snoozed" when the time is up (the timer keeps nothing alive).
    snoozeTimer = setTimeout(() => status.setSnoozedUntil(inline.snoozedUntil), until - Date.now() + 100);
    snoozeTimer.unref?.();
  }
}

/** Turns suggestions off for a language (the active editor's), or back on: the user setting
 * `daima.completion.disabledLanguages`, which the server also reads. Returns whether it is now off. */
export async function toggleLanguage(languageId?: string): Promise<boolean | undefined> {
  const language = languageId ?? vscode.window.activeTextEditor?.document.languageId;
  if (!language) {
    void vscode.window.showWarningMessage("daima: open a file first: the toggle applies to its language.");
    return undefined;
  }
  const config = vscode.workspace.getConfiguration("daima");
  const disabled = config.get<string[]>("completion.disabledLanguages", []) ?? [];
  const off = !disabled.includes(language);
  const next = off ? [...disabled, language] : disabled.filter((id) => id !== language);
  await config.update("completion.disabledLanguages", next, true); // true: the user's (global) settings
  void vscode.window.showInformationMessage(`daima: suggestions ${off ? "off" : "on"} for ${language}`);
  return off;
}

/** What the walkthrough's "check setup" step shows: how the server was started and what it says. */
export function describeSetup(command: string | undefined, status: DaimaStatus | undefined, error?: string): string {
  if (command === undefined) {
    return `daima's server is not running${error ? `: ${error}` : "."}`;
  }
  if (status === undefined) {
    return `daima's server (${command}) does not answer${error ? `: ${error}` : "."}`;
  }
  const model =
    status.model && status.state !== "disabled"
      ? `model ${status.model}${status.device ? ` on ${status.device}` : ""}`
      : "no model";
  const detail = status.message ? ` (${status.message})` : "";
  const advice =
    status.state === "ready"
      ? "Type in a file to see a suggestion."
      : status.state === "loading"
        ? "The model is loading (the first time it is downloaded); suggestions start when it is ready."
        : status.state === "disabled"
          ? "Suggestions come from the names in your files only; set daima.model.name for a model."
          : "See 'daima: Show Log'.";
  return `daima's server (${command}) is ${status.state}, ${model}${detail}. ${advice}`;
}
