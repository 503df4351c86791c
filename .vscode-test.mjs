// `npm run test:vscode`: the extension-host suite (bundled to out/test/suite/index.js by
// `npm run build:test`) in a desktop VS Code downloaded by @vscode/test-electron. Other runners (a
// VS Code server in CI) load the same bundle through extensionTestsPath and call its `run()`.
import { defineConfig } from '@vscode/test-cli';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// A fresh, empty folder as the workspace: sessions, keys and settings never touch the repository.
const workspaceFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-vscode-test-'));

export default defineConfig({
  label: 'extension-host',
  files: 'out/test/suite/index.js',
  workspaceFolder,
  // Ensemble, and the test-only extension whose scripted language models the suite drives (test/vscode/lm-provider).
  extensionDevelopmentPath: [path.resolve('.'), path.resolve('test/vscode/lm-provider')],
  // Ensemble does not run in Restricted Mode; the test workspace must be trusted.
  launchArgs: ['--disable-workspace-trust', '--disable-extensions'],
  mocha: { ui: 'bdd', timeout: 120000 },
});
