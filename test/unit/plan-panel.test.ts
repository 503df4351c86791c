// The panel's plan section (webview/plan.ts) in a DOM without a browser (jsdom), rendered from the fold
// of a real engine session that waits for the plan's approval.

import * as assert from 'node:assert/strict';
import { JSDOM, VirtualConsole } from 'jsdom';
import { foldEvents } from '../../src/core/fold/state';
import type { PlanReviewAnswer } from '../../src/core/ports';
import type { WebviewMessage } from '../../src/protocol';
import type { View } from '../../webview/view';
import { conv, planStep, writesThenFinishes } from '../helpers/scripted';
import { run, testConfig } from '../helpers/session';

// The panel's modules (through the web-component toolkit) expect a browser's globals when loaded.
// (Its deferred set-up, which needs more of a browser than this, reports to a console nobody reads.)
const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true, virtualConsole: new VirtualConsole() });
const BROWSER_GLOBALS = [
  'window',
  'document',
  'navigator',
  'HTMLElement',
  'Element',
  'Node',
  'customElements',
  'ShadowRoot',
  'CSSStyleSheet',
  'MutationObserver',
  'getComputedStyle',
  'requestAnimationFrame',
  'DocumentFragment',
  'Document',
  'Event',
  'matchMedia',
];
const g = globalThis as unknown as Record<string, unknown>;
(dom.window as unknown as { matchMedia: unknown }).matchMedia = () => ({
  matches: false,
  addListener() {},
  removeListener() {},
  addEventListener() {},
  removeEventListener() {},
});
const saved = new Map(BROWSER_GLOBALS.map((k) => [k, Object.getOwnPropertyDescriptor(globalThis, k)]));
for (const k of BROWSER_GLOBALS)
  Object.defineProperty(globalThis, k, { value: (dom.window as unknown as Record<string, unknown>)[k], configurable: true, writable: true });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PlanSection, planSteps } = require('../../webview/plan') as typeof import('../../webview/plan');
// Put them back at once: other test files must not run in a "browser" (the SDKs check for one).
function restore(): void {
  for (const [k, d] of saved) {
    if (d) Object.defineProperty(globalThis, k, d);
    else delete g[k];
  }
}
restore();

describe('panel: the plan waiting for approval', () => {
  const focused: string[] = [];
  before(() => {
    g.document = dom.window.document; // what the panel's DOM builder uses while rendering
    dom.window.HTMLElement.prototype.focus = function (this: HTMLElement) {
      focused.push(this.dataset.key ?? '?');
    };
  });
  after(restore);

  it('shows each task with role, provider/model, dependencies and rationale, the estimate, and answers with the proposal number', async () => {
    let release!: (a: PlanReviewAnswer) => void;
    let proposed!: () => void;
    const waiting = new Promise<void>((r) => (proposed = r));
    const r = run(
      'panel',
      {
        orch: (req) =>
          conv(req) === 'plan'
            ? planStep([
                { id: 'api', role: 'a' },
                { id: 'ui', role: 'b', dependsOn: ['api'] },
              ])
            : { error: { code: 'bad_request', retryable: false } },
        p1: writesThenFinishes({ 'x.txt': 'x' }),
        p2: writesThenFinishes({ 'y.txt': 'y' }),
      },
      {
        config: testConfig({ planApproval: 'ask' }),
        reviewPlan: () => (proposed(), new Promise((res) => (release = res))),
      },
    );
    await waiting;
    const posted: WebviewMessage[] = [];
    const root = dom.window.document.createElement('section');
    const view: View = {
      state: foldEvents(r.handle.log.readAll()),
      sessionId: r.handle.sessionId,
      sessions: [],
      live: true,
      planAwaiting: 1,
      post: (m) => posted.push(m),
    };
    const section = new PlanSection(root);
    section.render(view);
    const text = root.textContent ?? '';
    assert.match(text, /Plan 1 — waiting for your approval/);
    assert.match(text, /test plan/); // the rationale
    const rows = [...root.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent));
    assert.deepEqual(rows, [
      ['Task apiapi', 'a', 'p1/m-1', '—'],
      ['Task uiui', 'b', 'p2/m-2', 'api'],
    ]);
    assert.match(text, /estimated development cost about \$\d+\.\d+/);
    assert.deepEqual(focused, ['plan:approve'], 'Approve takes the focus: Enter approves');
    section.render(view);
    assert.deepEqual(focused, ['plan:approve'], 'only once per proposal');
    const buttons = [...root.querySelectorAll('[data-key^="plan:"]')] as HTMLElement[];
    assert.deepEqual(
      buttons.map((b) => b.textContent),
      ['Approve', 'Edit', 'Replan with feedback', 'Cancel'],
    );
    // The answers come first, right under the heading (in a 300 px side bar the table is below the fold); one Cancel, not primary.
    assert.deepEqual(
      [...root.children].slice(0, 2).map((e) => e.tagName + (e.className ? `.${e.className}` : '')),
      ['H3', 'DIV.plan-actions'],
    );
    assert.deepEqual(
      buttons.map((b) => b.getAttribute('appearance')),
      [null, 'secondary', 'secondary', 'secondary'],
    );
    for (const b of buttons) b.dispatchEvent(new dom.window.Event('click'));
    assert.deepEqual(
      posted,
      ['approve', 'edit', 'replan', 'cancel'].map((action) => ({ type: 'planReview', action, proposal: 1 })),
    );

    // Not waiting in this window on that proposal: no buttons, the review in one line.
    section.render({ ...view, planAwaiting: null });
    assert.equal(root.querySelectorAll('[data-key^="plan:"]').length, 0);
    assert.match(root.textContent ?? '', /Plan 1: waiting for approval\./);

    release({ action: 'approve' });
    const state = await r.handle.done;
    section.render({ ...view, state, live: false });
    assert.match(root.textContent ?? '', /Plan 1: approved by you\./);
    const planning = state.phases.find((p) => p.name === 'planning')!;
    assert.deepEqual(planSteps(state, planning.startedAt, planning.endedAt), ['plan 1 proposed', 'plan 1 approved by you']);
  });
  it("says which models do a task best of several: its own candidates, its role's bestOf, or --best-of N for a task with a check", async () => {
    let release!: (a: PlanReviewAnswer) => void;
    let proposed!: () => void;
    const waiting = new Promise<void>((r) => (proposed = r));
    const plan = {
      rationale: 'r',
      tasks: [
        {
          id: 'own',
          title: 'Own',
          description: 'd',
          role: 'a',
          dependsOn: [],
          check: 'npm test',
          candidates: [
            { provider: 'p1', model: 'm-1' },
            { provider: 'p2', model: 'm-2' },
          ],
        },
        { id: 'checked', title: 'Checked', description: 'd', role: 'b', dependsOn: [], check: 'npm test' },
        { id: 'plain', title: 'Plain', description: 'd', role: 'b', dependsOn: [] },
      ],
    };
    const r = run(
      'panel',
      {
        orch: () => ({ error: { code: 'bad_request', retryable: false } }),
        p1: writesThenFinishes({ 'x.txt': 'x' }),
        p2: writesThenFinishes({ 'y.txt': 'y' }),
      },
      {
        config: testConfig({ planApproval: 'ask', bestOf: 2 }),
        reviewPlan: () => (proposed(), new Promise((res) => (release = res))),
        plan,
      },
    );
    await waiting;
    const root = dom.window.document.createElement('section');
    new PlanSection(root).render({
      state: foldEvents(r.handle.log.readAll()),
      sessionId: r.handle.sessionId,
      sessions: [],
      live: true,
      planAwaiting: 1,
      post: () => undefined,
    });
    const routes = [...root.querySelectorAll('tbody tr')].map((tr) => tr.querySelectorAll('td')[2]!.textContent);
    assert.deepEqual(routes, ['p1/m-1best of p1/m-1, p2/m-2', 'p2/m-2best of p2/m-2, orch/o-1', 'p2/m-2']);
    release({ action: 'cancel' });
    await r.handle.done;
  });
});
