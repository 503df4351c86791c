// State snapshots (src/core/store/snapshot.ts): opening a session reads its snapshot and the log's
// tail, and gets exactly the fold of the whole log; a snapshot that does not match its log is
// discarded and rebuilt from it. Also the review's live fold, which the snapshot path serves.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventLog, readEvents, sessionDir } from '../../src/core/store/log';
import { followLog } from '../../src/core/store/sessions';
import { openSession, SNAPSHOT_EVERY, SNAPSHOT_VERSION } from '../../src/core/store/state-snapshot';
import { foldEvents, initialState, type SessionState } from '../../src/core/fold/state';
import { buildReport } from '../../src/core/fold/report';
import { reviewSession } from '../../src/core/store/review';
import { NodeFileStore } from '../../src/node/file-store';
import { planStep, writesThenFinishes } from '../helpers/scripted';
import { run, tempWorkspace } from '../helpers/session';

const snapshotFile = (dir: string) => path.join(dir, 'state.json');
const stored = (dir: string) => JSON.parse(fs.readFileSync(snapshotFile(dir), 'utf8')) as { v: number; seq: number; logBytes: number; state: SessionState };
const rewrite = (dir: string, change: (s: ReturnType<typeof stored>) => void) => {
  const s = stored(dir);
  change(s);
  fs.writeFileSync(snapshotFile(dir), JSON.stringify(s));
};
/** The whole log folded, as JSON (a snapshot drops `undefined` fields, which JSON never had). */
const truth = (dir: string) => JSON.parse(JSON.stringify(foldEvents(readEvents(path.join(dir, 'events.jsonl')).events)));
const json = (s: SessionState) => JSON.parse(JSON.stringify(s));

describe('state snapshots', function () {
  this.timeout(30_000);

  async function finished(): Promise<{ dir: string; workspace: string; id: string }> {
    const r = run('snapshot', { orch: () => planStep([{ id: 'x', role: 'a' }, { id: 'y', role: 'a', dependsOn: ['x'] }]), p1: (req) => writesThenFinishes({ [`${req.trace!.slice(5, 6)}.txt`]: 'x' })(req), p2: () => ({ hang: true }) });
    await r.handle.done;
    return { dir: r.handle.dir, workspace: r.workspace, id: r.handle.sessionId };
  }

  it('the engine writes one; opening reads it plus the tail, and equals the fold of the whole log', async () => {
    const { dir, workspace, id } = await finished();
    const snap = stored(dir);
    assert.equal(snap.v, SNAPSHOT_VERSION);
    const opened = openSession(dir);
    assert.equal(opened.from, 'snapshot');
    assert.deepEqual(json(opened.state), truth(dir));
    // Events appended after the snapshot (a review decision by another writer) are the tail.
    const log = EventLog.open(dir);
    log.emit({ type: 'review.kept', path: 'x.txt' });
    log.close();
    fs.writeFileSync(snapshotFile(dir), JSON.stringify(snap)); // the snapshot from before that decision
    const withTail = openSession(dir);
    assert.equal(withTail.from, 'snapshot');
    assert.equal(withTail.state.files['x.txt']!.review, 'kept');
    assert.deepEqual(json(withTail.state), truth(dir));
    assert.deepEqual(buildReport(withTail.state), buildReport(foldEvents(readEvents(path.join(dir, 'events.jsonl')).events)));
    void workspace;
    void id;
  });

  it('is discarded and rebuilt when it does not match its log: version, seq, a log shorter than it covers, damage', async () => {
    const { dir } = await finished();
    const cases: [string, () => void][] = [
      ['another snapshot version', () => rewrite(dir, (s) => (s.v = SNAPSHOT_VERSION + 1))],
      // A snapshot claiming a seq the line at its offset does not hold: e.g. a log rewritten since.
      ['a seq its log does not have there', () => rewrite(dir, (s) => {
        s.seq -= 1;
        s.state.goal = 'stale';
      })],
      ['an offset inside a line', () => rewrite(dir, (s) => {
        s.logBytes -= 3;
        s.state.goal = 'stale';
      })],
      ['a log shorter than it covers', () => rewrite(dir, (s) => {
        s.logBytes += 1_000_000;
        s.state.goal = 'stale';
      })],
      ['a damaged file', () => fs.writeFileSync(snapshotFile(dir), '{"v":1,"sta')],
    ];
    for (const [what, spoil] of cases) {
      spoil();
      const opened = openSession(dir);
      assert.equal(opened.from, 'log', what);
      assert.equal(opened.state.goal, 'snapshot', what);
      assert.deepEqual(json(opened.state), truth(dir), what);
      // rebuilt: the next open uses it
      assert.equal(stored(dir).logBytes, fs.statSync(path.join(dir, 'events.jsonl')).size, what);
      assert.equal(openSession(dir).from, 'snapshot', what);
    }
  });

  it('is written every SNAPSHOT_EVERY events, so a tail never holds more', () => {
    const dir = sessionDir(tempWorkspace(), 'long');
    const log = EventLog.open(dir);
    followLog(log, initialState());
    log.emit({ type: 'session.started', sessionId: 'long', goal: 'long', config: { orchestrator: { provider: 'p', model: 'm' }, roles: {}, maxConcurrency: 1 } });
    for (let i = 0; i < SNAPSHOT_EVERY + 10; i++) log.emit({ type: 'agent.text', agentId: 'a', text: `line ${i}` });
    log.close();
    assert.equal(stored(dir).seq, SNAPSHOT_EVERY); // session.started and SNAPSHOT_EVERY - 1 events
    const opened = openSession(dir);
    assert.equal(opened.from, 'snapshot');
    assert.equal(opened.state.eventCount, SNAPSHOT_EVERY + 11);
  });

  it('a review keeps one live fold: it sees decisions appended by another writer, and Keep All writes the report once it is done', async () => {
    const { dir, workspace, id } = await finished();
    const review = reviewSession(workspace, id, new NodeFileStore(workspace));
    assert.deepEqual(review.files().map((f) => f.review), ['pending', 'pending']);
    // Another window keeps x.txt: the review's fold catches up from the log before deciding.
    const other = EventLog.open(dir);
    other.emit({ type: 'review.kept', path: 'x.txt' });
    other.close();
    const again = await review.keep('x.txt');
    assert.ok(again.ok && again.unchanged, 'already kept, by the other writer');
    const out = await review.keepAll();
    assert.deepEqual(out.map((o) => o.path), ['y.txt']);
    assert.deepEqual(json(review.state()), truth(dir));
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as { files: { path: string; review: string }[] };
    assert.deepEqual(report.files.map((f) => f.review), ['kept', 'kept']);
    assert.equal(stored(dir).logBytes, fs.statSync(path.join(dir, 'events.jsonl')).size, 'the snapshot follows the decisions');
  });
});
