// The extension-host test suite, bundled by `npm run build:test` into out/test/suite/index.js.
// Two ways in:
// - any runner (e.g. a VS Code server in CI): extensionTestsPath = out/test/suite/index.js, then
//   `run()` creates mocha, registers the suites and runs them;
// - @vscode/test-cli (`npm run test:vscode`): its own mocha loads this file as a test file, with its
//   globals already defined, so the suites register at load.
import Mocha from 'mocha';
import { registerCandidateTests } from './candidates.test';
import { registerCommandTests } from './commands.test';
import { registerDirtyTests } from './dirty.test';
import { registerKeyTests } from './keys.test';
import { registerLmTests } from './lm.test';
import { registerPlanTests } from './plan.test';
import { registerResumeTests } from './resume.test';
import { registerRunCommandTests } from './runCommand.test';
import { registerSecretTests } from './secrets.test';
import { registerSessionTests } from './session.test';
import { registerSteeringTests } from './steering.test';

let registered = false;

function registerAll(): void {
  if (registered) return;
  registered = true;
  registerCommandTests();
  registerKeyTests();
  registerSessionTests();
  registerResumeTests();
  registerSecretTests();
  registerDirtyTests();
  registerPlanTests();
  registerRunCommandTests();
  registerSteeringTests();
  registerLmTests();
  registerCandidateTests();
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: true, timeout: 120_000, reporter: process.env.ENSEMBLE_TEST_REPORTER || 'spec' });
  mocha.suite.emit('pre-require', globalThis, 'out/test/suite/index.js', mocha);
  registerAll();
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} extension-host test${failures === 1 ? '' : 's'} failed.`)) : resolve()));
  });
}

// Loaded by @vscode/test-cli's runner (it sets VSCODE_TEST_OPTIONS and mocha's globals first).
if (process.env.VSCODE_TEST_OPTIONS && typeof (globalThis as { describe?: unknown }).describe === 'function') registerAll();
