// A real session (not the demo replay): the real OpenAI, Anthropic and Gemini SDKs talk to local fake
// servers started here in the extension host, reached the way a user in a container would reach
// them: `*_BASE_URL` / `*_API_KEY` environment variables, and the OpenAI key stored in SecretStorage
// through the extension's key service. Roles come from the `ensemble.*` settings, and config and
// resolver come from the same wiring the commands use (engine.ts: settings + keys → config → resolver).
//
// The story: the orchestrator plans A then B (B depends on A); A completes; B's provider hangs;
// Ensemble: Cancel Session stops it; Ensemble: Resume Session (given the session id) continues it,
// and completes without re-running A or planning again.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { missingKeys } from '../../../src/core/config';
import type { EnsembleEvent } from '../../../src/core/events';
import { foldEvents, type SessionState } from '../../../src/core/fold/state';
import { readEvents } from '../../../src/core/store/log';
import { startFakeServer, type FakeReply, type FakeRequest, type FakeServer } from '../../../src/fakes';
import { COMMANDS, type HostMessage } from '../../../src/protocol';
import type { EnsembleApi } from '../../../src/vscode/api';
import { loadEngine } from '../../../src/vscode/engine';
import type { ActiveSession } from '../../../src/vscode/sessionController';
import { resumableSessions } from '../../../src/core/store/sessions';
import { foldPanel, getApi, nextEvent, tempFolder, waitForEvent, withTimeout, saveEnv, saveKeys, setSettings, undoHostChanges } from './helpers';

const FILE_A = 'ensemble-resume-a.txt';
const FILE_B = 'ensemble-resume-b.txt';
const GOAL = 'Two files, the second building on the first';

/** The settings the test sets (user scope), by their name under `ensemble.`. */
const SETTINGS: Record<string, unknown> = {
  orchestrator: { provider: 'anthropic', model: 'claude-resume-test' },
  roles: {
    alpha: { provider: 'openai', model: 'gpt-resume-test', description: 'Writes the first file.' },
    beta: { provider: 'gemini', model: 'gemini-resume-test', description: 'Writes the second file.' },
  },
  'validation.runTests': 'never',
  planApproval: 'auto', // the plan's review has its own suite (plan.test.ts)
  // An unexpected request is answered with a 400 (not retryable): no backoff either way.
  retry: { maxRetries: 0, maxBackoffMs: 1 },
};

const ENV_VARS = ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'ANTHROPIC_BASE_URL', 'ANTHROPIC_API_KEY', 'GEMINI_BASE_URL', 'GEMINI_API_KEY'] as const;
const PROVIDERS = ['openai', 'anthropic', 'gemini'] as const;

const reply = (toolCalls: { name: string; arguments: Record<string, unknown> }[]): FakeReply => ({ kind: 'reply', toolCalls, usage: { input: 120, output: 40 } });
const write = (p: string, content: string) => reply([{ name: 'write_file', arguments: { path: p, content } }]);
const finish = (summary: string) => reply([{ name: 'finish', arguments: { summary } }]);

const PLAN = reply([
  {
    name: 'submit_plan',
    arguments: {
      rationale: 'A first; B builds on it.',
      tasks: [
        { id: 'A', title: 'Write the first file', description: `Create ${FILE_A}.`, role: 'alpha', dependsOn: [] },
        { id: 'B', title: 'Write the second file', description: `Create ${FILE_B}, which builds on ${FILE_A}.`, role: 'beta', dependsOn: ['A'] },
      ],
    },
  },
]);

const count = (server: FakeServer, trace: string) => server.requests.filter((r) => r.trace === trace).length;

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}

export function registerResumeTests(): void {
  describe('a real session on fake providers: cancel, then resume', function () {
    this.timeout(60_000);
    let api: EnsembleApi;
    let folder: vscode.WorkspaceFolder;
    let inWorkspace: boolean;
    let sessionsExisted: boolean;
    const servers: Partial<Record<(typeof PROVIDERS)[number], FakeServer>> = {};
    let restoreEnv: (() => void) | undefined;
    let restoreSettings: (() => Promise<void>) | undefined;
    let restoreKeys: (() => Promise<void>) | undefined;
    const unexpected: string[] = [];
    const messages: HostMessage[] = [];
    let feedSub: vscode.Disposable | undefined;

    // Keys: OpenAI's in SecretStorage (with a decoy in OPENAI_API_KEY that must not be used); the
    // others in the environment. All distinctive, to look for in the session's files.
    const tag = randomBytes(8).toString('hex');
    const KEYS = { secretOpenai: `sk-secret-${tag}-oa`, decoyOpenai: `sk-envdecoy-${tag}-oa`, anthropic: `sk-ant-env-${tag}-an`, gemini: `AIza-env-${tag}-ge` };

    // What the fakes answer: phase 'first' hangs B, phase 'resumed' answers it.
    let phase: 'first' | 'resumed' = 'first';
    let bHung: () => void = () => {};
    const bHanging = new Promise<void>((resolve) => (bHung = resolve));
    let sessionId = '';
    let resumedSeq = Number.POSITIVE_INFINITY;
    let panelLive: boolean | undefined;

    let first: ActiveSession;
    let firstState: SessionState;
    let cancelMs = 0;
    let logAtCancel: EnsembleEvent[] = [];
    let requestsAtResume: Record<string, number> = {};
    let resumed: ActiveSession;
    let finalState: SessionState;

    const off = (r: FakeRequest): FakeReply => {
      unexpected.push(`${r.provider} ${r.trace ?? '(no trace)'} (${phase})`);
      return { kind: 'error', status: 400, message: `unexpected request ${r.trace} in phase ${phase}` };
    };

    /** Resolves once the panel has been sent (live, in a snapshot or a batch) B's resumed request. */
    const panelSawResumedB = () => {
      // A snapshot holds the state, not the events: B running (or done) after the resume.
      const seen = (m: HostMessage) =>
        m.type === 'snapshot'
          ? m.sessionId === sessionId && m.seq > resumedSeq && ['running', 'completed'].includes(m.state?.tasks.B?.status ?? '')
          : m.type === 'events' && m.sessionId === sessionId && m.events.some((e) => e.type === 'llm.request' && e.taskId === 'B' && e.seq > resumedSeq);
      if (messages.some(seen)) return Promise.resolve();
      return waitForEvent(api.feed.onDidMessage, seen, 3_000, 'the panel to be sent the resumed session\'s events').then(() => undefined);
    };

    before(async () => {
      api = await getApi();
      const folders = vscode.workspace.workspaceFolders ?? [];
      // The workspace folder when there is exactly one (what Resume Session picks without asking);
      // otherwise a temporary folder (and the real command is not run).
      inWorkspace = folders.length === 1 && ![FILE_A, FILE_B].some((f) => fs.existsSync(path.join(folders[0]!.uri.fsPath, f)));
      folder = inWorkspace ? folders[0]! : { uri: vscode.Uri.file(tempFolder()), name: 'temp', index: 0 };
      sessionsExisted = fs.existsSync(path.join(folder.uri.fsPath, '.ensemble'));

      servers.anthropic = await startFakeServer('anthropic', (r) => (r.trace === 'plan#1' && phase === 'first' ? PLAN : off(r)));
      servers.openai = await startFakeServer('openai', (r) => {
        if (phase !== 'first') return off(r);
        if (r.trace === 'task/A#1') return write(FILE_A, 'first\n');
        if (r.trace === 'task/A#2') return finish(`wrote ${FILE_A}`);
        return off(r);
      });
      servers.gemini = await startFakeServer('gemini', async (r) => {
        if (r.trace === 'task/B#1' && phase === 'first') {
          bHung();
          return { kind: 'hang' };
        }
        if (r.trace === 'task/B#1' && phase === 'resumed') {
          // Answer once the panel has seen this request live (or after 3 s: then the check fails).
          panelLive = await panelSawResumedB().then(() => true, () => false);
          return write(FILE_B, 'second, after first\n');
        }
        if (r.trace === 'task/B#2' && phase === 'resumed') return finish(`wrote ${FILE_B}`);
        return off(r);
      });

      restoreEnv = saveEnv(ENV_VARS);
      process.env.OPENAI_BASE_URL = servers.openai.baseUrl;
      process.env.OPENAI_API_KEY = KEYS.decoyOpenai;
      process.env.ANTHROPIC_BASE_URL = servers.anthropic.baseUrl;
      process.env.ANTHROPIC_API_KEY = KEYS.anthropic;
      process.env.GEMINI_BASE_URL = servers.gemini.baseUrl;
      process.env.GEMINI_API_KEY = KEYS.gemini;

      restoreKeys = await saveKeys(api, PROVIDERS);
      await api.keys.clear('anthropic');
      await api.keys.clear('gemini');
      await api.keys.set('openai', KEYS.secretOpenai);

      restoreSettings = await setSettings(SETTINGS);
      feedSub = api.feed.onDidMessage((m) => messages.push(m));
    });

    after(async () => {
      await undoHostChanges(api, { feed: feedSub, servers, env: restoreEnv, settings: restoreSettings, keys: restoreKeys });
      if (!folder) return;
      if (!inWorkspace) return fs.rmSync(folder.uri.fsPath, { recursive: true, force: true });
      for (const f of [FILE_A, FILE_B]) fs.rmSync(path.join(folder.uri.fsPath, f), { force: true });
      if (sessionId) fs.rmSync(path.join(folder.uri.fsPath, '.ensemble', 'sessions', sessionId), { recursive: true, force: true });
      if (!sessionsExisted) fs.rmSync(path.join(folder.uri.fsPath, '.ensemble'), { recursive: true, force: true });
    });

    it('starts from the settings and keys like Start Orchestration; Cancel Session stops B\'s hung call within 1 s', async () => {
      // What Start Orchestration does after its pre-flight: loadEngine(keys, folder.uri), then start.
      const engine = await loadEngine(api.keys, folder.uri);
      assert.deepEqual(engine.config.orchestrator, SETTINGS.orchestrator);
      assert.deepEqual(Object.keys(engine.config.roles), ['alpha', 'beta']);
      assert.deepEqual(missingKeys(engine.config, engine.resolver.hasKey), [], 'every provider in use has a key');
      first = api.controller.start({ goal: GOAL, workspace: folder.uri.fsPath, config: engine.config, resolve: (id) => engine.resolver.resolve(id) });
      sessionId = first.handle.sessionId;
      assert.equal(first.kind, 'run');

      await withTimeout(bHanging, 30_000, 'task B\'s request to reach the fake Gemini server');
      assert.equal(first.handle.state.tasks.A?.status, 'completed');
      assert.equal(first.handle.state.tasks.B?.status, 'running');
      assert.equal(fs.readFileSync(path.join(folder.uri.fsPath, FILE_A), 'utf8'), 'first\n');

      const t0 = Date.now();
      await vscode.commands.executeCommand(COMMANDS.cancel); // what the Cancel button runs
      firstState = await withTimeout(first.handle.done, 10_000, 'the cancelled session to end');
      cancelMs = Date.now() - t0;
      assert.equal(firstState.status, 'cancelled', firstState.error);
      assert.ok(cancelMs < 1_000, `the session took ${cancelMs} ms to end after Cancel`);
      assert.equal(api.controller.active, undefined);

      logAtCancel = readEvents(path.join(first.handle.dir, 'events.jsonl')).events;
      const ended = logAtCancel.filter((e) => e.type === 'session.ended');
      assert.deepEqual(ended.map((e) => e.type === 'session.ended' && [e.status, e.error]), [['cancelled', 'cancelled by the user']]);
      const bError = logAtCancel.find((e) => e.type === 'llm.error' && e.taskId === 'B');
      assert.ok(bError && bError.type === 'llm.error' && bError.code === 'aborted', `B's call is logged as aborted: ${JSON.stringify(bError)}`);
      assert.equal(JSON.parse(fs.readFileSync(path.join(first.handle.dir, 'report.json'), 'utf8')).status, 'cancelled');
      assert.deepEqual(unexpected, []);
    });

    it('resumes like Resume Session: A is not re-run, planning is not repeated, B completes', async () => {
      assert.ok(sessionId, 'the first test started the session');
      phase = 'resumed';
      requestsAtResume = Object.fromEntries(PROVIDERS.map((p) => [p, servers[p]!.requests.length]));

      // The session is offered by Resume Session, and the command itself resumes it (given its id,
      // as the panel's session list does; without one it asks with a QuickPick).
      const unfinished = resumableSessions(folder.uri.fsPath);
      const pick = unfinished.find((s) => s.sessionId === sessionId);
      assert.ok(pick, `the cancelled session is offered (offered: ${unfinished.map((s) => s.sessionId).join(', ') || 'none'})`);
      assert.equal(pick.summary.status, 'cancelled');
      assert.equal(pick.summary.goal, GOAL);
      const engine = await loadEngine(api.keys, folder.uri);
      assert.deepEqual(missingKeys(engine.config, engine.resolver.hasKey), []);
      const ended = nextEvent(api.controller.onDidEnd);
      const started = nextEvent(api.controller.onDidStart);
      await vscode.commands.executeCommand('ensemble.resume', sessionId);
      resumed = await withTimeout(started, 10_000, 'Resume Session to start the session');
      assert.equal(resumed.kind, 'resume');
      assert.equal(resumed.handle.sessionId, sessionId);
      resumedSeq = resumed.handle.log.readAll().find((e) => e.type === 'session.resumed')?.seq ?? 0;
      assert.ok(resumedSeq > 0, 'the log says the session was resumed');

      finalState = await withTimeout(resumed.handle.done, 30_000, 'the resumed session to end');
      await withTimeout(ended, 5_000, 'the controller\'s onDidEnd');
      assert.equal(finalState.status, 'completed', finalState.error);
      assert.deepEqual(unexpected, []);

      // Not repeated: no planning, no A. Only B's two turns reached a provider.
      assert.equal(count(servers.anthropic!, 'plan#1'), 1, 'planned once');
      assert.equal(count(servers.openai!, 'task/A#1'), 1, 'A ran once');
      assert.equal(servers.anthropic!.requests.length, requestsAtResume.anthropic);
      assert.equal(servers.openai!.requests.length, requestsAtResume.openai);
      assert.deepEqual(servers.gemini!.requests.slice(requestsAtResume.gemini!).map((r) => r.trace), ['task/B#1', 'task/B#2']);

      const log = readEvents(path.join(resumed.handle.dir, 'events.jsonl')).events;
      assert.deepEqual(log.slice(0, logAtCancel.length), logAtCancel, 'the log was appended to, not rewritten');
      const after = log.filter((e) => e.seq > resumedSeq);
      assert.deepEqual(after.filter((e) => e.type === 'task.started').map((e) => e.type === 'task.started' && e.taskId), ['B']);
      assert.ok(!after.some((e) => (e.type === 'phase.started' && e.phase === 'planning') || e.type === 'plan.accepted'), 'planning is not repeated');
      assert.deepEqual(log.filter((e) => e.type === 'session.ended').map((e) => e.type === 'session.ended' && e.status), ['cancelled', 'completed']);

      assert.equal(fs.readFileSync(path.join(folder.uri.fsPath, FILE_A), 'utf8'), 'first\n');
      assert.equal(fs.readFileSync(path.join(folder.uri.fsPath, FILE_B), 'utf8'), 'second, after first\n');
      assert.deepEqual([finalState.tasks.A?.status, finalState.tasks.B?.status], ['completed', 'completed']);
      const report = JSON.parse(fs.readFileSync(path.join(resumed.handle.dir, 'report.json'), 'utf8'));
      assert.equal(report.status, 'completed');
      assert.deepEqual(report.files.map((f: { path: string }) => f.path).sort(), [FILE_A, FILE_B]);
      assert.match(fs.readFileSync(path.join(resumed.handle.dir, 'report.md'), 'utf8'), /completed/);
      assert.equal(api.controller.active, undefined);
    });

    it('settles every agent: none is left ACTIVE by the cancel; after resume the first run\'s read CANCELLED, the new run\'s COMPLETED', () => {
      assert.ok(finalState, 'the session was resumed');
      const line = (st: SessionState) => Object.values(st.agents).map((a) => `${a.taskId}:${a.role}:${a.status}`);
      // At the cancel: A's agent had finished, B's was stopped mid-call.
      assert.deepEqual(line(firstState), ['A:alpha:COMPLETED', 'B:beta:CANCELLED']);
      // After the resume the same log also holds the new run's agent for B, which completed; the
      // cancelled one stays cancelled (the panel groups both under task B).
      const agentsOfB = Object.values(finalState.agents).filter((a) => a.taskId === 'B');
      assert.deepEqual(agentsOfB.map((a) => a.status), ['CANCELLED', 'COMPLETED'], line(finalState).join(', '));
      assert.ok(!Object.values(finalState.agents).some((a) => a.status === 'ACTIVE' || a.status === 'READY' || a.status === 'SPAWNING'), line(finalState).join(', '));
    });

    it('narrated both runs in the Ensemble Output channel, in the CLI\'s words', () => {
      assert.ok(finalState, 'the session was resumed');
      const logged = api.logged();
      assert.ok(logged, 'the extension-host tests run in test mode: the channel\'s lines are recorded');
      const mine = logged.slice(logged.findIndex((l) => l.startsWith(`info Session ${sessionId} (run)`)));
      assert.ok(mine.length > 1, `the first run was announced: ${logged.slice(-5).join(' | ')}`);
      // Each line after the one before it (B starts in both runs).
      let from = 0;
      const at = (re: RegExp) => {
        const i = mine.findIndex((l, j) => j >= from && re.test(l));
        if (i >= 0) from = i + 1;
        return i;
      };
      const order = [/^info ▶ Planning$/, /^info ⋯ A started on openai\/gpt-resume-test$/, /^info \+ ensemble-resume-a\.txt \(created, 6 bytes\)$/, /^info ✓ A completed$/, /^warn ! gemini\/gemini-resume-test: .*/, /^info ■ session cancelled: cancelled by the user$/, new RegExp(`^info Session ${sessionId} \\(resume\\)`), /^info ⋯ B started on gemini\/gemini-resume-test$/, /^info ✓ B completed$/, /^info ■ session completed$/];
      const positions = order.map(at);
      assert.ok(positions.every((x) => x >= 0), `in order: ${order.map((re, i) => `${re} @${positions[i]}`).join(', ')}\n${mine.join('\n')}`);
      // Never a key.
      for (const l of mine) assert.ok(!l.includes(tag), `a logged line holds (part of) a key: ${l}`);
    });

    it('the panel followed the resumed session live, and what it was sent folds to the log', () => {
      assert.ok(finalState, 'the session was resumed');
      assert.equal(panelLive, true, 'the panel was sent B\'s resumed request while B was still waiting for its answer');
      api.feed.flush();
      const log = readEvents(path.join(resumed.handle.dir, 'events.jsonl')).events;
      const { state, from, seqs } = foldPanel(messages, sessionId);
      assert.deepEqual(seqs, log.filter((e) => e.seq > from).map((e) => e.seq), 'the panel got every event after its snapshot once, in order');
      assert.deepEqual(state, foldEvents(log));
    });

    it('sent the SecretStorage key (not the environment\'s) and kept every key out of the log and the report', () => {
      assert.ok(finalState, 'the session ran');
      // The key each request carried, whichever header its SDK uses (this Anthropic SDK sends a Bearer token).
      const sent = (s: FakeServer) => [...new Set(s.requests.map((r) => {
        const bearer = /^Bearer (.+)$/.exec(String(r.headers.authorization ?? ''))?.[1];
        return bearer ?? r.headers['x-api-key'] ?? r.headers['x-goog-api-key'];
      }))];
      assert.deepEqual(sent(servers.openai!), [KEYS.secretOpenai], 'OpenAI got the SecretStorage key, not OPENAI_API_KEY');
      assert.deepEqual(sent(servers.anthropic!), [KEYS.anthropic]);
      assert.deepEqual(sent(servers.gemini!), [KEYS.gemini]);

      const files = [...filesUnder(resumed.handle.dir), path.join(folder.uri.fsPath, FILE_A), path.join(folder.uri.fsPath, FILE_B)];
      for (const name of ['events.jsonl', 'report.json', 'report.md']) assert.ok(files.includes(path.join(resumed.handle.dir, name)), `${name} exists`);
      for (const file of files) {
        const text = fs.readFileSync(file, 'latin1');
        assert.ok(!text.includes(tag), `${path.relative(folder.uri.fsPath, file)} holds (part of) an API key`);
      }
    });

    it('Ensemble: Resume Session finds nothing left to resume once the session completed', async function () {
      // Given the completed session's id it refuses; with no id and nothing unfinished it only says
      // so. Either way it starts nothing.
      if (!inWorkspace || resumableSessions(folder.uri.fsPath).length) this.skip();
      let started: ActiveSession | undefined;
      const sub = api.controller.onDidStart((a) => (started = a));
      try {
        await withTimeout(vscode.commands.executeCommand(COMMANDS.resume, sessionId), 10_000, 'Resume Session (completed id) to return');
        await withTimeout(vscode.commands.executeCommand(COMMANDS.resume), 10_000, 'Resume Session to return');
      } finally {
        sub.dispose();
        await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      }
      assert.equal(started, undefined, 'no session was started');
      assert.equal(api.controller.active, undefined);
    });
  });
}
