// Ensemble: Set API Key / Clear API Key. Keys go to SecretStorage only.
import * as vscode from 'vscode';
import { output } from './output';
import type { EngineConfig } from '../core/config';
import { COMMANDS } from '../protocol';
import { registerGuarded } from './guard';
import type { ApiKeys } from './secrets';
import { runtime } from './lazy';

function configOrDefault(): EngineConfig {
  try {
    return runtime().readSettings();
  } catch (e) {
    output.warn('The Ensemble settings are invalid; listing the default providers', e);
    return runtime().defaultConfig();
  }
}

/** Providers that take a key, with where their key comes from now. */
async function keyedProviders(keys: ApiKeys): Promise<{ id: string; envVar: string; stored: boolean; inEnv: boolean }[]> {
  const out = [];
  for (const [id, p] of Object.entries(configOrDefault().providers)) {
    const envVar = runtime().keyEnvVar(id, p);
    if (!envVar) continue; // a local OpenAI-compatible endpoint needs no key
    out.push({ id, envVar, stored: !!(await keys.stored(id)), inEnv: !!process.env[envVar]?.trim() });
  }
  return out;
}

/** Asks for a provider's key and stores it; returns whether one was stored. */
export async function promptForKey(keys: ApiKeys, providerId?: string): Promise<boolean> {
  let id = providerId;
  if (!id) {
    const providers = await keyedProviders(keys);
    const pick = await vscode.window.showQuickPick(
      providers.map((p) => ({ label: p.id, description: p.stored ? 'key stored' : p.inEnv ? `from $${p.envVar}` : 'no key', id: p.id })),
      { title: 'Ensemble: Set API Key', placeHolder: 'Which provider?' },
    );
    id = pick?.id;
  }
  if (!id) return false;
  const key = await vscode.window.showInputBox({
    title: `Ensemble: ${id} API Key`,
    prompt: `The API key for "${id}". It is kept in VS Code's secret storage, never in settings, logs or reports.`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : 'Enter a key (or press Escape to cancel).'),
  });
  if (!key?.trim()) return false;
  await keys.set(id, key);
  vscode.window.setStatusBarMessage(`Ensemble: the ${id} key was stored.`, 4000);
  return true;
}

export function registerKeyCommands(keys: ApiKeys): vscode.Disposable[] {
  return [
    registerGuarded(COMMANDS.setApiKey, 'set an API key', (arg) => promptForKey(keys, typeof arg === 'string' ? arg : undefined)),
    registerGuarded(COMMANDS.clearApiKey, 'clear an API key', async () => {
      const stored = (await keyedProviders(keys)).filter((p) => p.stored);
      if (!stored.length) return void vscode.window.showInformationMessage('Ensemble: no API key is stored.');
      const pick = await vscode.window.showQuickPick(
        stored.map((p) => ({ label: p.id, description: p.inEnv ? `$${p.envVar} is also set and will be used` : undefined, id: p.id })),
        { title: 'Ensemble: Clear API Key', placeHolder: 'Forget the stored key of which provider?' },
      );
      if (!pick) return;
      await keys.clear(pick.id);
      void vscode.window.showInformationMessage(`Ensemble: the stored ${pick.id} key was removed.`);
    }),
  ];
}
