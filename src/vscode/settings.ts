// The `ensemble.*` settings → the engine's configuration, through the engine's own validation
// (resolveConfig). A setting that is set replaces the default as a whole (a user's `ensemble.roles`
// is the complete set of roles), and a bad one is reported by its full setting name.
import * as vscode from 'vscode';
import { configSchema, resolveConfig, type EngineConfig } from '../core/config';

/** The settings read, by their name under `ensemble.`: a dotted name is a field of the config key before the dot. */
export const SETTINGS = [
  'orchestrator',
  'roles',
  'providers',
  'maxConcurrency',
  'budgetUsd',
  'pricing',
  'retry',
  'maxTurns',
  'maxOutputTokens',
  'validation.runTests',
  'validation.timeoutMs',
  'planApproval',
  'bestOf',
  'candidateApproval',
  'commands',
  'mcpServers',
  'mcp',
] as const;
export type SettingName = (typeof SETTINGS)[number];

export class SettingsError extends Error {
  constructor(
    message: string,
    /** The full setting id (e.g. `ensemble.roles`), when one setting is at fault. */
    readonly setting?: string,
  ) {
    super(message);
    this.name = 'SettingsError';
  }
}

type ConfigKey = keyof typeof configSchema.shape;

/** Builds the engine config from setting values (undefined: not set). Pure: testable without VS Code. */
export function configFromSettings(values: Partial<Record<SettingName, unknown>>): EngineConfig {
  const user: Record<string, unknown> = {};
  for (const name of SETTINGS) {
    const value = values[name];
    if (value === undefined || value === null) continue;
    const [key, field] = name.split('.') as [ConfigKey, string | undefined];
    user[key] = field ? { ...(user[key] as object | undefined), [field]: value } : value;
  }
  for (const [key, candidate] of Object.entries(user)) {
    const check = configSchema.shape[key as ConfigKey].safeParse(candidate);
    if (check.success) continue;
    const first = check.error.issues[0]!;
    const nested = SETTINGS.includes(`${key}.${String(first.path[0])}` as SettingName);
    const setting = nested ? `${key}.${String(first.path[0])}` : key;
    const issues = check.error.issues.map((i) => `${(nested ? i.path.slice(1) : i.path).join('.') || 'value'}: ${i.message}`).join('; ');
    throw new SettingsError(`The setting ensemble.${setting} is invalid (${issues}).`, `ensemble.${setting}`);
  }
  // In the editor the plan waits for approval unless the user says otherwise (the engine's default is `auto`, for the CLI).
  user.planApproval ??= 'ask';
  try {
    return resolveConfig(user, 'Ensemble settings');
  } catch (e) {
    const m = (e as Error).message;
    const named = /^Invalid Ensemble settings: (orchestrator|roles|providers)\b/.exec(m);
    throw new SettingsError(named ? m.replace(`: ${named[1]}`, `: ensemble.${named[1]}`) : m, named ? `ensemble.${named[1]}` : undefined);
  }
}

/** The most specific value the user set (folder, workspace, user), ignoring the defaults. */
function userValue(section: vscode.WorkspaceConfiguration, name: string): unknown {
  const i = section.inspect(name);
  return i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
}

/** Whether the user set `ensemble.<name>` anywhere (folder, workspace, user), rather than leaving the default. */
export function isUserSet(name: SettingName, scope?: vscode.ConfigurationScope): boolean {
  const value = userValue(vscode.workspace.getConfiguration('ensemble', scope), name);
  return value !== undefined && value !== null;
}

export function readSettings(scope?: vscode.ConfigurationScope): EngineConfig {
  const section = vscode.workspace.getConfiguration('ensemble', scope);
  const values: Partial<Record<SettingName, unknown>> = {};
  for (const name of SETTINGS) values[name] = userValue(section, name);
  return configFromSettings(values);
}

/** Shows a settings error with a button that opens the faulty setting. */
export async function showSettingsError(e: SettingsError): Promise<void> {
  const choice = await vscode.window.showErrorMessage(e.message, 'Open Settings');
  if (choice) await vscode.commands.executeCommand('workbench.action.openSettings', e.setting ?? '@ext:ensemble-dev.ensemble');
}
