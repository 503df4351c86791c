// A whole session through the same controller the commands use (the demo cassette: scripted answers
// from local servers, no key), then the panel protocol and the review against its log.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EnsembleEvent } from '../../../src/core/events';
import { foldEvents, type SessionState } from '../../../src/core/fold/state';
import { readEvents } from '../../../src/core/store/log';
import { COMMANDS, type HostMessage } from '../../../src/protocol';
import type { EnsembleApi } from '../../../src/vscode/api';
import { beforeUri } from '../../../src/vscode/beforeContent';
import type { SessionRef } from '../../../src/vscode/focus';
import { foldPanel, getApi, nextEvent, tempFolder } from './helpers';

function assertPanelMatchesLog(messages: HostMessage[], ref: SessionRef, dir: string): EnsembleEvent[] {
  const log = readEvents(path.join(dir, 'events.jsonl')).events;
  const { state, from, seqs } = foldPanel(messages, ref.sessionId);
  assert.deepEqual(seqs, log.filter((e) => e.seq > from).map((e) => e.seq), 'the panel got every event after its snapshot once, in order');
  assert.deepEqual(state, foldEvents(log));
  return log;
}

const SEED = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('/* the user\'s own styles */\r\nbody { color: red; }\r\n'), Buffer.from([0xff, 0x00, 0x0d, 0x0a])]);

export function registerSessionTests(): void {
  describe('a demo session through the controller', function () {
    this.timeout(180_000);
    let api: EnsembleApi;
    let folder: string;
    let ref: SessionRef;
    let dir: string;
    let final: SessionState;
    let busyError: unknown;
    const messages: HostMessage[] = [];
    let sub: vscode.Disposable;

    before(async () => {
      api = await getApi();
      folder = tempFolder();
      fs.mkdirSync(path.join(folder, 'public'));
      fs.writeFileSync(path.join(folder, 'public', 'styles.css'), SEED); // modified by the session
      sub = api.feed.onDidMessage((m) => messages.push(m));
      const ended = nextEvent(api.controller.onDidEnd);
      const active = await api.controller.startDemo(folder, { runTests: 'never' });
      busyError = await api.controller.startDemo(tempFolder()).then(() => undefined, (e: unknown) => e);
      ref = active.ref;
      dir = active.handle.dir;
      assert.equal(api.focus.ref?.sessionId, ref.sessionId, 'a started session gets the focus');
      final = await active.handle.done;
      await ended;
      api.feed.flush();
    });

    after(() => {
      sub?.dispose();
      fs.rmSync(folder, { recursive: true, force: true });
    });

    it('runs to the end: files appear, the log and the report exist', () => {
      assert.equal(final.status, 'completed', final.error);
      assert.equal(final.scripted, true);
      for (const f of ['server.js', 'package.json', 'public/index.html', 'public/app.js', 'public/styles.css', 'test/server.test.js']) assert.ok(fs.existsSync(path.join(folder, f)), `${f} was not written`);
      assert.ok(fs.existsSync(path.join(dir, 'events.jsonl')));
      const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
      assert.equal(report.status, 'completed');
      assert.equal(report.files.length, 6);
      assert.match(fs.readFileSync(path.join(dir, 'report.md'), 'utf8'), /^# Ensemble session report/);
      assert.equal(api.controller.active, undefined);
      // The Changes view starts collapsed, so it is never asked for its items: its badge still counts.
      assert.deepEqual(api.changesBadge(), { value: 6, tooltip: '6 changes to review' });
    });

    it('allowed one session at a time', () => {
      assert.ok(busyError instanceof Error && /already running/.test(busyError.message), String(busyError));
    });

    it('sent the panel a snapshot and batches that fold to the log\'s state', () => {
      const log = assertPanelMatchesLog(messages, ref, dir);
      const batches = messages.filter((m) => m.type === 'events');
      assert.ok(batches.length < log.length, `events are batched (${batches.length} messages for ${log.length} events)`);
      const last = [...messages].reverse().find((m) => m.type === 'sessions' || m.type === 'snapshot');
      const listed = last && 'sessions' in last ? last.sessions.find((s) => s.sessionId === ref.sessionId) : undefined;
      assert.ok(listed, 'the session is listed');
      assert.equal(listed.live, false);
      assert.equal(listed.status, 'completed');
    });

    it('serves the content before the session under ensemble-before, and opens diffs', async () => {
      const before = await vscode.workspace.openTextDocument(beforeUri(ref, 'public/styles.css'));
      assert.equal(before.getText(), new TextDecoder().decode(SEED));
      const created = await vscode.workspace.openTextDocument(beforeUri(ref, 'server.js'));
      assert.equal(created.getText(), '');
      await vscode.commands.executeCommand(COMMANDS.openDiff, 'public/styles.css');
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      assert.ok(input instanceof vscode.TabInputTextDiff, 'a diff editor opened');
      assert.equal(input.original.scheme, 'ensemble-before');
      assert.equal(path.basename(input.modified.fsPath), 'styles.css');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('keeps, reverts byte-exact, and refuses to overwrite the user\'s edits unless confirmed', async () => {
      const kept = await api.review.keep('server.js', ref);
      assert.ok(kept?.ok, JSON.stringify(kept));
      const serverJs = fs.readFileSync(path.join(folder, 'server.js'));

      const reverted = await api.review.revert('public/styles.css', { ref, confirm: async () => assert.fail('no conflict expected') });
      assert.ok(reverted?.ok, JSON.stringify(reverted));
      assert.deepEqual(fs.readFileSync(path.join(folder, 'public', 'styles.css')), SEED);

      const createdGone = await api.review.revert('public/index.html', { ref });
      assert.ok(createdGone?.ok);
      assert.equal(fs.existsSync(path.join(folder, 'public', 'index.html')), false);

      const appJs = path.join(folder, 'public', 'app.js');
      fs.appendFileSync(appJs, '\n// my edit\n');
      const questions: string[] = [];
      const refused = await api.review.revert('public/app.js', { ref, confirm: async (q) => (questions.push(q), false) });
      assert.equal(refused?.ok, false);
      assert.equal(refused && !refused.ok && refused.reason, 'conflict');
      assert.deepEqual(questions, ['public/app.js was edited after Ensemble changed it. Revert anyway and lose your edits?']);
      assert.match(fs.readFileSync(appJs, 'utf8'), /\/\/ my edit/);

      const forced = await api.review.revert('public/app.js', { ref, confirm: async () => true });
      assert.ok(forced?.ok);
      assert.equal(fs.existsSync(appJs), false);
      assert.deepEqual(fs.readFileSync(path.join(folder, 'server.js')), serverJs, 'a kept file is untouched');

      const log = readEvents(path.join(dir, 'events.jsonl')).events;
      assert.deepEqual(
        log.filter((e) => e.type === 'review.kept' || e.type === 'review.reverted').map((e) => `${e.type}:${'path' in e ? e.path : ''}`),
        ['review.kept:server.js', 'review.reverted:public/styles.css', 'review.reverted:public/index.html', 'review.reverted:public/app.js'],
      );
      const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
      const review = Object.fromEntries(report.files.map((f: { path: string; review: string }) => [f.path, f.review]));
      assert.deepEqual(review, { 'server.js': 'kept', 'package.json': 'pending', 'test/server.test.js': 'pending', 'public/index.html': 'reverted', 'public/styles.css': 'reverted', 'public/app.js': 'reverted' });

      assert.deepEqual(api.changesBadge(), { value: 2, tooltip: '2 changes to review' }, 'the badge follows the decisions');
      // The panel saw the decisions too (re-read from the log after each one).
      api.feed.flush();
      assertPanelMatchesLog(messages, ref, dir);
    });

    it('opens the report as a Markdown preview', async () => {
      await vscode.commands.executeCommand(COMMANDS.openReport);
      const deadline = Date.now() + 10_000;
      let input: unknown;
      while (Date.now() < deadline) {
        input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
        if (input instanceof vscode.TabInputWebview) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(input instanceof vscode.TabInputWebview, 'a preview opened');
      assert.match(input.viewType, /markdown/i);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
  });

  describe('cancelling a session', function () {
    this.timeout(60_000);
    it('stops it, and the log and report say cancelled', async () => {
      const api = await getApi();
      const folder = tempFolder();
      try {
        const active = await api.controller.startDemo(folder, { runTests: 'never' });
        assert.equal(api.controller.cancel(), true);
        const state = await active.handle.done;
        assert.equal(state.status, 'cancelled');
        assert.equal(api.controller.active, undefined);
        assert.equal(api.controller.cancel(), false, 'nothing left to cancel');
        const report = JSON.parse(fs.readFileSync(path.join(active.handle.dir, 'report.json'), 'utf8'));
        assert.equal(report.status, 'cancelled');
      } finally {
        fs.rmSync(folder, { recursive: true, force: true });
      }
    });
  });
}
