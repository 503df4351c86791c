// Ensemble: Choose Models, registered when the extension activates; what it does (chooseModels.ts: the
// models VS Code offers, the settings it writes) is the session runtime's, required when it first runs.
import type * as vscode from 'vscode';
import { COMMANDS } from '../protocol';
import { registerGuarded } from './guard';
import { runtime } from './lazy';
import type { ModelChoices } from './chooseModels';
import type { ApiKeys } from './secrets';

export function registerModelCommands(keys: ApiKeys): vscode.Disposable {
  return registerGuarded(COMMANDS.chooseModels, 'choose models', (choices?: unknown) =>
    runtime().chooseModels(keys, choices && typeof choices === 'object' ? (choices as ModelChoices) : undefined),
  );
}
