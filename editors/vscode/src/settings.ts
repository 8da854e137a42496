// Reads the `daima.*` settings into daima's options (the camelCase JSON of daima/config.py).
import * as vscode from "vscode";

/** Options sections and the settings that mirror them; the names are daima/config.py's. */
export const OPTION_KEYS: Record<string, readonly string[]> = {
  model: ["name", "device", "dtype", "quantize", "remoteUrl", "remoteModel", "remoteApiKeyEnv", "remoteTimeoutMs", "contextTokens"],
  completion: ["enabled", "maxTokens", "maxLines", "maxTimeMs", "debounceMs", "disabledLanguages", "englishReading"],
  index: ["enabled", "exclude", "watch", "encodings"],
};

export type DaimaOptions = Record<string, unknown>;

/** The options to send as initializationOptions and in didChangeConfiguration (`settings.daima`). */
export function readOptions(config: vscode.WorkspaceConfiguration = vscode.workspace.getConfiguration("daima")) {
  const options: DaimaOptions = {};
  for (const [section, keys] of Object.entries(OPTION_KEYS)) {
    const values: Record<string, unknown> = {};
    for (const key of keys) {
      const value = config.get(`${section}.${key}`);
      if (value !== undefined && value !== null) {
        values[key] = value;
      }
    }
    options[section] = values;
  }
  const logLevel = config.get("logLevel");
  if (logLevel !== undefined) {
    options.logLevel = logLevel;
  }
  return options;
}

/** How to start the server, from the settings that say so. */
export interface ServerSettings {
  path: string;
  interpreter: string;
  args: string[];
}

export function readServerSettings(
  config: vscode.WorkspaceConfiguration = vscode.workspace.getConfiguration("daima"),
): ServerSettings {
  return {
    path: config.get<string>("server.path", ""),
    interpreter: config.get<string>("server.interpreter", ""),
    args: config.get<string[]>("server.args", ["serve"]),
  };
}

/** Whether suggestions are on for `languageId` (`daima.completion.enabled` is language-overridable). */
export function enabledFor(languageId: string): boolean {
  const config = vscode.workspace.getConfiguration("daima", { languageId });
  const disabled = config.get<string[]>("completion.disabledLanguages", []);
  return config.get<boolean>("completion.enabled", true) && !disabled.includes(languageId);
}
