// The status bar item: model loading / ready (with the last latency) / error / off.
import * as vscode from "vscode";

export interface DaimaStatus {
  state: "loading" | "ready" | "error" | "disabled" | "stopped" | "starting";
  model?: string;
  device?: string;
  message?: string;
  lastLatencyMs?: number | null;
  /** With "error": what failed, the model's load or a request to a loaded model. */
  failed?: "load" | "request" | "";
}

const ICONS: Record<DaimaStatus["state"], string> = {
  starting: "$(loading~spin)",
  loading: "$(loading~spin)",
  ready: "$(sparkle)",
  disabled: "$(symbol-text)",
  error: "$(error)",
  stopped: "$(debug-stop)",
};

export class StatusItem {
  readonly item: vscode.StatusBarItem;
  last: DaimaStatus = { state: "starting" };
  enabled = true;
  snoozedUntil = 0; // Date.now() until which suggestions are snoozed

  constructor() {
    this.item = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
    this.item.command = "daima.showLog";
    this.update(this.last);
    this.item.show();
  }

  /** Shows `status` (as sent in `daima/status`). */
  update(status: DaimaStatus): void {
    this.last = status;
    const latency = status.lastLatencyMs != null ? ` ${Math.round(status.lastLatencyMs)} ms` : "";
    const what =
      status.state === "ready"
        ? `${status.model ?? ""}${latency}`
        : status.state === "disabled"
          ? "no model"
          : status.state === "loading" && status.message
            ? `loading: ${short(status.message)}` // the step: downloading, converting, loading the weights
            : status.state;
    const snoozed = Date.now() < this.snoozedUntil ? ` (snoozed until ${clock(this.snoozedUntil)})` : "";
    const off = this.enabled ? snoozed : " (off)";
    this.item.text = `${ICONS[status.state] ?? ""} daima${off}: ${what}`.trim();
    this.item.tooltip = [
      `daima: ${status.state}`,
      status.model ? `model: ${status.model}` : "",
      status.device ? `device: ${status.device}` : "",
      status.message ?? "",
      "Click to show the log.",
    ]
      .filter(Boolean)
      .join("\n");
    this.item.backgroundColor =
      status.state === "error" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.update(this.last);
  }

  setSnoozedUntil(until: number): void {
    this.snoozedUntil = until;
    this.update(this.last);
  }

  dispose(): void {
    this.item.dispose();
  }
}

/** The one message a model that cannot load deserves: once per distinct error, not at every status the
 * server sends (a status bar alone is easy to miss; a message per status would be a flood). A model that
 * became ready and then fails again is told again. */
export class LoadErrorNotice {
  private told: string | undefined;

  /** The message to show for `status`, or undefined (not an error, or this error was told). */
  next(status: DaimaStatus): string | undefined {
    if (status.state === "ready") this.told = undefined;
    if (status.state !== "error" || (status.message ?? "") === this.told) return undefined;
    this.told = status.message ?? "";
    const advice =
      status.failed === "request"
        ? "Check the model server (`daima.model.remoteUrl`)"
        : "Check `daima.model.name` in the settings";
    return `daima: ${this.told || "the model could not be loaded"}. ${advice}; the log has the details.`;
  }
}

/** A status message cut to fit a status bar (the tooltip has it whole). */
function short(message: string, width = 40): string {
  return message.length <= width ? message : `${message.slice(0, width - 1)}…`;
}

function clock(at: number): string {
  const time = new Date(at);
  return `${String(time.getHours()).padStart(2, "0")}:${String(time.getMinutes()).padStart(2, "0")}`;
}
