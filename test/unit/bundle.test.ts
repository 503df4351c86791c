// The bundled command line (what `npm run demo` and users run) loads and works: bundling can break what
// the sources under tsx do not (a dependency's UMD build whose requires esbuild cannot see).

import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempWorkspace } from '../helpers/tmp';

const root = path.resolve(__dirname, '..', '..');

describe('bundle', () => {
  it('the built CLI starts, and names a plan file\'s problems with their lines', function () {
    this.timeout(120_000);
    const out = tempWorkspace('ensemble-bundle-');
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--out', out], { cwd: root, stdio: 'pipe' });
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
});
