// Steering a running session from VS Code: Ensemble: Message Agent and Ensemble: Stop Task, run as
// commands (what the panel's buttons run) on a real session whose providers are the real SDKs
// talking to local fakes (reached through *_BASE_URL / *_API_KEY, as in resume.test.ts).
//
// The story: the orchestrator plans A (alpha, OpenAI) and B (beta, Gemini), independent. While A's
// first call is in flight the user messages A's agent: A's second request carries the note. B's call
// hangs; the user stops B: its call is aborted, the orchestrator is asked (reason "stopped by the
// user") and finishes it; A is untouched and the session completes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { EnsembleEvent } from '../../../src/core/events';
import { readEvents } from '../../../src/core/store/log';
import { startFakeServer, type FakeReply, type FakeServer } from '../../../src/fakes';
import { COMMANDS, type HostMessage } from '../../../src/protocol';
import type { EnsembleApi } from '../../../src/vscode/api';
import { loadEngine } from '../../../src/vscode/engine';
import type { ActiveSession } from '../../../src/vscode/sessionController';
import { foldPanel, getApi, tempFolder, withTimeout, saveEnv, saveKeys, setSettings, undoHostChanges } from './helpers';

const NOTE = 'Use tabs for indentation: it is the house style.';

const SETTINGS: Record<string, unknown> = {
  orchestrator: { provider: 'anthropic', model: 'claude-steer-test' },
  roles: {
    alpha: { provider: 'openai', model: 'gpt-steer-test', description: 'Writes the first file.' },
    beta: { provider: 'gemini', model: 'gemini-steer-test', description: 'Writes the second file.' },
  },
  'validation.runTests': 'never',
  retry: { maxRetries: 0, maxBackoffMs: 1 },
  planApproval: 'auto', // the plan's review has its own suite (plan.test.ts)
};
const ENV_VARS = ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'ANTHROPIC_BASE_URL', 'ANTHROPIC_API_KEY', 'GEMINI_BASE_URL', 'GEMINI_API_KEY'] as const;
const PROVIDERS = ['openai', 'anthropic', 'gemini'] as const;

const reply = (toolCalls: { name: string; arguments: Record<string, unknown> }[]): FakeReply => ({ kind: 'reply', toolCalls, usage: { input: 100, output: 30 } });
const finish = (summary: string) => reply([{ name: 'finish', arguments: { summary } }]);
const PLAN = reply([
  {
    name: 'submit_plan',
    arguments: {
      rationale: 'Two independent files.',
      tasks: [
        { id: 'A', title: 'Write a.txt', description: 'Create a.txt.', role: 'alpha', dependsOn: [] },
        { id: 'B', title: 'Write b.txt', description: 'Create b.txt.', role: 'beta', dependsOn: [] },
      ],
    },
  },
]);

function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

export function registerSteeringTests(): void {
  describe('steering a running session: Message Agent and Stop Task', function () {
    this.timeout(60_000);
    let api: EnsembleApi;
    let folder = '';
    const servers: Partial<Record<(typeof PROVIDERS)[number], FakeServer>> = {};
    let restoreEnv: (() => void) | undefined;
    let restoreSettings: (() => Promise<void>) | undefined;
    let restoreKeys: (() => Promise<void>) | undefined;
    const messages: HostMessage[] = [];
    let feedSub: vscode.Disposable | undefined;
    const aInFlight = gate();
    const aAnswer = gate();
    const bInFlight = gate();
    let active: ActiveSession | undefined;

    before(async () => {
      api = await getApi();
      folder = tempFolder('ensemble-steer-');
      servers.anthropic = await startFakeServer('anthropic', (r) => {
        if (r.trace === 'plan#1') return PLAN;
        if (r.trace === 'escalate/B#1') return reply([{ name: 'write_file', arguments: { path: 'b.txt', content: 'by the orchestrator\n' } }]);
        if (r.trace === 'escalate/B#2') return finish('wrote b.txt myself');
        return { kind: 'error', status: 400, message: `unexpected ${r.trace}` };
      });
      servers.openai = await startFakeServer('openai', async (r) => {
        if (r.trace === 'task/A#1') {
          aInFlight.open();
          await aAnswer.opened;
          return reply([{ name: 'write_file', arguments: { path: 'a.txt', content: 'a\n' } }]);
        }
        if (r.trace === 'task/A#2') return finish('wrote a.txt');
        return { kind: 'error', status: 400, message: `unexpected ${r.trace}` };
      });
      servers.gemini = await startFakeServer('gemini', (r) => {
        if (r.trace === 'task/B#1') {
          bInFlight.open();
          return { kind: 'hang' };
        }
        return { kind: 'error', status: 400, message: `unexpected ${r.trace}` };
      });
      restoreEnv = saveEnv(ENV_VARS);
      restoreKeys = await saveKeys(api, PROVIDERS);
      for (const p of PROVIDERS) {
        process.env[`${p.toUpperCase()}_BASE_URL`] = servers[p]!.baseUrl;
        process.env[`${p.toUpperCase()}_API_KEY`] = `test-key-${p}`;
        await api.keys.clear(p);
      }
      restoreSettings = await setSettings(SETTINGS);
      feedSub = api.feed.onDidMessage((m) => messages.push(m));
    });

    after(async () => {
      await undoHostChanges(api, { feed: feedSub, servers, env: restoreEnv, settings: restoreSettings, keys: restoreKeys });
      if (folder) fs.rmSync(folder, { recursive: true, force: true });
    });

    it('Message Agent: the note reaches the agent\'s next request; Stop Task: only B stops, the orchestrator finishes it', async () => {
      const engine = await loadEngine(api.keys, vscode.Uri.file(folder));
      active = api.controller.start({ goal: 'Two files', workspace: folder, config: engine.config, resolve: (id) => engine.resolver.resolve(id) });
      await withTimeout(Promise.all([aInFlight.opened, bInFlight.opened]), 30_000, 'A\'s and B\'s first requests');
      const state = active.handle.state;
      const agentA = state.tasks.A!.agentId!;

      // No session command asks anything when given its argument (as the panel's buttons give them).
      const sent = await vscode.commands.executeCommand(COMMANDS.messageAgent, agentA, NOTE);
      assert.equal(sent, true, 'Message Agent sent the note');
      aAnswer.open();
      const stopped = await vscode.commands.executeCommand(COMMANDS.stopTask, 'B');
      assert.equal(stopped, true, 'Stop Task stopped B');

      const final = await withTimeout(active.handle.done, 30_000, 'the session to end');
      assert.equal(final.status, 'completed', final.error);
      assert.equal(fs.readFileSync(`${folder}/a.txt`, 'utf8'), 'a\n');
      assert.equal(fs.readFileSync(`${folder}/b.txt`, 'utf8'), 'by the orchestrator\n');

      const openaiTraces = servers.openai!.requests.map((r) => r.trace);
      assert.deepEqual(openaiTraces, ['task/A#1', 'task/A#2']);
      assert.ok(!JSON.stringify(servers.openai!.requests[0]!.body).includes(NOTE));
      const second = servers.openai!.requests[1]!.body as { messages: { role: string; content: string }[] };
      assert.deepEqual(second.messages.map((m) => m.role), ['system', 'user', 'assistant', 'tool', 'user']);
      assert.ok(second.messages.at(-1)!.content.includes(NOTE), 'A\'s second request carries the note');
      const escalation = servers.anthropic!.requests.find((r) => r.trace === 'escalate/B#1');
      assert.ok(escalation && JSON.stringify(escalation.body).includes('stopped by the user'), 'the orchestrator was asked, told why');

      const log: EnsembleEvent[] = readEvents(`${active.handle.dir}/events.jsonl`).events;
      assert.deepEqual(log.filter((e) => e.type === 'agent.messaged').map((e) => e.type === 'agent.messaged' && [e.agentId, e.text]), [[agentA, NOTE]]);
      assert.deepEqual(log.filter((e) => e.type === 'task.stopped').map((e) => e.type === 'task.stopped' && [e.taskId, e.by]), [['B', 'user']]);
      assert.deepEqual(log.filter((e) => e.type === 'llm.error').map((e) => e.type === 'llm.error' && [e.taskId, e.code]), [['B', 'aborted']], 'only B\'s call was aborted');
      assert.equal(final.tasks.A!.finishedBy?.by, 'role');
      assert.equal(final.tasks.B!.finishedBy?.by, 'orchestrator');
    });

    it('the panel was sent both user actions, and shows them on its timeline', () => {
      assert.ok(active, 'the session ran');
      api.feed.flush();
      const { state } = foldPanel(messages, active.handle.sessionId);
      assert.deepEqual(state.timelineMarks.map((m) => m.kind), ['message', 'stop']);
    });

    it('without a running session the commands only say so', async () => {
      assert.equal(api.controller.active, undefined);
      assert.equal(await vscode.commands.executeCommand(COMMANDS.messageAgent, 'alpha-1', NOTE), undefined);
      assert.equal(await vscode.commands.executeCommand(COMMANDS.stopTask, 'B'), undefined);
    });
  });
}
