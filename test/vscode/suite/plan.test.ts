// The plan's review in the editor (`ensemble.planApproval` "ask", the setting's default): a session
// started through the controller waits with its plan; the commands approve it, edit it (a JSON document,
// "Ensemble plan 1.json", with live diagnostics, refused then accepted, closed once the plan is decided),
// and replan it with feedback that reaches the orchestrator's next request. Providers are scripted
// through the engine's port (no key needed).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChatRequest, PlanProposal } from '../../../src/core/ports';
import { readEvents } from '../../../src/core/store/log';
import { COMMANDS } from '../../../src/protocol';
import type { EnsembleApi } from '../../../src/vscode/api';
import { configFromSettings } from '../../../src/vscode/settings';
import { ScriptedProvider, conv, planStep, writesThenFinishes, type Step } from '../../helpers/scripted';
import { getApi, tempFolder, waitFor, waitForEvent, withTimeout } from './helpers';

const SETTINGS = {
  orchestrator: { provider: 'orch', model: 'o-1' },
  roles: { alpha: { provider: 'p1', model: 'm-1' }, beta: { provider: 'p2', model: 'm-2' } },
  providers: { orch: { kind: 'openai-compatible' }, p1: { kind: 'openai-compatible' }, p2: { kind: 'openai-compatible' } },
  pricing: { 'orch/o-1': { input: 1, output: 2 }, 'p1/m-1': { input: 1, output: 2 }, 'p2/m-2': { input: 1, output: 2 } },
  'validation.runTests': 'never',
};

const TWO = [{ id: 'one', role: 'alpha' }, { id: 'two', role: 'beta', dependsOn: ['one'] }];

export function registerPlanTests(): void {
  describe('the plan waits for approval in the editor', function () {
    this.timeout(60_000);
    let api: EnsembleApi;

    before(async () => {
      api = await getApi();
    });
    after(async () => {
      if (api?.controller.active) {
        const active = api.controller.active;
        api.controller.cancel('test cleanup');
        await withTimeout(active.handle.done, 10_000, 'the session to stop').catch(() => undefined);
      }
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    /** Starts a session whose orchestrator answers `plans` in turn; resolves once the first plan waits. */
    async function start(plans: Parameters<typeof planStep>[0][]) {
      const folder = tempFolder();
      const orch = new ScriptedProvider('orch', (req: ChatRequest, n: number): Step => (conv(req) === 'plan' ? planStep(plans[Math.min(n, plans.length - 1)]!) : { error: { code: 'bad_request', retryable: false, message: `unexpected ${req.trace}` } }));
      const agent = (id: string) => new ScriptedProvider(id, (req) => writesThenFinishes({ [`${conv(req).slice(5)}.txt`]: id })(req));
      const providers: Record<string, ScriptedProvider> = { orch, p1: agent('p1'), p2: agent('p2') };
      const config = configFromSettings(SETTINGS);
      assert.equal(config.planApproval, 'ask', 'the editor asks by default');
      const waiting = nextProposal();
      const active = api.controller.start({ goal: 'review the plan', workspace: folder, config, resolve: (id) => providers[id] });
      const first = await waiting;
      return { folder, active, providers, first };
    }

    const nextProposal = (): Promise<PlanProposal> => waitForEvent(api.plans.onDidChange, (p) => !!p, 20_000, 'a plan waiting for approval') as Promise<PlanProposal>;
    /** The document's diagnostics once `ok` holds (they may already be set when the edit resolves). */
    const diagnosticsUntil = async (doc: vscode.TextDocument, ok: (d: vscode.Diagnostic[]) => boolean, what: string): Promise<vscode.Diagnostic[]> => {
      const now = () => vscode.languages.getDiagnostics(doc.uri);
      if (!ok(now())) await waitForEvent(vscode.languages.onDidChangeDiagnostics, () => ok(now()), 5_000, what);
      return now();
    };
    const planEvents = (dir: string) => readEvents(path.join(dir, 'events.jsonl')).events.filter((e) => e.type.startsWith('plan.'));
    /** Whether an editor tab shows `doc`. */
    const shown = (doc: vscode.TextDocument) => vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === doc.uri.toString()));

    it('approves with Ensemble: Approve Plan; no agent ran before', async () => {
      const { active, providers, first, folder } = await start([TWO]);
      assert.deepEqual(first.tasks.map((t) => t.id), ['one', 'two']);
      assert.deepEqual(first.routes.two, { provider: 'p2', model: 'm-2' });
      assert.ok(typeof first.estimateUsd === 'number');
      assert.equal(providers.p1!.requests.length + providers.p2!.requests.length, 0);
      await vscode.commands.executeCommand(COMMANDS.approvePlan);
      const state = await withTimeout(active.handle.done, 30_000, 'the session to end');
      assert.equal(state.status, 'completed', state.error);
      assert.equal(api.plans.awaiting, undefined);
      assert.deepEqual(planEvents(active.handle.dir).map((e) => e.type), ['plan.proposed', 'plan.approved', 'plan.accepted']);
      assert.ok(fs.existsSync(path.join(folder, 'one.txt')) && fs.existsSync(path.join(folder, 'two.txt')));
      const report = JSON.parse(fs.readFileSync(path.join(active.handle.dir, 'report.json'), 'utf8'));
      assert.deepEqual(report.plan, { proposals: 1, approvedBy: 'user', edited: false, feedback: [] });
    });

    it('edits the plan in a JSON document: live diagnostics, a refused edit, then the edit that runs, and the document closes', async () => {
      const { active, providers } = await start([TWO]);
      const doc = (await vscode.commands.executeCommand(COMMANDS.editPlan)) as vscode.TextDocument;
      assert.ok(doc, 'Edit Plan returns the document it opened');
      assert.equal(doc.uri.scheme, 'ensemble-plan', 'kept in memory, not in the workspace');
      assert.equal(path.posix.basename(doc.uri.path), 'Ensemble plan 1.json');
      assert.equal(doc.languageId, 'json');
      assert.deepEqual(JSON.parse(doc.getText()).tasks.map((t: { id: string }) => t.id), ['one', 'two']);
      assert.equal(vscode.languages.getDiagnostics(doc.uri).length, 0);

      const replaceAll = async (value: unknown) => {
        const edit = new vscode.WorkspaceEdit();
        edit.replace(doc.uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), JSON.stringify(value, null, 2));
        assert.ok(await vscode.workspace.applyEdit(edit));
      };
      const task = (id: string, role: string, dependsOn: string[] = []) => ({ id, title: id, description: `do ${id}`, role, dependsOn });
      await replaceAll({ rationale: 'mine', tasks: [task('x', 'ghost'), task('x', 'alpha', ['nowhere'])] });
      const diagnostics = await diagnosticsUntil(doc, (d) => d.length >= 3, 'diagnostics on the edited plan');
      const at = (re: RegExp) => diagnostics.find((d) => re.test(d.message));
      const ghost = at(/role "ghost", which is not configured\. Use one of: alpha, beta/);
      assert.ok(ghost, diagnostics.map((d) => d.message).join('\n'));
      assert.match(doc.lineAt(ghost.range.start.line).text, /"role": "ghost"/);
      const dup = at(/"x" is used more than once/);
      assert.ok(dup);
      assert.match(doc.lineAt(dup.range.start.line).text, /"id": "x"/);
      assert.ok(dup.range.start.line > ghost.range.start.line, 'the duplicate is the second task');
      assert.ok(at(/depends on "nowhere"/));

      // Submitted anyway: the engine refuses it by the same rules and asks again, with the errors.
      const again = nextProposal();
      await vscode.commands.executeCommand(COMMANDS.submitEditedPlan);
      const refused = await again;
      assert.equal(refused.proposal, 1);
      assert.match(refused.errors.join('\n'), /role "ghost"/);
      assert.match(refused.errors.join('\n'), /"x" is used more than once/);

      assert.ok(shown(doc), 'a refused edit keeps its document open, to correct');
      assert.equal(api.plans.editing, doc);

      await replaceAll({ rationale: 'mine', tasks: [task('solo', 'beta')] });
      await diagnosticsUntil(doc, (d) => d.length === 0, 'the diagnostics to clear');
      await vscode.commands.executeCommand(COMMANDS.submitEditedPlan);
      const state = await withTimeout(active.handle.done, 30_000, 'the session to end');
      // The plan was decided: its document is closed (with nothing to save, so no prompt).
      await waitFor(() => !shown(doc), 5_000, 'the plan document to close');
      assert.equal(api.plans.editing, undefined);
      assert.equal(state.status, 'completed', state.error);
      assert.deepEqual(state.taskOrder, ['solo']);
      assert.equal(providers.p1!.requests.length, 0);
      assert.deepEqual(planEvents(active.handle.dir).map((e) => e.type), ['plan.proposed', 'plan.edit_rejected', 'plan.edited', 'plan.approved', 'plan.accepted']);
    });

    it('replans with feedback that reaches the orchestrator, then approves the new plan', async () => {
      const { active, providers } = await start([TWO, [{ id: 'single', role: 'alpha' }]]);
      const stale = (await vscode.commands.executeCommand(COMMANDS.editPlan)) as vscode.TextDocument;
      const second = nextProposal();
      await vscode.commands.executeCommand(COMMANDS.replan, 'One task for alpha, please.');
      const p2 = await second;
      await waitFor(() => !shown(stale), 5_000, "plan 1's document to close once plan 1 was replanned");
      assert.equal(p2.proposal, 2);
      assert.deepEqual(p2.tasks.map((t) => t.id), ['single']);
      const asked = providers.orch!.requests[1]!;
      assert.equal(asked.trace, 'plan#3');
      assert.match(asked.messages.map((m) => m.content).join('\n'), /One task for alpha, please\./);
      await vscode.commands.executeCommand(COMMANDS.approvePlan);
      const state = await withTimeout(active.handle.done, 30_000, 'the session to end');
      assert.equal(state.status, 'completed', state.error);
      const report = JSON.parse(fs.readFileSync(path.join(active.handle.dir, 'report.json'), 'utf8'));
      assert.deepEqual(report.plan, { proposals: 2, approvedBy: 'user', edited: false, feedback: ['One task for alpha, please.'] });
    });

    it('cancels the session from the plan (the panel\'s Cancel)', async () => {
      const { active, providers } = await start([TWO]);
      api.plans.cancel();
      const state = await withTimeout(active.handle.done, 30_000, 'the session to end');
      assert.equal(state.status, 'cancelled');
      assert.equal(providers.p1!.requests.length + providers.p2!.requests.length, 0);
      assert.equal(api.plans.awaiting, undefined);
    });
  });
}
