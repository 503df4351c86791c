#!/usr/bin/env node
// Run Ensemble's extension-host mocha suite inside a REAL VS Code (the VS Code server from the
// code-server npm package + headless Debian Chromium), the way @vscode/test-electron would on a
// desktop. Needs: test/e2e/setup.sh done, `npm run build` done (dist/extension.js) and the suite
// built (out/test/suite/index.js). Until that suite exists, test/e2e/smoke-suite/ is used.
//
//   node test/e2e/run-extension-tests.mjs [--suite <dir|index.js>] [--workspace <dir>] [--trust]
//                                         [--env KEY=VALUE]... [--timeout <ms>]
// The process environment is passed to the server too, so `OPENAI_BASE_URL=… node …` reaches the
// extension host. Exit code: the suite's (0 = passed); 2 = infrastructure error or timeout.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, HERE, log, runExtensionTests, stop } from './server.mjs';

const { values } = parseArgs({
  options: {
    suite: { type: 'string' },
    workspace: { type: 'string' },
    trust: { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
    timeout: { type: 'string' },
  },
});

const REAL_SUITE = path.join(ROOT, 'out/test/suite/index.js');
const SMOKE_SUITE = path.join(HERE, 'smoke-suite/index.js');

async function main() {
  const started = Date.now();
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const main = path.join(ROOT, manifest.main || 'dist/extension.js');
  if (!fs.existsSync(main)) throw new Error(`${path.relative(ROOT, main)} not found: run \`npm run build\` first`);

  let suite = values.suite ? path.resolve(values.suite) : fs.existsSync(REAL_SUITE) ? REAL_SUITE : SMOKE_SUITE;
  if (fs.existsSync(suite) && fs.statSync(suite).isDirectory()) suite = path.join(suite, 'index.js');
  if (!fs.existsSync(suite)) throw new Error(`suite ${suite} not found`);
  if (suite === SMOKE_SUITE) log(`${path.relative(ROOT, REAL_SUITE)} not built yet: running the smoke suite ${path.relative(ROOT, SMOKE_SUITE)}`);

  const env = { ENSEMBLE_E2E_PROBE: 'reached-extension-host' };
  for (const kv of values.env) {
    const i = kv.indexOf('=');
    if (i < 1) throw new Error(`--env expects KEY=VALUE, got ${kv}`);
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const workspace = values.workspace ? path.resolve(values.workspace) : undefined;
  // mocha may colour its output; keep escapes off a non-terminal (CI logs, grep for "N passing")
  const plain = !process.stdout.isTTY || !!process.env.NO_COLOR;
  const counts = { passing: 0, failing: 0, pending: 0 };
  const print = (text) => {
    const line = plain ? text.replace(/\x1b\[[0-9;]*m/g, '') : text;
    for (const m of line.replace(/\x1b\[[0-9;]*m/g, '').matchAll(/^\s*(\d+) (passing|failing|pending)\b/gm)) counts[m[2]] = Number(m[1]);
    console.log(line);
  };
  const code = await runExtensionTests({
    print,
    extensionPath: ROOT,
    // Ensemble's suites drive the scripted language models of a test-only extension (VS Code's LM API), installed next to it.
    installed: suite === SMOKE_SUITE ? [] : [path.join(ROOT, 'test/vscode/lm-provider')],
    testsPath: path.basename(suite) === 'index.js' ? path.dirname(suite) : suite,
    folder: workspace,
    env,
    trust: values.trust,
    ...(values.timeout ? { timeout: Number(values.timeout) } : {}),
  });
  log(`extension-host tests exit code ${code} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  console.log(`e2e extension-host: ${counts.passing} passed, ${counts.failing} failed, ${counts.pending} pending`);
  return code;
}

main().then(
  async (code) => { await stop(); process.exit(code); },
  async (e) => {
    console.error(`\nE2E EXTENSION TESTS FAILED TO RUN: ${e && e.stack || e}`);
    await stop();
    process.exit(2);
  },
);
