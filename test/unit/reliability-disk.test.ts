// A workspace Ensemble cannot write to, a report that cannot be written, and a disk that fills up
// during a session: the CLI says so plainly (exit 2 for the read-only workspace, 3 for a full disk,
// naming the disk and the folder) and `ensemble report` still prints the report.
//
// Running as root ignores chmod, so there the read-only workspace is tried as the unprivileged user
// "nobody" (uid 65534), and the report's write is made to fail by putting a folder where report.md goes.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { sessionDir } from '../../src/core/store/log';
import { startFakeServer } from '../../src/fakes';
import type { FakeServer } from '../../src/fakes/script';
import { planStep, writesThenFinishes } from '../helpers/scripted';
import { run, tempWorkspace } from '../helpers/session';
import { ensemble as cliRun } from '../helpers/cli';

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

/**
 * A real full disk: a small tmpfs mounted for the test (root only; CI runs as root). Elsewhere these
 * tests are skipped, and test/unit/reliability-paths.test.ts tries the same through a file store that
 * answers ENOSPC.
 */
function smallDisk(bytes: number): string | undefined {
  if (!root || process.platform !== 'linux') return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-small-disk-'));
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]).status === 0) return dir;
  fs.rmdirSync(dir);
  return undefined;
}

/** Fills the filesystem holding `dir` to its last byte. */
function fill(dir: string): void {
  const fd = fs.openSync(path.join(dir, 'filler'), 'a');
  try {
    for (let chunk = 1 << 20; chunk >= 1; ) {
      try {
        fs.writeSync(fd, Buffer.alloc(chunk));
      } catch {
        chunk >>= 1;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

describe('reliability: a full disk', function () {
  this.timeout(120_000);
  let disk: string | undefined;
  let fake: FakeServer | undefined;

  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    if (disk && spawnSync('umount', [disk]).status === 0) fs.rmdirSync(disk);
    disk = undefined;
  });

  /** One task whose agent writes `files` (calling `before` first, on its first turn only), then finishes. */
  async function provider(files: Record<string, string>, before?: () => void): Promise<{ env: NodeJS.ProcessEnv; cfg: string }> {
    let first = true;
    fake = await startFakeServer('openai', (req) => {
      const t = req.trace ?? '';
      if (t.startsWith('plan#')) return { kind: 'reply', toolCalls: [{ name: 'submit_plan', arguments: { rationale: 'one task', tasks: [{ id: 't1', title: 'Write', description: 'Write the files', role: 'dev', dependsOn: [] }] } }] };
      if (t === 'task/t1#1') {
        if (first) before?.();
        first = false;
        return { kind: 'reply', toolCalls: Object.entries(files).map(([p, content]) => ({ name: 'write_file', arguments: { path: p, content } })) };
      }
      return { kind: 'reply', toolCalls: [{ name: 'finish', arguments: { summary: 'written' } }] };
    });
    const cfg = path.join(tempWorkspace(), 'c.json');
    fs.writeFileSync(cfg, JSON.stringify({ orchestrator: { provider: 'openai', model: 'gpt-5' }, roles: { dev: { provider: 'openai', model: 'gpt-5' } }, validation: { runTests: 'never' } }));
    return { env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseUrl }, cfg };
  }

  const events = (dir: string) => fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { type: string; status?: string; error?: string });

  it('a file that does not fit: the session stops at once, names the disk and the folder, ends in its log (exit 3)', async function () {
    disk = smallDisk(512 * 1024);
    if (!disk) return this.skip();
    const ws = path.join(disk, 'ws');
    fs.mkdirSync(ws);
    const { env, cfg } = await provider({ 'big.bin': 'x'.repeat(1024 * 1024) });
    const r = await cliRun(['run', '--goal', 'too big', '--workspace', ws, '--config', cfg], env);
    if (process.env.SHOW_DISK) console.log(r.stdout, r.stderr);
    assert.equal(r.code, 3, r.stderr);
    const [id] = fs.readdirSync(path.join(ws, '.ensemble', 'sessions'));
    const dir = path.join(ws, '.ensemble', 'sessions', id!);
    assert.match(r.stderr, new RegExp(`The disk is full: Ensemble could not write .* in ${dir} \\(ENOSPC, the disk mounted at ${disk} \\(\\d+ (bytes|KB) free\\)\\), so the session stopped\\.`));
    assert.equal(fake!.requests.filter((q) => q.trace === 'task/t1#2').length, 0, 'the agent was not asked again');
    const ended = events(dir).filter((e) => e.type === 'session.ended');
    assert.deepEqual(ended.map((e) => e.status), ['failed']);
    assert.match(ended[0]!.error!, /^The disk is full/);
    // The log and the report had room once the record that did not fit was cut off again.
    assert.match(r.stdout, new RegExp(`Report: ${dir}/report\\.md`));
    assert.ok(fs.existsSync(path.join(dir, 'report.md')));
    assert.ok(!fs.existsSync(path.join(ws, 'big.bin')));
    assert.ok(!fs.existsSync(path.join(ws, '.ensemble', 'lock')), 'the workspace lock was released');
  });

  it('a log that cannot take one more line: exit 3, no report claimed, the log said to read as interrupted; resumed once there is room', async function () {
    disk = smallDisk(1024 * 1024);
    if (!disk) return this.skip();
    const ws = path.join(disk, 'ws');
    fs.mkdirSync(ws);
    const page = fs.statfsSync(disk).bsize;
    const log = () => {
      const sessions = path.join(ws, '.ensemble', 'sessions');
      return path.join(sessions, fs.readdirSync(sessions)[0]!, 'events.jsonl');
    };
    // While the agent's first request is in flight: the disk is filled, and the log's last page too
    // (with blank lines, which a log reader skips), so that its next line needs a page there is none of.
    const { env, cfg } = await provider({ 'a.txt': 'a' }, () => {
      fill(disk!);
      const size = fs.statSync(log()).size;
      fs.appendFileSync(log(), '\n'.repeat((page - (size % page)) % page));
    });
    const r = await cliRun(['run', '--goal', 'fill the log', '--workspace', ws, '--config', cfg], env);
    if (process.env.SHOW_DISK) console.log(r.stdout, r.stderr);
    assert.equal(r.code, 3, r.stderr);
    const dir = path.dirname(log());
    assert.match(r.stderr, new RegExp(`The disk is full: Ensemble could not write the event log in ${dir} \\(ENOSPC, the disk mounted at ${disk} \\(0 bytes free\\)\\)`));
    assert.match(r.stderr, /could not take the session's end, so it reads as interrupted: `ensemble resume \S+` continues it once there is room/);
    assert.match(r.stderr, /No report was written/);
    assert.doesNotMatch(r.stdout, /Report: \//, 'no report is claimed');
    assert.match(r.stdout, /Report: not written/);
    assert.ok(!fs.existsSync(path.join(dir, 'report.md')));
    const logged = events(dir);
    assert.equal(logged.filter((e) => e.type === 'session.ended').length, 0);
    assert.equal(fs.readFileSync(log(), 'utf8').trimEnd().split('\n').at(-1)!.endsWith('}'), true, 'no half line in the log');
    // Room again: the session resumes from its log and completes.
    fs.rmSync(path.join(disk, 'filler'));
    const again = await cliRun(['resume', path.basename(dir), '--workspace', ws, '--config', cfg], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8'), 'a');
    assert.deepEqual(events(dir).filter((e) => e.type === 'session.ended').map((e) => e.status), ['completed']);
  });
});
