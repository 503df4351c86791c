// The engine's configuration and provider resolver for a real session: the settings, the keys from
// SecretStorage (then the environment), and `*_BASE_URL` environment overrides (buildResolver).
import * as vscode from 'vscode';
import { buildResolver } from '../node/providers';
import type { Engine } from './preflight';
import type { ApiKeys } from './secrets';
import { readSettings } from './settings';

export async function loadEngine(keys: ApiKeys, scope?: vscode.ConfigurationScope): Promise<Engine> {
  const config = readSettings(scope);
  const source = await keys.keySource(Object.keys(config.providers));
  return { config, resolver: buildResolver(config, source, process.env) };
}
