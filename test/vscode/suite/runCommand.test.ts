// run_command in the editor: the session the commands start asks the approval port (the modal in
// real use; here the test injects the port, since a modal cannot be answered from a test) with the
// command, the task and the role; "Allow for This Session" is not asked again; the ensemble.commands
// setting is read; Restricted Mode turns commands off.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveConfig } from '../../../src/core/config';
import type { CommandApproval, CommandApprovalRequest } from '../../../src/core/session/commands';
import { startFakeServer, type FakeServer } from '../../../src/fakes';
import { buildResolver } from '../../../src/node/providers';
import { ANSWER_TITLES } from '../../../src/vscode/questions';
import { configFromSettings, SettingsError } from '../../../src/vscode/settings';
import { withTrust } from '../../../src/vscode/trust';
import { getApi, nextEvent, tempFolder, waitForEvent, withTimeout } from './helpers';

const PROVIDER = 'ensemble-commands';
const MAKE = 'node -e "require(\'fs\').writeFileSync(\'made.txt\',\'x\')"';
const TOUCH = 'node -e "require(\'fs\').writeFileSync(\'touched.txt\',\'x\')"';

export function registerRunCommandTests(): void {
  describe('run_command: the approval port and the ensemble.commands setting', function () {
    this.timeout(60_000);
    let server: FakeServer;

    before(async () => {
      // The agent asks for MAKE twice and TOUCH once, then finishes.
      const turns = [MAKE, MAKE, TOUCH];
      server = await startFakeServer('openai', (req) => {
        const t = req.trace ?? '';
        if (t.startsWith('plan#')) return { kind: 'reply', toolCalls: [{ name: 'submit_plan', arguments: { rationale: 'one task', tasks: [{ id: 'make', title: 'Make a file', description: 'Run the commands', role: 'dev', dependsOn: [] }] } }] };
        const turn = Number(t.split('#')[1]);
        const command = turns[turn - 1];
        return { kind: 'reply', toolCalls: [command ? { name: 'run_command', arguments: { command } } : { name: 'finish', arguments: { summary: 'done' } }] };
      });
    });

    after(async () => {
      await server.close();
    });

    it('asks the injected approval port with the command, the task and the role, and honours each answer', async () => {
      const api = await getApi();
      const config = resolveConfig({
        orchestrator: { provider: PROVIDER, model: 'm' },
        roles: { dev: { provider: PROVIDER, model: 'm' } },
        providers: { [PROVIDER]: { kind: 'openai-compatible', baseUrl: server.baseUrl } },
        validation: { runTests: 'never' },
        commands: { run: 'ask', allow: [] },
      });
      const resolver = buildResolver(config, await api.keys.keySource([PROVIDER]), {});
      const asked: CommandApprovalRequest[] = [];
      const answers: Record<string, CommandApproval> = { [MAKE]: 'session', [TOUCH]: 'deny' };
      const approveCommand = async (req: CommandApprovalRequest): Promise<CommandApproval> => (asked.push(req), answers[req.command] ?? 'deny');
      const folder = tempFolder();
      const ended = nextEvent(api.controller.onDidEnd);
      const active = api.controller.start({ goal: 'commands', workspace: folder, config, resolve: (id) => resolver.resolve(id), approveCommand });
      const state = await active.handle.done;
      await ended;
      assert.equal(state.status, 'completed', state.error);
      // MAKE was asked once (allowed for the session, so not asked again), TOUCH once (denied).
      assert.deepEqual(asked.map((a) => [a.command, a.role, a.taskId, a.taskTitle, a.cwd]), [[MAKE, 'dev', 'make', 'Make a file', '.'], [TOUCH, 'dev', 'make', 'Make a file', '.']]);
      assert.ok(fs.existsSync(path.join(folder, 'made.txt')));
      assert.equal(fs.existsSync(path.join(folder, 'touched.txt')), false);
      const report = JSON.parse(fs.readFileSync(path.join(active.handle.dir, 'report.json'), 'utf8'));
      assert.deepEqual(report.commands.map((c: { decision: string; by: string; exitCode: number | null }) => [c.decision, c.by, c.exitCode]), [['approved', 'user', 0], ['approved', 'user', 0], ['denied', 'user', null]]);
      assert.deepEqual(report.files.map((f: { path: string; task: string }) => [f.path, f.task]), [['made.txt', 'make']]);
      fs.rmSync(folder, { recursive: true, force: true });
    });

    it('asks in the panel and a notification, not a modal: answered there, or withdrawn when the task is stopped', async () => {
      const api = await getApi();
      // The agent asks for MAKE, MAKE (allowed for the session by then) and TOUCH; the orchestrator skips a stopped task.
      const asks = await startFakeServer('openai', (req) => {
        const t = req.trace ?? '';
        if (t.startsWith('plan#')) return { kind: 'reply', toolCalls: [{ name: 'submit_plan', arguments: { rationale: 'one task', tasks: [{ id: 'make', title: 'Make a file', description: 'Run the commands', role: 'dev', dependsOn: [] }] } }] };
        if (t.startsWith('escalate/')) return { kind: 'reply', toolCalls: [{ name: 'skip_task', arguments: { taskId: 'make', reason: 'the user stopped it' } }] };
        const command = [MAKE, MAKE, TOUCH][Number(t.split('#')[1]) - 1];
        return { kind: 'reply', toolCalls: [command ? { name: 'run_command', arguments: { command } } : { name: 'finish', arguments: { summary: 'done' } }] };
      });
      try {
        const config = resolveConfig({
          orchestrator: { provider: PROVIDER, model: 'm' },
          roles: { dev: { provider: PROVIDER, model: 'm' } },
          providers: { [PROVIDER]: { kind: 'openai-compatible', baseUrl: asks.baseUrl } },
          validation: { runTests: 'never' },
          commands: { run: 'ask', allow: [] },
        });
        const resolver = buildResolver(config, await api.keys.keySource([PROVIDER]), {});
        const folder = tempFolder();
        const asked = (command: string) => waitForEvent(api.questions.onDidChange, (qs) => qs.some((q) => q.kind !== 'candidate' && q.command === command), 20_000, `the question about ${command}`);
        const first = asked(MAKE);
        const active = api.controller.start({ goal: 'commands asked in the panel', workspace: folder, config, resolve: (id) => resolver.resolve(id) });
        const [q] = await first;
        assert.deepEqual(q && q.kind === 'command' ? [q.command, q.role, q.taskId, q.taskTitle, q.cwd] : q, [MAKE, 'dev', 'make', 'Make a file', '.']);
        const touch = asked(TOUCH);
        assert.equal(api.questions.answer(q!.id, 'session'), true);
        assert.equal(api.questions.answer(q!.id, 'deny'), false, 'an answered question no longer waits');
        const [t] = await touch;
        assert.equal(api.questions.waiting.length, 1, 'MAKE was allowed for the session: asked once');
        const withdrawn = waitForEvent(api.questions.onDidChange, (qs) => qs.length === 0, 10_000, 'the question to be withdrawn');
        active.handle.stopTask('make');
        await withdrawn;
        assert.equal(api.questions.answer(t!.id, 'once'), false, 'a withdrawn question takes no answer');
        const state = await withTimeout(active.handle.done, 30_000, 'the session to end');
        assert.equal(state.status, 'completed', state.error);
        const report = JSON.parse(fs.readFileSync(path.join(active.handle.dir, 'report.json'), 'utf8'));
        assert.deepEqual(report.commands.map((c: { decision: string; by: string }) => [c.decision, c.by]), [['approved', 'user'], ['approved', 'user'], ['denied', 'policy']]);
        assert.ok(fs.existsSync(path.join(folder, 'made.txt')));
        assert.equal(fs.existsSync(path.join(folder, 'touched.txt')), false);
        fs.rmSync(folder, { recursive: true, force: true });
      } finally {
        await asks.close();
      }
    });

    it('offers the three answers, reads ensemble.commands, and turns commands off in Restricted Mode', () => {
      assert.deepEqual([ANSWER_TITLES.once, ANSWER_TITLES.session, ANSWER_TITLES.deny], ['Allow Once', 'Allow for This Session', 'Deny']);
      const cfg = configFromSettings({ commands: { run: 'allowed', allow: ['npm test', 'npm run *'], timeoutMs: 30_000 } });
      assert.deepEqual(cfg.commands, { run: 'allowed', allow: ['npm test', 'npm run *'], timeoutMs: 30_000, sandbox: 'auto', network: 'on' });
      assert.deepEqual(configFromSettings({}).commands, { run: 'ask', allow: [], timeoutMs: 120_000, sandbox: 'auto', network: 'on' });
      assert.deepEqual(configFromSettings({ commands: { sandbox: 'off', network: 'off' } }).commands, { run: 'ask', allow: [], timeoutMs: 120_000, sandbox: 'off', network: 'off' });
      assert.throws(() => configFromSettings({ commands: { run: 'sometimes' } }), (e: unknown) => e instanceof SettingsError && e.setting === 'ensemble.commands');
      assert.equal(withTrust(cfg, false).commands.run, 'never');
      assert.equal(withTrust(cfg, true).commands.run, 'allowed');
    });
  });
}
