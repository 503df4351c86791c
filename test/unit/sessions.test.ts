// One sessions module for the CLI and the extension: listing reads the summary.json the engine
// writes, and folds a log only when the summary is missing or no longer covers it.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventLog, sessionDir } from '../../src/core/store/log';
import { findSession, listSessions, rebuildReport, resumableSessions, sessionSummary, workspaceOf } from '../../src/core/store/sessions';
import { statusText } from '../../src/core/fold/summary';
import { sessionsCommand } from '../../src/cli/commands';
import { planStep, writesThenFinishes } from '../helpers/scripted';
import { run, tempWorkspace } from '../helpers/session';

const config = { orchestrator: { provider: 'p', model: 'm' }, roles: {}, maxConcurrency: 1 };
const stored = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { logBytes: number; goal: string; status: string; costText: string };
const logSize = (dir: string) => fs.statSync(path.join(dir, 'events.jsonl')).size;

/** A session that crashed mid-way: its log has no end, and it never got to write a summary. */
function crashed(workspace: string, id: string, at: number): string {
  const dir = sessionDir(workspace, id);
  const log = EventLog.open(dir, { now: () => at, sleep: async () => {} });
  log.emit({ type: 'session.started', sessionId: id, goal: `crashed ${id}`, config });
  log.emit({ type: 'phase.started', phase: 'planning' });
  log.emit({ type: 'llm.request', callId: 'c1', agentId: 'orchestrator-0', provider: 'p', model: 'm', trace: 'plan#1', attempt: 1, reservedUsd: 0.01 });
  log.emit({ type: 'llm.response', callId: 'c1', agentId: 'orchestrator-0', provider: 'p', model: 'm', latencyMs: 1, usage: { input: 1, output: 1 }, costUsd: 0.004, stopReason: 'end', toolCalls: [] });
  log.close();
  fs.appendFileSync(path.join(dir, 'events.jsonl'), '{"type":"llm.req'); // killed mid-write
  return dir;
}

describe('sessions: one module for the CLI and the extension', function () {
  this.timeout(30_000);

  async function finished(workspace: string, goal = 'one file') {
    const r = run(goal, { orch: () => planStep([{ id: 'x', role: 'a' }]), p1: writesThenFinishes({ 'x.txt': 'x' }), p2: () => ({ hang: true }) }, { workspace });
    await r.handle.done;
    return r.handle.dir;
  }

  it('the engine writes summary.json covering the whole log, and listing reads it instead of the log', async () => {
    const ws = tempWorkspace();
    const dir = await finished(ws);
    const s = stored(dir);
    assert.equal(s.logBytes, logSize(dir), 'the summary covers the log up to its last event');
    assert.deepEqual([s.goal, s.status, s.costText], ['one file', 'completed', '$0.0006'] /* 3 calls × (100 in × $1 + 50 out × $2) per M */);
    // Replace the log by as many bytes of nothing: a listing that folded it would not find the session.
    fs.writeFileSync(path.join(dir, 'events.jsonl'), ' '.repeat(s.logBytes));
    const [listed] = listSessions(ws);
    assert.equal(listed?.summary.goal, 'one file');
    assert.equal(listed?.summary.status, 'completed');
  });

  it('rebuilds a stale summary from the log (its recorded size is not the log\'s), and writes it back', async () => {
    const ws = tempWorkspace();
    const dir = await finished(ws);
    const file = path.join(dir, 'summary.json');
    fs.writeFileSync(file, JSON.stringify({ ...stored(dir), goal: 'stale', logBytes: 1 }));
    assert.equal(sessionSummary(dir)?.goal, 'one file');
    assert.equal(stored(dir).goal, 'one file');
    assert.equal(stored(dir).logBytes, logSize(dir));
    // A decision appended to the log later makes it stale too: the next listing sees it.
    fs.writeFileSync(file, '{ damaged');
    assert.equal(listSessions(ws)[0]?.summary.files, 1);
    assert.equal(stored(dir).logBytes, logSize(dir));
  });

  it('lists a crash-left log (no summary, a truncated last line) as interrupted, resumable, newest first', async () => {
    const ws = tempWorkspace();
    await finished(ws, 'done earlier');
    const old = crashed(ws, '20000101-000000-aaaaaa', Date.parse('2000-01-01'));
    const newest = crashed(ws, '29990101-000000-bbbbbb', Date.parse('2999-01-01'));
    assert.equal(fs.existsSync(path.join(old, 'summary.json')), false);
    const listed = listSessions(ws);
    assert.deepEqual(listed.map((s) => s.summary.goal), ['crashed 29990101-000000-bbbbbb', 'done earlier', 'crashed 20000101-000000-aaaaaa']);
    assert.equal(statusText(listed[0]!.summary.status), 'interrupted');
    assert.equal(listed[0]!.summary.costText, '$0.0040');
    assert.equal(stored(newest).logBytes, logSize(newest), 'folded once, and the summary written back');
    assert.deepEqual(resumableSessions(ws).map((s) => s.dir), [newest, old]);
    // The CLI lists them with the same words.
    const lines: string[] = [];
    assert.equal(sessionsCommand({ workspace: ws }, { out: (l) => lines.push(l), err: () => {} }), 0);
    assert.match(lines[0]!, /^29990101-000000-bbbbbb +interrupted +\$0\.0040 +crashed/);
    assert.match(lines[1]!, /completed/);
    const json: string[] = [];
    sessionsCommand({ workspace: ws, json: true }, { out: (l) => json.push(l), err: () => {} });
    assert.equal(JSON.parse(json[0]!)[0].status, 'interrupted');
  });

  it('rebuilds an interrupted session\'s report from its log, status "interrupted"', () => {
    const ws = tempWorkspace();
    const dir = crashed(ws, 's1', 1000);
    const { report, skipped } = rebuildReport(dir);
    assert.equal(skipped, 1);
    assert.equal(report.status, 'interrupted');
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')).status, 'interrupted');
    assert.match(fs.readFileSync(path.join(dir, 'report.md'), 'utf8'), /\*\*Status:\*\* interrupted/);
    assert.equal(stored(dir).logBytes, logSize(dir));
  });

  it('finds a session by id or folder, and never by a path that leaves the sessions folder', () => {
    const ws = tempWorkspace();
    const dir = crashed(ws, 's1', 1000);
    assert.deepEqual(findSession(ws, 's1'), { dir, workspace: ws });
    assert.deepEqual(findSession(tempWorkspace(), dir), { dir, workspace: ws });
    assert.equal(workspaceOf(dir), ws);
    assert.equal(workspaceOf(ws), undefined);
    fs.mkdirSync(path.join(ws, '.ensemble', 'x'), { recursive: true });
    fs.copyFileSync(path.join(dir, 'events.jsonl'), path.join(ws, '.ensemble', 'x', 'events.jsonl'));
    assert.equal(findSession(ws, '../x'), undefined);
    assert.equal(findSession(ws, 'nope'), undefined);
  });
});
