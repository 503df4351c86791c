// Best of several in the editor: a candidate's changes opened from the session's blobs (the changes
// editor for several files, the diff editor for one), the CandidateChooser the engine asks with
// `candidateApproval: "ask"` (answered from the panel's message, withdrawn by a cancel), and the two
// settings. The session is a hand-written race's log (test/helpers/race.ts) with its blobs, in a
// temporary workspace: no engine runs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BlobStore } from '../../../src/core/store/blobs';
import { sessionDir } from '../../../src/core/store/log';
import { COMMANDS } from '../../../src/protocol';
import type { EnsembleApi } from '../../../src/vscode/api';
import { CANDIDATE_SCHEME, candidateUri } from '../../../src/vscode/candidateDiff';
import { configFromSettings } from '../../../src/vscode/settings';
import { RACE_SESSION, candidateFiles, raceBlobs, raceEvents } from '../../helpers/race';
import { getApi, tempFolder, waitFor, waitForEvent } from './helpers';

export function registerCandidateTests(): void {
  describe('best of several in the editor', function () {
    this.timeout(60_000);
    let api: EnsembleApi;
    let workspace: string;

    before(async () => {
      api = await getApi();
      workspace = tempFolder();
      const dir = sessionDir(workspace, RACE_SESSION);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'events.jsonl'),
        raceEvents()
          .map((e) => JSON.stringify(e) + '\n')
          .join(''),
      );
      const blobs = new BlobStore(dir);
      for (const content of raceBlobs().values()) blobs.put(content);
      api.focus.set({ workspace, sessionId: RACE_SESSION });
    });
    after(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it("serves each side of a candidate's file from the session's blobs: before, after, absent, too large to keep", async () => {
      const ref = { workspace, sessionId: RACE_SESSION };
      const [, , pkg] = candidateFiles('api#2');
      const blobs = raceBlobs();
      const text = async (uri: vscode.Uri) => (await vscode.workspace.openTextDocument(uri)).getText();
      assert.equal(await text(candidateUri(ref, pkg!.path, { sha: pkg!.beforeSha, label: 'probe' })), blobs.get(pkg!.beforeSha!));
      assert.equal(await text(candidateUri(ref, pkg!.path, { sha: pkg!.afterSha, label: 'probe' })), blobs.get(pkg!.afterSha!));
      assert.equal(await text(candidateUri(ref, 'db.js', { sha: null, label: 'probe' })), '', 'a file the candidate created was absent before');
      assert.match(await text(candidateUri(ref, 'big.bin', { sha: null, known: false, label: 'probe' })), /too large to keep/);
      assert.match(await text(candidateUri(ref, 'x.js', { sha: 'f'.repeat(64), label: 'probe' })), /is not in session race-1's store/);
    });

    it("opens a candidate's changes: several files in the changes editor, titled with the candidate", async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.commands.executeCommand(COMMANDS.openCandidateDiff, 'api#2');
      const label = () => vscode.window.tabGroups.activeTabGroup.activeTab?.label;
      await waitFor(() => !!label(), 10_000, 'the changes editor');
      assert.equal(label(), 'Candidate api#2 (openai/gpt-5): +6 −1 (3 files)');
      // Its sides are the candidate's blobs: the editor loaded each file's, before and after.
      const loaded = () =>
        vscode.workspace.textDocuments
          .filter((d) => d.uri.scheme === CANDIDATE_SCHEME)
          .map((d) => `${d.uri.path} ${new URLSearchParams(d.uri.query).get('side')}`)
          .filter((x) => !x.endsWith(' probe')) // the documents the test above opened
          .sort();
      await waitFor(() => loaded().length >= 6, 10_000, "the candidate's files");
      assert.deepEqual(loaded(), ['/db.js api#2', '/db.js before', '/package.json api#2', '/package.json before', '/server.js api#2', '/server.js before']);
      const after = vscode.workspace.textDocuments.find((d) => d.uri.path === '/package.json' && d.uri.query.includes('side=api%232'));
      assert.match(after!.getText(), /"express": "\^4"/);
    });

    it('asks which candidate to apply, recommended first; a pick the question does not offer is refused; a cancel withdraws it (none applied)', async () => {
      const q = {
        taskId: 'api',
        title: 'REST API for the todos',
        round: 1,
        recommended: 'api#3',
        reason: 'passed, cheapest of 2 that passed',
        candidates: [
          { candidateId: 'api#1', provider: 'anthropic', model: 'claude-sonnet-4-5', passed: false, costUsd: 0.0412, files: 2, lines: 3 },
          { candidateId: 'api#2', provider: 'openai', model: 'gpt-5', passed: true, costUsd: 0.0625, files: 3, lines: 7 },
          { candidateId: 'api#3', provider: 'gemini', model: 'gemini-2.5-flash', passed: true, costUsd: 0.0087, files: 2, lines: 4 },
        ],
      };
      const asked = waitForEvent(api.questions.onDidChange, (qs) => qs.some((x) => x.kind === 'candidate'), 5000, 'the candidate question');
      const answer = api.questions.chooseCandidate(q, new AbortController().signal);
      const [shown] = await asked;
      assert.ok(shown && shown.kind === 'candidate');
      assert.deepEqual(
        shown.candidates.map((c) => c.candidateId),
        ['api#3', 'api#1', 'api#2'],
      );
      assert.equal(api.questions.answer(shown.id, 'once'), false, 'a candidate question takes no command answer');
      assert.equal(api.questions.choose(shown.id, 'api#9'), false, 'nor a candidate it does not offer');
      assert.equal(api.questions.choose(shown.id, 'api#2'), true);
      assert.equal(await answer, 'api#2');
      assert.equal(api.questions.choose(shown.id, 'api#3'), false, 'an answered question no longer waits');

      const cancel = new AbortController();
      const again = waitForEvent(api.questions.onDidChange, (qs) => qs.some((x) => x.kind === 'candidate'), 5000, 'the candidate question');
      const withdrawn = api.questions.chooseCandidate(q, cancel.signal);
      const [second] = await again;
      cancel.abort();
      assert.equal(await withdrawn, null);
      assert.equal(api.questions.waiting.length, 0);
      assert.equal(api.questions.choose(second!.id, null), false);
      await vscode.commands.executeCommand('notifications.clearAll');
    });

    it("maps ensemble.candidateApproval and ensemble.bestOf to the engine's configuration (auto and unset by default)", () => {
      const config = configFromSettings({});
      assert.equal(config.candidateApproval, 'auto');
      assert.equal(config.bestOf, undefined);
      const set = configFromSettings({ candidateApproval: 'ask', bestOf: 3 });
      assert.equal(set.candidateApproval, 'ask');
      assert.equal(set.bestOf, 3);
      assert.throws(() => configFromSettings({ bestOf: 7 }), /The setting ensemble\.bestOf is invalid/);
      const pkg = vscode.extensions.getExtension('ensemble-dev.ensemble')!.packageJSON.contributes.configuration.properties;
      assert.equal(pkg['ensemble.candidateApproval'].default, 'auto');
      assert.deepEqual([pkg['ensemble.bestOf'].minimum, pkg['ensemble.bestOf'].maximum], [2, 4]);
      assert.equal(CANDIDATE_SCHEME, 'ensemble-candidate');
    });
  });
}
