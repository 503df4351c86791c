// The header: goal, status, current phase, elapsed time, dollars spent against the budget, and the
// actions (start, demo, cancel, report, review).
import type { PanelCommand } from '../src/protocol';
import { TAG, textButton } from './components';
import { fill, h, s } from './dom';
import { phaseName } from '../src/core/fold/narrate';
import { isResumable, statusText as sessionStatusText, taskCounts, tasksText } from '../src/core/fold/summary';
import { countedUsd, estimateText, planBudgetText, spendText } from '../src/core/fold/money';
import { duration } from './format';
import type { Section, View } from './view';

export function statusText(v: View): string {
  return v.sessionId ? sessionStatusText(v.state.status, v.live) : 'no session yet';
}

// The codicon VS Code itself uses for each action.
const ICONS: Partial<Record<PanelCommand, string>> = {
  'ensemble.start': 'play',
  'ensemble.cancel': 'debug-stop',
  'ensemble.demo': 'beaker',
  'ensemble.openReport': 'output',
  'ensemble.reviewChanges': 'git-compare',
  'ensemble.resume': 'debug-continue',
};

function button(label: string, command: PanelCommand, v: View, appearance: 'primary' | 'secondary' = 'secondary'): HTMLElement {
  return textButton(label, ICONS[command] ?? null, { appearance, 'data-key': command, onClick: () => v.post({ type: 'run', command }) });
}

export class HeaderSection implements Section {
  readonly id = 'header' as const;
  private elapsed: HTMLElement | undefined;
  private readonly info = h('div', { class: 'info' });
  private readonly actions = h('div', { class: 'actions', role: 'toolbar', 'aria-label': 'Session actions' });
  private actionsKey = '';

  constructor(root: HTMLElement) {
    root.append(this.info, this.actions);
  }

  reset(): void {
    this.actionsKey = '';
  }

  render(v: View): void {
    if (!v.sessionId) return this.welcome(v);
    const st = v.state;
    const m = st.money;
    const status = statusText(v);
    const limit = st.budget.limitUsd;
    const spend = spendText(m, limit);
    this.elapsed = h('span', { class: 'elapsed' });
    const tasks = taskCounts(st);
    fill(
      this.info,
      h(
        'div',
        { class: 'title-row' },
        h('h1', { class: 'goal', title: st.goal ?? '' }, st.goal ?? 'Ensemble'),
        st.scripted
          ? h(
              'span',
              { class: 'pill scripted', title: 'The model answers were scripted (a cassette replayed through the real SDKs); no real model was called.' },
              'scripted',
            )
          : null,
      ),
      h(
        'p',
        { class: 'status-line' },
        v.live ? h(TAG.progress, { class: 'ring', 'aria-label': 'Session running' }) : null,
        h('span', { class: `status status-${status.replace(' ', '-')}` }, status),
        st.currentPhase ? h('span', null, ` · ${phaseName(st.currentPhase)}`) : null,
        tasks.total ? h('span', { class: tasks.skipped || tasks.failed ? 'tasks-short' : undefined }, ` · ${tasksText(tasks)}`) : null,
        st.startedAt ? h('span', null, ' · ', this.elapsed) : null,
      ),
      st.error ? h('p', { class: 'error' }, st.error) : null,
      h(
        'div',
        { class: 'spend' },
        h('span', null, spend.spent),
        spend.counted ? h('span', { class: 'muted' }, ` · ${spend.counted}`) : null,
        st.budget.estimateUsd !== undefined
          ? h('span', { class: 'muted' }, ` · estimate ${estimateText(st.budget.estimateUsd, [], st.budget.planModels)}`)
          : null,
        m.planCalls && limit !== undefined ? h('span', { class: 'muted' }, ` · ${planBudgetText(m.planCalls)}`) : null,
        limit !== undefined ? budgetMeter(countedUsd(m), limit, st.budget.exhausted) : null,
      ),
    );
    this.tick(v);
    this.renderActions(v);
  }

  /**
   * No session in this workspace yet: one welcome, as VS Code's own views show one (its words, then
   * full-width buttons), instead of empty sections.
   */
  private welcome(v: View): void {
    this.elapsed = undefined;
    this.actionsKey = '';
    fill(
      this.info,
      h('h1', { class: 'goal' }, 'Ensemble'),
      h('p', { class: 'status-line' }, h('span', { class: 'status status-none' }, 'no session yet')),
      h(
        'p',
        null,
        'Give a goal: an orchestrator model plans the work and role agents, each on the provider and model you configure, build it in this workspace. Every call, dollar and change is logged, and you review the changes before keeping them.',
      ),
    );
    fill(
      this.actions,
      h('div', { class: 'welcome-actions' }, button('Start Orchestration', 'ensemble.start', v, 'primary'), button('Try the Demo', 'ensemble.demo', v)),
      h('p', { class: 'muted' }, 'The demo replays a recorded session through the real SDKs against local servers: no key, no cost.'),
      h(
        'p',
        { class: 'muted' },
        'Keys: ',
        h('button', { class: 'linklike', 'data-key': 'welcome:keys', onClick: () => v.post({ type: 'run', command: 'ensemble.setApiKey' }) }, 'Set API Key'),
        " (or the provider's environment variable).",
      ),
    );
  }

  /** The buttons are rebuilt only when they change, so keyboard focus stays put while events stream. */
  private renderActions(v: View): void {
    const resumable = v.sessions.some((x) => isResumable(x) && !x.live);
    const planWaits = v.live && !!v.planAwaiting && v.state.plan.awaiting;
    const key = [v.live, !!v.sessionId, v.state.fileOrder.length > 0, resumable, planWaits].join();
    if (key === this.actionsKey) return;
    this.actionsKey = key;
    // While a plan waits, its own buttons (Approve first) are the actions: one Cancel on screen, the plan's.
    fill(
      this.actions,
      v.live ? (planWaits ? null : button('Cancel Session', 'ensemble.cancel', v)) : button('Start', 'ensemble.start', v, 'primary'),
      v.live ? null : button('Demo', 'ensemble.demo', v),
      v.sessionId && !v.live ? button('Report', 'ensemble.openReport', v) : null,
      v.state.fileOrder.length && !v.live ? button('Review', 'ensemble.reviewChanges', v) : null,
      !v.live && resumable ? button('Resume…', 'ensemble.resume', v) : null,
    );
  }

  /** Updates only the elapsed time (called every second while running). */
  tick(v: View): void {
    const st = v.state;
    if (!this.elapsed || st.startedAt === undefined) return;
    const end = st.endedAt ?? (v.live ? Date.now() : (st.lastTs ?? st.startedAt));
    this.elapsed.textContent = `${duration(end - st.startedAt)}${st.endedAt || !v.live ? '' : ' elapsed'}`;
  }
}

function budgetMeter(spent: number, limit: number, exhausted: boolean): SVGElement {
  const ratio = limit > 0 ? Math.min(1, spent / limit) : 1;
  const svg = s('svg', {
    class: 'meter',
    viewBox: '0 0 100 4',
    preserveAspectRatio: 'none',
    role: 'meter',
    'aria-label': 'Budget used',
    'aria-valuemin': 0,
    'aria-valuemax': limit,
    'aria-valuenow': Number(spent.toFixed(4)),
  });
  svg.append(
    s('rect', { x: 0, y: 0, width: 100, height: 4, class: 'meter-track' }),
    s('rect', {
      x: 0,
      y: 0,
      width: Math.max(0.5, ratio * 100),
      height: 4,
      class: exhausted || ratio >= 1 ? 'meter-over' : ratio > 0.8 ? 'meter-warn' : 'meter-fill',
    }),
  );
  return svg;
}
