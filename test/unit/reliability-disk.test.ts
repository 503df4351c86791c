// A workspace Ensemble cannot write to, and a report that cannot be written: the CLI says so plainly
// (exit 2 for the read-only workspace) and `ensemble report` still prints the report.
//
// Running as root ignores chmod, so there the read-only workspace is tried as the unprivileged user
// "nobody" (uid 65534), and the report's write is made to fail by putting a folder where report.md goes.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { sessionDir } from '../../src/core/store/log';
import { planStep, writesThenFinishes } from '../helpers/scripted';
import { run, tempWorkspace } from '../helpers/session';

const cli = path.resolve(__dirname, '..', '..', 'src', 'cli.ts');
const root = process.getuid?.() === 0;

function ensemble(args: string[], asNobody = false): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/_API_KEY$|_BASE_URL$/.test(k)));
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: path.resolve(__dirname, '..', '..'), ...(asNobody ? { uid: 65534, gid: 65534 } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('reliability: a disk that refuses writes', function () {
  this.timeout(60_000);

  it('a read-only workspace: exit 2, the message says it is read-only, nothing is created', async () => {
    const ws = tempWorkspace('ensemble-ro-');
    fs.writeFileSync(path.join(ws, 'index.js'), 'console.log(1);\n');
    // Keyless providers, so the run gets as far as opening its log (outside the workspace: it is read-only).
    const cfg = path.join(tempWorkspace('ensemble-ro-cfg-'), 'config.json');
    fs.writeFileSync(cfg, JSON.stringify({ orchestrator: { provider: 'local', model: 'm' }, roles: { dev: { provider: 'local', model: 'm' } }, providers: { local: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' } }, validation: { runTests: 'never' } }));
    fs.chmodSync(path.dirname(cfg), 0o755);
    fs.chmodSync(cfg, 0o644);
    fs.chmodSync(ws, 0o555);
    try {
      const r = await ensemble(['run', '--goal', 'anything', '--workspace', ws, '--config', cfg], root);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /read-only/);
      assert.doesNotMatch(r.stderr, /ENOENT|at .*\.ts:\d+/, 'no raw error or stack trace');
      assert.deepEqual(fs.readdirSync(ws), ['index.js']);
    } finally {
      fs.chmodSync(ws, 0o755);
    }
  });

  it('ensemble report prints the report when it cannot write it, and says so (exit 1)', async () => {
    const r = run('report on a full disk', { orch: () => planStep([{ id: 't', role: 'a' }]), p1: writesThenFinishes({ 'a.txt': 'a' }), p2: () => ({ hang: true }) });
    await r.handle.done;
    const dir = sessionDir(r.workspace, r.handle.sessionId);
    // What ENOSPC/EROFS do to the write, in a way that fails even for root: report.md is a folder now.
    fs.rmSync(path.join(dir, 'report.md'));
    fs.mkdirSync(path.join(dir, 'report.md'));
    const out = await ensemble(['report', dir]);
    assert.equal(out.code, 1, out.stderr);
    assert.match(out.stdout, /^# Ensemble session report/m);
    assert.match(out.stdout, /a\.txt/);
    assert.match(out.stderr, /could not be written/);
    const json = await ensemble(['report', dir, '--json']);
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).sessionId, r.handle.sessionId);
  });
});
