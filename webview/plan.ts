// The plan waiting for approval: each task with its role, provider/model, dependencies and rationale,
// the cost estimate, and Approve / Edit / Replan with feedback / Cancel. Shown only while the session
// running in this window waits on that very proposal (the host says which); a new proposal moves the
// keyboard focus to Approve, so Enter approves. Otherwise, how the plan was reviewed, in one line.
import type { SessionState } from '../src/core/fold/state';
import type { PlanAction } from '../src/protocol';
import { TAG } from './components';
import { fill, h } from './dom';
import { budgetText, estimateText } from '../src/core/fold/money';
import { candidatesFor } from '../src/core/best-of';
import type { Section, View } from './view';

/** The proposal the panel should put to the user now, if any. */
export function planToReview(v: View): SessionState['plan']['latest'] {
  const p = v.state.plan;
  return v.live && p.awaiting && p.latest && v.planAwaiting === p.latest.proposal ? p.latest : undefined;
}

/** One line on how the plan was reviewed (empty before any proposal, and for logs from before reviews). */
export function planSummary(st: SessionState): string {
  const p = st.plan;
  if (!p.proposals) return '';
  const approved =
    p.approvedBy === 'user' ? 'approved by you' : p.approvedBy === 'auto' ? 'approved automatically' : p.awaiting ? 'waiting for approval' : 'not approved';
  return `Plan ${p.latest?.proposal ?? p.proposals}: ${approved}${p.edited ? ', edited by you' : ''}${p.feedback.length ? ` · ${p.feedback.length} replan${p.feedback.length === 1 ? '' : 's'} with your feedback` : ''}.`;
}

/** The plan's review steps within a planning phase, in words, for the timeline. */
export function planSteps(st: SessionState, from: number, to: number | undefined): string[] {
  return st.plan.steps
    .filter((x) => x.ts >= from && (to === undefined || x.ts <= to))
    .map((x) => {
      switch (x.kind) {
        case 'proposed':
          return `plan ${x.proposal} proposed`;
        case 'edit_rejected':
          return `your edit of plan ${x.proposal} was refused: ${x.detail ?? ''}`;
        case 'edited':
          return `plan ${x.proposal} edited by you`;
        case 'feedback':
          return `new plan asked for${x.detail ? `: “${x.detail}”` : ''}`;
        case 'approved':
          return `plan ${x.proposal} approved ${x.detail === 'user' ? 'by you' : 'automatically'}`;
      }
    });
}

export class PlanSection implements Section {
  readonly id = 'plan' as const;
  private focused = 0;

  constructor(private readonly root: HTMLElement) {}

  reset(): void {
    this.focused = 0;
  }

  render(v: View): void {
    const plan = planToReview(v);
    const summary = planSummary(v.state);
    this.root.hidden = !plan && !summary;
    if (!plan) return fill(this.root, summary ? h('p', { class: 'muted' }, summary) : null);
    const st = v.state;
    const route = (role: string) => {
      const r = st.config?.roles[role];
      return r ? `${r.provider}/${r.model}${r.fallback ? ` (fallback ${r.fallback.provider}/${r.fallback.model})` : ''}` : 'not configured';
    };
    // A task done best of several: its candidates, and the check that judges them.
    const bestOf = (t: (typeof plan.tasks)[number]) => {
      const c = st.config && candidatesFor(t, st.config);
      return c ? h('div', { class: 'muted', title: `judged by ${t.check ?? ''}` }, `best of ${c.map((x) => `${x.provider}/${x.model}`).join(', ')}`) : null;
    };
    const answer = (action: PlanAction) => () => v.post({ type: 'planReview', action, proposal: plan.proposal });
    const approve = h(TAG.button, { 'data-key': 'plan:approve', 'aria-label': `Approve plan ${plan.proposal}`, onClick: answer('approve') }, 'Approve');
    // The answers first, under the heading: in a narrow side bar they are on screen without scrolling.
    fill(
      this.root,
      h('h3', { id: 'plan-heading' }, `Plan ${plan.proposal} — waiting for your approval`),
      h(
        'div',
        { class: 'plan-actions', role: 'group', 'aria-label': 'Plan review' },
        approve,
        h(TAG.button, { appearance: 'secondary', 'data-key': 'plan:edit', onClick: answer('edit') }, 'Edit'),
        h(TAG.button, { appearance: 'secondary', 'data-key': 'plan:replan', onClick: answer('replan') }, 'Replan with feedback'),
        h(
          TAG.button,
          { appearance: 'secondary', 'data-key': 'plan:cancel', 'aria-label': 'Cancel the session', title: 'Cancel the session', onClick: answer('cancel') },
          'Cancel',
        ),
      ),
      h(
        'p',
        null,
        `${plan.tasks.length} task${plan.tasks.length === 1 ? '' : 's'} · estimated development cost ${estimateText(plan.estimateUsd, plan.unknownModels, plan.planModels)}${st.budget.limitUsd ? ` (budget ${budgetText(st.budget.limitUsd)})` : ''}`,
      ),
      st.plan.editErrors.length
        ? h(
            'div',
            { class: 'warn', role: 'alert' },
            h('strong', null, 'Your edit was refused:'),
            h('ul', null, ...st.plan.editErrors.map((e) => h('li', null, e))),
          )
        : null,
      h('p', { class: 'why' }, plan.rationale),
      h(
        'table',
        { class: 'grid fixed', 'aria-describedby': 'plan-heading' },
        h('caption', { class: 'sr-only' }, `Plan ${plan.proposal}`),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            ...[
              ['Task', 'w-40'],
              ['Role', 'w-18'],
              ['Provider / model', 'w-27'],
              ['After', 'w-15'],
            ].map(([c, w]) => h('th', { scope: 'col', class: w }, c)),
          ),
        ),
        h(
          'tbody',
          null,
          ...plan.tasks.map((t) =>
            h(
              'tr',
              null,
              h(
                'td',
                { title: t.description },
                h('strong', null, t.title),
                h('div', { class: 'muted' }, t.id),
                t.rationale ? h('div', { class: 'why' }, t.rationale) : null,
              ),
              h('td', null, h('span', { class: 'clip', title: t.role }, t.role)),
              h('td', null, route(t.role), bestOf(t)),
              h('td', null, t.dependsOn.join(', ') || '—'),
            ),
          ),
        ),
      ),
    );
    // A new proposal takes the keyboard focus once: Enter approves it.
    if (this.focused !== plan.proposal) {
      this.focused = plan.proposal;
      approve.focus();
    }
  }
}
