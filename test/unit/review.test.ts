// The review of a session's changes (src/core/review.ts): keep, revert to the exact bytes (text and
// binary), created and deleted files, conflicts with the user's later edits, and the events appended.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BlobStore, sha256 } from '../../src/core/store/blobs';
import { EventLog, readEvents, sessionDir } from '../../src/core/store/log';
import { foldEvents } from '../../src/core/fold/state';
import { reviewSession } from '../../src/core/store/review';
import { NodeFileStore } from '../../src/node/file-store';
import { tempWorkspace } from '../helpers/tmp';
import { planStep, writesThenFinishes, conv } from '../helpers/scripted';
import { run } from '../helpers/session';

type Change = { path: string; before?: Uint8Array | string; after: Uint8Array | string | null };

const made: string[] = [];
const workspace = (): string => {
  const dir = tempWorkspace('ensemble-review-');
  made.push(dir);
  return dir;
};

/** Lays out a finished session the way the engine leaves one: files on disk, blobs, and the log. */
function fakeSession(changes: Change[]): { workspace: string; id: string; dir: string } {
  const ws = workspace();
  const id = 'session-1';
  const dir = sessionDir(ws, id);
  const blobs = new BlobStore(dir);
  const log = EventLog.open(dir);
  log.emit({ type: 'session.started', sessionId: id, goal: 'review test', config: { orchestrator: { provider: 'p', model: 'm' }, roles: {}, maxConcurrency: 1 } });
  for (const c of changes) {
    const abs = path.join(ws, c.path);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    const beforeSha = c.before === undefined ? null : blobs.put(c.before);
    if (c.before !== undefined) fs.writeFileSync(abs, c.before);
    if (c.after === null) {
      fs.rmSync(abs, { force: true });
      log.emit({ type: 'file.deleted', agentId: 'backend-1', taskId: 't1', path: c.path, beforeSha: beforeSha! });
    } else {
      const afterSha = blobs.put(c.after);
      fs.writeFileSync(abs, c.after);
      log.emit({ type: 'file.written', agentId: 'backend-1', taskId: 't1', path: c.path, change: beforeSha ? 'modified' : 'created', beforeSha, afterSha, bytes: Buffer.byteLength(c.after), role: 'backend', provider: 'gemini', model: 'gemini-2.5-pro' });
    }
  }
  log.emit({ type: 'session.ended', status: 'completed' });
  log.close();
  return { workspace: ws, id, dir };
}

const binary = Uint8Array.from([0, 255, 1, 254, 0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 0, 128, 127]);

describe('review', () => {
  after(() => {
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a change: the file stays, review.kept is appended, the report is rewritten', async () => {
    const s = fakeSession([{ path: 'a.txt', before: 'old\n', after: 'new\n' }]);
    const review = reviewSession(s.workspace, s.id, new NodeFileStore(s.workspace));
    const out = await review.keep('a.txt');
    assert.equal(out.ok, true);
    assert.equal(fs.readFileSync(path.join(s.workspace, 'a.txt'), 'utf8'), 'new\n');
    const events = readEvents(path.join(s.dir, 'events.jsonl')).events;
    assert.deepEqual(events.at(-1), { ...events.at(-1), type: 'review.kept', path: 'a.txt' });
    assert.equal(foldEvents(events).files['a.txt']!.review, 'kept');
    const report = JSON.parse(fs.readFileSync(path.join(s.dir, 'report.json'), 'utf8'));
    assert.equal(report.files[0].review, 'kept');
    assert.match(fs.readFileSync(path.join(s.dir, 'report.md'), 'utf8'), /\| a\.txt \| modified .* \| kept \|/);
    // Keeping twice appends nothing more.
    const again = await review.keep('a.txt');
    assert.ok(again.ok && again.unchanged);
    assert.equal(readEvents(path.join(s.dir, 'events.jsonl')).events.length, events.length);
  });

  it('reverts a modified file to its exact bytes, text and binary', async () => {
    const text = 'line 1\r\nline 2 — ünïcödé\n\n  trailing  ';
    const s = fakeSession([
      { path: 'src/text.js', before: text, after: 'rewritten' },
      { path: 'img/logo.png', before: binary, after: Uint8Array.from([1, 2, 3]) },
    ]);
    const review = reviewSession(s.workspace, s.id, new NodeFileStore(s.workspace));
    for (const p of ['src/text.js', 'img/logo.png']) {
      const out = await review.revert(p);
      assert.ok(out.ok, JSON.stringify(out));
      assert.equal(out.action, 'reverted');
    }
    assert.deepEqual(fs.readFileSync(path.join(s.workspace, 'src/text.js')), Buffer.from(text));
    assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(s.workspace, 'img/logo.png'))), binary);
    const events = readEvents(path.join(s.dir, 'events.jsonl')).events;
    const reverted = events.filter((e) => e.type === 'review.reverted');
    assert.deepEqual(reverted.map((e) => e.type === 'review.reverted' && [e.path, e.restoredSha]), [
      ['src/text.js', sha256(text)],
      ['img/logo.png', sha256(binary)],
    ]);
    const st = await review.status('img/logo.png');
    assert.equal(st?.review, 'reverted');
    assert.equal(st?.editedSince, false);
    // Reverting again is refused as already done, and nothing is appended.
    const again = await review.revert('img/logo.png');
    assert.equal(again.ok, false);
    assert.equal(!again.ok && again.reason, 'already_reverted');
  });

  it('reverts a created file by deleting it, and a deleted file by restoring it', async () => {
    const s = fakeSession([
      { path: 'new/file.txt', after: 'made by the session' },
      { path: 'gone.bin', before: binary, after: null },
    ]);
    const review = reviewSession(s.workspace, s.id, new NodeFileStore(s.workspace));
    assert.equal(review.files().map((f) => `${f.path}:${f.change}`).join(','), 'new/file.txt:created,gone.bin:deleted');
    assert.deepEqual(review.before('new/file.txt'), new Uint8Array(0));
    assert.deepEqual(review.before('gone.bin'), binary);
    assert.ok((await review.revert('new/file.txt')).ok);
    assert.equal(fs.existsSync(path.join(s.workspace, 'new/file.txt')), false);
    assert.ok((await review.revert('gone.bin')).ok);
    assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(s.workspace, 'gone.bin'))), binary);
    const events = readEvents(path.join(s.dir, 'events.jsonl')).events.filter((e) => e.type === 'review.reverted');
    assert.deepEqual(events.map((e) => e.type === 'review.reverted' && e.restoredSha), [null, sha256(binary)]);
  });

  it('refuses to revert a file the user edited since, then forces it when asked', async () => {
    const s = fakeSession([{ path: 'app.js', before: 'v1', after: 'v2' }, { path: 'created.js', after: 'c' }]);
    const abs = path.join(s.workspace, 'app.js');
    fs.writeFileSync(abs, 'v2 + my edits');
    const review = reviewSession(s.workspace, s.id, new NodeFileStore(s.workspace));
    const st = await review.status('app.js');
    assert.equal(st?.editedSince, true);
    const refused = await review.revert('app.js');
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.reason, 'conflict');
    assert.match(!refused.ok ? refused.message : '', /app\.js was edited after Ensemble changed it/);
    assert.equal(fs.readFileSync(abs, 'utf8'), 'v2 + my edits');
    assert.equal(readEvents(path.join(s.dir, 'events.jsonl')).events.some((e) => e.type === 'review.reverted'), false);

    // revertAll reverts what it safely can and reports the conflict.
    const all = await review.revertAll();
    assert.deepEqual(all.map((o) => (o.ok ? `${o.path}:ok` : `${o.path}:${o.reason}`)), ['app.js:conflict', 'created.js:ok']);

    const forced = await review.revert('app.js', { force: true });
    assert.ok(forced.ok);
    assert.equal(fs.readFileSync(abs, 'utf8'), 'v1');
    // Even the forced revert keeps the user's version, in the session's blobs.
    const reverted = readEvents(path.join(s.dir, 'events.jsonl')).events.filter((e) => e.type === 'review.reverted' && e.path === 'app.js');
    const kept = reverted[0]?.type === 'review.reverted' ? reverted[0].overwrittenSha : undefined;
    assert.equal(kept, sha256('v2 + my edits'));
    assert.equal(new BlobStore(s.dir).get(kept!)?.toString('utf8'), 'v2 + my edits');
    const state = review.state();
    assert.equal(state.files['app.js']!.review, 'reverted');
    assert.equal(state.files['created.js']!.review, 'reverted');
  });

  it('refuses a file the session did not change, and a before-blob that is damaged', async () => {
    const s = fakeSession([{ path: 'a.txt', before: 'old', after: 'new' }]);
    const review = reviewSession(s.workspace, s.id, new NodeFileStore(s.workspace));
    const unknown = await review.keep('other.txt');
    assert.equal(!unknown.ok && unknown.reason, 'unknown_file');
    // The copy of the content before, damaged in the pack: it reads as missing, never as other bytes.
    const pack = fs.readFileSync(path.join(s.dir, 'blobs.pack'), 'latin1');
    const damaged = pack.replace(`blob ${sha256('old')} 3\nold`, `blob ${sha256('old')} 3\nOLD`);
    assert.notEqual(damaged, pack, 'the record of the content before is in the pack');
    fs.writeFileSync(path.join(s.dir, 'blobs.pack'), damaged, 'latin1');
    const missing = await review.revert('a.txt');
    assert.equal(!missing.ok && missing.reason, 'missing_blob');
    assert.equal(fs.readFileSync(path.join(s.workspace, 'a.txt'), 'utf8'), 'new');
    assert.throws(() => reviewSession(s.workspace, 'nope', new NodeFileStore(s.workspace)), /No session "nope"/);
  });

  it('reviews a session the engine ran: keep one, revert one, the report shows both', async () => {
    const ws = workspace();
    fs.writeFileSync(path.join(ws, 'two.txt'), 'two before');
    const r = run('two files', {
      orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 't1', role: 'a' }]) : { error: { code: 'bad_request', retryable: false } }),
      p1: writesThenFinishes({ 'one.txt': 'one', 'two.txt': 'two' }),
    }, { workspace: ws });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed');
    const review = reviewSession(r.workspace, r.handle.sessionId, new NodeFileStore(r.workspace));
    assert.ok((await review.keep('one.txt')).ok);
    const two = await review.revert('two.txt');
    assert.ok(two.ok, JSON.stringify(two));
    assert.equal(fs.readFileSync(path.join(r.workspace, 'one.txt'), 'utf8'), 'one');
    assert.equal(fs.readFileSync(path.join(r.workspace, 'two.txt'), 'utf8'), 'two before');
    const report = JSON.parse(fs.readFileSync(path.join(r.handle.dir, 'report.json'), 'utf8'));
    assert.deepEqual(report.files.map((f: { path: string; review: string }) => `${f.path}:${f.review}`), ['one.txt:kept', 'two.txt:reverted']);
  });
});
