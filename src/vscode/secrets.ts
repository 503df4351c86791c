// API keys: stored in SecretStorage (never in settings, the log or the report), read back through a
// KeySource that falls back to the provider's environment variable so that CI, containers and
// end-to-end runs work unattended.
import * as vscode from 'vscode';
import { Redactor, secretsInEnv } from '../core/redact';
import type { KeySource } from '../node/providers';
import type { McpInput } from '../core/mcp-config';

const PREFIX = 'ensemble.apiKey.';

// Every key this extension host has stored or read from SecretStorage (a cleared key stays: it may
// still be quoted by an error of the session that used it). Sessions get their keys through
// Resolver.secrets(); this set redacts what the editor itself shows or writes (error messages, a
// report folded on demand).
const handled = new Set<string>();

/** Redacts every key this window handled, the environment's secrets and key shapes: for what the editor shows or writes itself. */
export function windowRedactor(env: NodeJS.ProcessEnv = process.env): Redactor {
  return new Redactor([...handled, ...secretsInEnv(env)]);
}

export const secretKeyName = (providerId: string): string => `${PREFIX}${providerId}`;

export class ApiKeys implements vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<string>();
  /** Fires with the provider id whose stored key was set or cleared (also from another window). */
  readonly onDidChange = this._onDidChange.event;
  private readonly subscription: vscode.Disposable;

  /** The window's redactor (every key handled here, the environment's secrets, key shapes): what editor messages and the Output channel go through. */
  redactor(env: NodeJS.ProcessEnv = process.env): Redactor {
    return windowRedactor(env);
  }

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.subscription = secrets.onDidChange((e) => {
      if (e.key.startsWith(PREFIX)) this._onDidChange.fire(e.key.slice(PREFIX.length));
    });
  }

  async stored(providerId: string): Promise<string | undefined> {
    const key = (await this.secrets.get(secretKeyName(providerId)))?.trim() || undefined;
    if (key) handled.add(key);
    return key;
  }

  async set(providerId: string, key: string): Promise<void> {
    const value = key.trim();
    if (!value) throw new Error('An API key cannot be empty.');
    handled.add(value);
    await this.secrets.store(secretKeyName(providerId), value);
  }

  async clear(providerId: string): Promise<void> {
    await this.secrets.delete(secretKeyName(providerId));
  }

  /** A KeySource for these providers: SecretStorage first, then the environment variable. */
  async keySource(providerIds: readonly string[]): Promise<KeySource> {
    const loaded = new Map<string, string>();
    for (const id of new Set(providerIds)) {
      const k = await this.stored(id);
      if (k) loaded.set(id, k);
    }
    return {
      key: (id, envVar) => loaded.get(id) ?? (envVar ? this.env[envVar]?.trim() || undefined : undefined),
    };
  }

  /**
   * An `${input:ID}` of an MCP server's configuration: asked once (a password box unless the input says
   * `password: false`), then kept in SecretStorage; undefined when the user dismisses the question.
   */
  async mcpInput(input: McpInput): Promise<string | undefined> {
    const name = `ensemble.mcpInput.${input.id}`;
    let value = (await this.secrets.get(name))?.trim() || undefined;
    if (!value) {
      value =
        (
          await vscode.window.showInputBox({
            title: `Ensemble: MCP input "${input.id}"`,
            prompt: `${input.description ?? `The value of \${input:${input.id}} in your MCP configuration`} (kept in VS Code's secret storage)`,
            password: input.password !== false,
            ignoreFocusOut: true,
          })
        )?.trim() || undefined;
      if (value) await this.secrets.store(name, value);
    }
    if (value) handled.add(value);
    return value;
  }

  dispose(): void {
    this.subscription.dispose();
    this._onDidChange.dispose();
  }
}
