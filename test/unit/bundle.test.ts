// The bundles as they ship load and work: bundling can break what the sources under tsx do not (a
// dependency's UMD build whose requires esbuild cannot see), and activating the extension must not load
// what only a session needs (issue 26: ~150 ms of SDKs parsed before any session existed).

import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempWorkspace } from '../helpers/tmp';

const root = path.resolve(__dirname, '..', '..');

describe('bundle', function () {
  this.timeout(120_000);
  let out: string;

  before(() => {
    out = tempWorkspace('ensemble-bundle-');
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--out', out], { cwd: root, stdio: 'pipe' });
  });

  it('the built CLI starts, and names a plan file\'s problems with their lines', () => {
    const cli = path.join(out, 'cli.js');
    const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /ensemble plan --goal TEXT/);
    const ws = tempWorkspace();
    const plan = path.join(ws, 'bad.json');
    fs.writeFileSync(plan, '{\n  "rationale": "x",\n  "tasks": [\n    { id: "a" }\n  ]\n}\n');
    const bad = spawnSync(process.execPath, [cli, 'run', '--plan', plan, '--workspace', ws], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /bad\.json:4:\d+: Not valid JSON/);
  });

  it('activating the extension loads dist/extension.js alone: the engine and the SDKs are in dist/runtime.js, required when a session starts', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'activation.js'), path.join(out, 'extension.js')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const probe = JSON.parse(r.stdout) as { loaded: string[] };
    assert.deepEqual(probe.loaded, ['extension.js']);
    const extension = fs.readFileSync(path.join(out, 'extension.js'), 'utf8');
    const runtime = fs.readFileSync(path.join(out, 'runtime.js'), 'utf8');
    // What each SDK sends to its API, and the engine's own words: in the runtime, never in what activation loads.
    for (const marker of ['api.openai.com', 'api.anthropic.com', 'generativelanguage.googleapis.com', 'ZodError', 'ended the answer without finishing it']) {
      assert.ok(!extension.includes(marker), `dist/extension.js holds ${marker}`);
      assert.ok(runtime.includes(marker), `dist/runtime.js lacks ${marker}`);
    }
    assert.match(extension, /require\("\.\/runtime\.js"\)/);
    // Each file of dist/ the bundles require goes into the .vsix (an allow-list).
    const allowed = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n');
    for (const f of new Set([...`${extension}${runtime}`.matchAll(/require\("\.\/([\w-]+\.js)"\)/g)].map((m) => m[1]!))) assert.ok(allowed.includes(`!dist/${f}`), `.vscodeignore leaves out dist/${f}`);
  });
});
