// Loads the CLI's configuration: `--config FILE`, else `<workspace>/.ensemble/config.json`, else the
// defaults. Same keys as the extension's `ensemble.*` settings.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, resolveConfig, type EngineConfig } from '../core/config';
import { ENSEMBLE_DIR } from '../core/store/log';

export function loadConfig(workspace: string, file?: string): { config: EngineConfig; source: string } {
  const candidate = file ? path.resolve(file) : path.join(workspace, ENSEMBLE_DIR, 'config.json');
  if (!fs.existsSync(candidate)) {
    if (file) throw new ConfigError(`Config file ${candidate} does not exist.`);
    return { config: resolveConfig({}), source: 'defaults' };
  }
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(candidate, 'utf8'));
  } catch (e) {
    throw new ConfigError(`Config file ${candidate} is not valid JSON: ${(e as Error).message}`);
  }
  return { config: resolveConfig(json, candidate), source: candidate };
}
