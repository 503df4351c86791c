// One writer per workspace (.ensemble/lock): a second session stops at once and names the running one;
// a lock whose process died is taken over, by exactly one of any number of contenders; the lock goes
// when the session ends, however it ends. Through the engine, through real processes racing for a
// stale lock, and through two real `ensemble` processes.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { acquireWorkspaceLock, lockFile, processLiveness, WorkspaceBusyError, type LockHolder } from '../../src/core/store/lock';
import { resumeSession } from '../../src/core/session/session';
import { NodeFileStore } from '../../src/node/file-store';
import { NodeCommandRunner } from '../../src/node/command-runner';
import { startFakeServer } from '../../src/fakes';
import { planStep, writesThenFinishes } from '../helpers/scripted';
import { run, tempWorkspace, testConfig } from '../helpers/session';
import { ensemble } from '../helpers/cli';

/** A pid that no process has any more (a child that has exited). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid!;
}

function staleLock(ws: string, sessionId = 'crashed-1'): LockHolder {
  const holder: LockHolder = { sessionId, command: 'ensemble run', pid: deadPid(), host: os.hostname(), startedAt: Date.now() - 3_600_000, nonce: 'feedfacefeedface' };
  fs.mkdirSync(path.dirname(lockFile(ws)), { recursive: true });
  fs.writeFileSync(lockFile(ws), JSON.stringify(holder) + '\n');
  return holder;
}

describe('workspace lock', function () {
  this.timeout(60_000);

  it('is taken whole, refused to a second taker with the holder named, and released', () => {
    const ws = tempWorkspace();
    const first = acquireWorkspaceLock(ws, { sessionId: 's-1', command: 'ensemble run' });
    const onDisk = JSON.parse(fs.readFileSync(lockFile(ws), 'utf8')) as LockHolder;
    assert.deepEqual([onDisk.sessionId, onDisk.command, onDisk.pid], ['s-1', 'ensemble run', process.pid]);
    assert.ok(Math.abs(onDisk.startedAt - Date.now()) < 5000);
    assert.throws(() => acquireWorkspaceLock(ws, { sessionId: 's-2', command: 'VS Code: Start Orchestration' }), (e: unknown) => {
      assert.ok(e instanceof WorkspaceBusyError);
      assert.equal(e.sameSession, false);
      assert.match(e.message, new RegExp(`^Another Ensemble session is running in ${ws}: session s-1, \`ensemble run\` \\(pid ${process.pid}\\) since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\(less than a minute ago\\)\\.`));
      return true;
    });
    assert.throws(() => acquireWorkspaceLock(ws, { sessionId: 's-1', command: 'ensemble resume s-1' }), /^WorkspaceBusyError: Session s-1 is already running in .*: `ensemble run` \(pid \d+\) since .*It cannot run twice at once/);
    first.release();
    assert.ok(!fs.existsSync(lockFile(ws)));
    first.release(); // idempotent
    acquireWorkspaceLock(ws, { sessionId: 's-2', command: 'ensemble run' }).release();
    assert.deepEqual(fs.readdirSync(path.dirname(lockFile(ws))), [], 'no file of the lock is left');
  });

  it('takes over a lock whose process is gone, also one that is not a lock record', () => {
    const ws = tempWorkspace();
    const stale = staleLock(ws);
    assert.equal(processLiveness(stale), false);
    const lock = acquireWorkspaceLock(ws, { sessionId: 's-new', command: 'ensemble resume crashed-1' });
    assert.equal(lock.tookOver?.sessionId, 'crashed-1');
    assert.equal(JSON.parse(fs.readFileSync(lockFile(ws), 'utf8')).sessionId, 's-new');
    lock.release();
    fs.writeFileSync(lockFile(ws), 'garbage');
    fs.utimesSync(lockFile(ws), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000)); // not one being written
    acquireWorkspaceLock(ws, { sessionId: 's-3', command: 'ensemble run' }).release();
  });

  it('a live pid of another process is not taken for the holder when its start time differs (a reused pid)', () => {
    const ws = tempWorkspace();
    const holder = { ...staleLock(ws), pid: process.ppid ?? 1, procStart: '1' };
    assert.equal(processLiveness(holder), process.platform !== 'linux', 'on Linux the kernel says it is another process');
  });

  it('when two contenders find the same stale lock, the one that comes second finds the first one\'s and stops', () => {
    const ws = tempWorkspace();
    staleLock(ws);
    let second: ReturnType<typeof acquireWorkspaceLock> | undefined;
    // The first contender is suspended right after it found the lock stale, while the second takes it over whole.
    const interleaved = (h: LockHolder) => {
      if (h.sessionId === 'crashed-1' && !second) second = acquireWorkspaceLock(ws, { sessionId: 'second', command: 'b' });
      return processLiveness(h);
    };
    assert.throws(() => acquireWorkspaceLock(ws, { sessionId: 'first', command: 'a' }, interleaved), (e: unknown) => e instanceof WorkspaceBusyError && e.holder.sessionId === 'second');
    assert.equal(second?.tookOver?.sessionId, 'crashed-1');
    assert.equal(JSON.parse(fs.readFileSync(lockFile(ws), 'utf8')).sessionId, 'second', 'the second contender\'s lock stands');
    second!.release();
  });

  it('of six processes racing for a stale lock, exactly one wins; the others name it', async () => {
    const ws = tempWorkspace();
    staleLock(ws);
    const go = path.join(tempWorkspace(), 'go');
    const contender = path.resolve(__dirname, '..', 'helpers', 'lock-contender.ts');
    const outs = Array.from({ length: 6 }, (_, i) => {
      const child = spawn(process.execPath, ['--import', 'tsx', contender, ws, go, `c${i}`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const ready = new Promise<void>((resolve) => child.stdout.on('data', () => out.includes('ready') && resolve()));
      const done = new Promise<string>((resolve) => child.on('exit', () => resolve(out)));
      return { ready, done };
    });
    await Promise.all(outs.map((o) => o.ready));
    fs.writeFileSync(go, '');
    const results = (await Promise.all(outs.map((o) => o.done))).map((o) => JSON.parse(o.split('\n')[1]!) as { won: boolean; tookOver?: string; holder?: string });
    const winners = results.filter((r) => r.won);
    assert.equal(winners.length, 1, JSON.stringify(results));
    const winner = results.indexOf(winners[0]!);
    for (const r of results.filter((x) => !x.won)) assert.equal(r.holder, `c${winner}`, JSON.stringify(results));
    assert.ok(!fs.existsSync(lockFile(ws)), 'the winner released it');
  });
});

describe('workspace lock: sessions', function () {
  this.timeout(60_000);

  it('a second session in the workspace cannot start while one runs, and can once it has ended (also when it failed)', async () => {
    const ws = tempWorkspace();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = run('first', { orch: async () => (await held, planStep([{ id: 't', role: 'a' }])), p1: writesThenFinishes({ 'a.txt': 'a' }), p2: () => ({ hang: true }) }, { workspace: ws });
    assert.throws(() => run('second', { orch: () => planStep([]) }, { workspace: ws }), (e: unknown) => e instanceof WorkspaceBusyError && e.holder.sessionId === first.handle.sessionId && e.holder.command === 'ensemble');
    assert.equal(fs.readdirSync(path.join(ws, '.ensemble', 'sessions')).length, 1, 'the second session wrote no log');
    release();
    await first.handle.done;
    assert.ok(!fs.existsSync(lockFile(ws)), 'released when the session ended');
    // A failing session gives it back too, and so does a cancelled one.
    const failing = run('fails', { orch: () => ({ error: { code: 'auth', retryable: false } }) }, { workspace: ws });
    assert.equal((await failing.handle.done).status, 'failed');
    assert.ok(!fs.existsSync(lockFile(ws)));
    const cancelled = run('cancelled', { orch: () => ({ hang: true }) }, { workspace: ws });
    cancelled.handle.cancel();
    assert.equal((await cancelled.handle.done).status, 'cancelled');
    assert.ok(!fs.existsSync(lockFile(ws)));
  });

  it('the same session cannot be resumed twice at once; a resume that cannot start gives the lock back', async () => {
    const ws = tempWorkspace();
    const first = run('resume me', { orch: () => planStep([{ id: 't', role: 'a' }]), p1: () => ({ hang: true }) }, { workspace: ws });
    first.handle.cancel();
    await first.handle.done;
    const deps = () => ({ workspace: ws, store: new NodeFileStore(ws), runner: new NodeCommandRunner(), resolve: () => ({ id: 'x', chat: async function* () { await new Promise(() => {}); } }) as never });
    const a = resumeSession({ dir: first.handle.dir, config: testConfig(), deps: deps() });
    assert.throws(() => resumeSession({ dir: first.handle.dir, config: testConfig(), deps: deps() }), (e: unknown) => e instanceof WorkspaceBusyError && e.sameSession && /^Session .* is already running/.test(e.message));
    a.cancel();
    await a.done;
    const events = fs.readFileSync(path.join(first.handle.dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; seq: number });
    assert.equal(events.filter((e) => e.type === 'session.resumed').length, 1, 'the refused resume wrote nothing');
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), 'one writer: every seq once, in order');
    // A completed session cannot be resumed, and that refusal does not keep the workspace.
    const done = run('done', { orch: () => planStep([{ id: 'x', role: 'a' }]), p1: writesThenFinishes({ 'x.txt': 'x' }) }, { workspace: ws });
    await done.handle.done;
    assert.throws(() => resumeSession({ dir: done.handle.dir, config: testConfig(), deps: deps() }), /already completed/);
    assert.ok(!fs.existsSync(lockFile(ws)));
  });

  it('two `ensemble run` in one workspace: the second exits 2 naming the first; `resume` of the running one too; after a kill -9 the lock is taken over', async () => {
    const hanging = await startFakeServer('openai', () => ({ kind: 'hang' }));
    try {
      const ws = tempWorkspace();
      const cfg = path.join(tempWorkspace(), 'c.json');
      fs.writeFileSync(cfg, JSON.stringify({ orchestrator: { provider: 'openai', model: 'gpt-5' }, roles: { dev: { provider: 'openai', model: 'gpt-5' } }, validation: { runTests: 'never' } }));
      const env = { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: hanging.baseUrl };
      let firstChild: ReturnType<typeof spawn> | undefined;
      let started!: () => void;
      const planning = new Promise<void>((r) => (started = r));
      const first = ensemble(['run', '--goal', 'first', '--workspace', ws, '--config', cfg], env, (text, child) => {
        firstChild = child;
        if (text.includes('Planning')) started();
      });
      await planning;
      const id = fs.readdirSync(path.join(ws, '.ensemble', 'sessions'))[0]!;
      const second = await ensemble(['run', '--goal', 'second', '--workspace', ws, '--config', cfg], env);
      assert.equal(second.code, 2, second.stderr);
      assert.match(second.stderr, new RegExp(`Another Ensemble session is running in ${ws}: session ${id}, \`ensemble run\` \\(pid ${firstChild!.pid}\\) since \\d{4}-`));
      assert.doesNotMatch(second.stderr, /--help|orchestrator {2}/, 'it stops before the pre-flight, with no usage text');
      const twice = await ensemble(['resume', id, '--workspace', ws, '--config', cfg], env);
      assert.equal(twice.code, 2, twice.stderr);
      assert.match(twice.stderr, new RegExp(`Session ${id} is already running in ${ws}: \`ensemble run\` \\(pid ${firstChild!.pid}\\)`));
      const demo = await ensemble(['demo', ws]);
      assert.equal(demo.code, 2, demo.stderr);
      assert.match(demo.stderr, /Another Ensemble session is running/);
      assert.deepEqual(fs.readdirSync(path.join(ws, '.ensemble', 'sessions')), [id], 'none of them wrote a session');
      firstChild!.kill('SIGKILL');
      assert.equal((await first).code, null);
      assert.ok(fs.existsSync(lockFile(ws)), 'a killed session leaves its lock');
      // Taken over by the resume (its process is gone), which then runs until its planning request is in flight, and is cancelled.
      let resumed = false;
      let held: LockHolder | undefined;
      const asked = hanging.requests.length;
      const again = await ensemble(['resume', id, '--workspace', ws, '--config', cfg], env, (text, child) => {
        if (resumed || !text.includes('Resuming session')) return;
        resumed = true;
        const poll = setInterval(() => {
          if (hanging.requests.length === asked) return;
          clearInterval(poll);
          held = JSON.parse(fs.readFileSync(lockFile(ws), 'utf8')) as LockHolder;
          held.pid = held.pid === child.pid ? -1 : held.pid; // -1: the resuming process itself
          child.kill('SIGINT');
        }, 10);
      });
      assert.deepEqual([held?.pid, held?.command], [-1, `ensemble resume ${id}`], 'the resume holds the lock');
      assert.ok(resumed, again.stderr);
      assert.equal(again.code, 130, again.stderr);
      assert.ok(!fs.existsSync(lockFile(ws)), 'released at the end');
    } finally {
      await hanging.close();
    }
  });
});
