// kill -9 at random points while a session writes files, resuming after each kill: the final files
// are byte-identical to an uninterrupted run, no temporary file is left in the workspace, no write
// is refused as a conflict with the session's own earlier work, and the review restores the same
// "before" bytes. 5 kills by default, 24 with ENSEMBLE_LONG_TESTS=1; the seed is printed (set
// ENSEMBLE_KILL_SEED to replay one).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { startSession } from '../../src/core/session/session';
import { readEvents } from '../../src/core/store/log';
import { BlobStore } from '../../src/core/store/blobs';
import { foldEvents, type SessionState } from '../../src/core/fold/state';
import { NodeFileStore } from '../../src/node/file-store';
import { config, providers, seedWorkspace } from '../helpers/kill-writes';
import { tempWorkspace } from '../helpers/tmp';
import { findFiles, snapshot } from '../helpers/tree';
import { NodeCommandRunner } from '../../src/node/command-runner';

const CHILD = path.join(__dirname, '..', 'helpers', 'kill-writes-child.ts');
const KILLS = process.env.ENSEMBLE_LONG_TESTS === '1' ? 24 : 5;

/** A small seeded generator (mulberry32): the same seed gives the same kill points. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Starts the child; resolves with its first line and a promise of its exit code. */
function child(args: string[]): Promise<{ line: string; kill: () => void; exit: Promise<number | null> }> {
  const c = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exit = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ line: out.split('\n')[0]!, kill: () => c.kill('SIGKILL'), exit });
    });
    void exit.then((code) => reject(new Error(`child exited (${code}) before it said anything`)));
  });
}

/** How many write_file calls a log shows begun (the tool is called just before the write starts). */
const countWrites = (log: string) => (log.match(/"tool":"write_file"/g) ?? []).length;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reliability: kill -9 during writes', function () {
  this.timeout(KILLS * 15_000 + 60_000);

  it(`resumes after ${KILLS} kills at random points and ends byte-identical to an uninterrupted run`, async () => {
    // The reference: the same session, never interrupted.
    const ref = tempWorkspace('ensemble-kill-ref-');
    seedWorkspace(ref);
    const p = providers();
    const refState = await startSession({ goal: 'kill me', config: config(), deps: { workspace: ref, store: new NodeFileStore(ref), runner: new NodeCommandRunner(), resolve: (id) => p[id] } }).done;
    assert.equal(refState.status, 'completed', refState.error);
    const refWrites = countWrites(fs.readFileSync(path.join(ref, '.ensemble', 'sessions', refState.sessionId!, 'events.jsonl'), 'utf8'));

    const seed = Number(process.env.ENSEMBLE_KILL_SEED ?? Date.now() % 1_000_000);
    const rand = random(seed);
    const files = (root: string) => snapshot(root, { mtimes: false, skip: (rel) => rel === '.ensemble' });
    const review = (s: SessionState) => s.fileOrder.map((f) => `${f} ${s.files[f]!.change} ${s.files[f]!.beforeSha ?? 'none'} ${s.files[f]!.afterSha}`).sort();
    const rounds: number[][] = [];
    // Rounds of one session each (a fresh workspace), killed until it completes, until KILLS kills landed.
    while (rounds.flat().length < KILLS && rounds.length < KILLS) {
      const ws = tempWorkspace('ensemble-kill-');
      seedWorkspace(ws);
      let dir: string | undefined;
      const points: number[] = [];
      const writesBegun = () => (dir && fs.existsSync(path.join(dir, 'events.jsonl')) ? countWrites(fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8')) : 0);
      for (;;) {
        // Each kill lands after this run has begun k more writes (k random), a random 0-3 ms into the
        // write; once enough kills landed, the last run is left to finish.
        const before = writesBegun();
        const c = await child(dir ? ['resume', dir, ws] : ['start', ws]);
        if (c.line.startsWith('cannot resume')) break; // it completed before the kill could land
        dir ??= c.line;
        if (rounds.flat().length + points.length >= KILLS) {
          await c.exit;
          break;
        }
        const k = 1 + Math.floor(rand() * 14);
        const extra = Math.floor(rand() * 4);
        let ended = false;
        void c.exit.then(() => (ended = true));
        while (!ended && writesBegun() < before + k) await sleep(1);
        if (ended) break;
        await sleep(extra);
        c.kill();
        await c.exit;
        points.push(k);
      }
      assert.ok(dir, 'the session started');
      const events = readEvents(path.join(dir, 'events.jsonl')).events;
      const state = foldEvents(events);
      const where = `(seed ${seed}, round ${rounds.length + 1}, kills after ${points.join(', ')} writes)`;
      assert.equal(state.status, 'completed', `${state.error} ${where}`);
      assert.deepEqual(files(ws), files(ref), `the workspace is byte-identical to the uninterrupted run's ${where}`);
      assert.deepEqual(findFiles(ws, /ensemble-tmp/), [], `no temporary file next to the user's files ${where}`);
      const tmp = path.join(ws, '.ensemble', 'tmp');
      assert.deepEqual(fs.existsSync(tmp) ? fs.readdirSync(tmp) : [], [], `the temporary folder was swept ${where}`);
      assert.deepEqual(events.filter((e) => e.type === 'file.refused'), [], `no conflict with its own earlier writes ${where}`);
      assert.deepEqual(review(state), review(refState), `the review shows the same changes and restores the same "before" bytes ${where}`);
      const blobs = new BlobStore(dir);
      for (const [p, f] of Object.entries(state.files)) {
        for (const sha of [f.beforeSha, f.afterSha]) if (sha) assert.ok(blobs.get(sha), `the content ${sha.slice(0, 12)}… of ${p} is whole in the blob pack ${where}`);
      }
      rounds.push(points);
      fs.rmSync(ws, { recursive: true, force: true });
    }
    console.log(`      kill -9: seed ${seed}, ${rounds.flat().length} kills in ${rounds.length} sessions, each after this many writes began: ${rounds.map((r) => r.join(' ')).join(' | ')} (an uninterrupted run begins ${refWrites} writes)`);
    assert.ok(rounds.flat().length >= KILLS, `${KILLS} kills landed mid-session`);
  });
});
