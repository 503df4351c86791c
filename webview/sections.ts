// The panel's sections below the header, each rendering only its own part of the page: the agents
// and tasks tables, the decisions, incidents and changed files (long lists drawn in part: lists.ts),
// the timeline, quality and the session list.
import type { FileState } from '../src/core/fold/state';
import { icon, iconButton } from './components';
import { fill, h } from './dom';
import { phaseName } from '../src/core/fold/narrate';
import { isResumable, statusText } from '../src/core/fold/summary';
import { clock, duration } from './format';
import { agentRows, incidents, taskRows, timelineRows, type AgentRow, type Incident, type TaskRow } from './rows';
import { planSteps } from './plan';
import type { Section, SectionId, View } from './view';
import { empty, type KeyedRows, type PagedList } from './lists';
import { answerIcons, questionOf } from './questions';

/** A section whose content is redrawn from the state each time it is touched. */
export class Redrawn implements Section {
  constructor(
    readonly id: SectionId,
    private readonly root: HTMLElement,
    private readonly draw: (v: View) => (Node | null)[],
  ) {}
  reset(): void {}
  render(v: View): void {
    fill(this.root, ...this.draw(v));
  }
}

export function timeline(v: View): (Node | null)[] {
  const st = v.state;
  if (!st.phases.length) return [empty('No phase has started yet.')];
  return [
    h(
      'ol',
      { class: 'timeline' },
      ...timelineRows(st, v.live).map((r) => {
        if (r.kind === 'mark') return h('li', { class: `mark mark-${r.mark.kind}` }, h('span', { class: 'muted' }, `${clock(r.mark.ts)} `), r.mark.text);
        const { phase: p, outcome } = r;
        const running = p.endedAt === undefined;
        return h(
          'li',
          { class: `phase phase-${outcome}` },
          h('span', { class: 'phase-name' }, phaseName(p.name)),
          h('span', { class: 'muted' }, ` ${clock(p.startedAt)}`, running ? '' : ` · ${duration(p.endedAt! - p.startedAt)}`),
          ' ',
          h('span', { class: `pill outcome outcome-${outcome}` }, outcome),
          p.note ? h('div', { class: 'note' }, p.note) : null,
          p.name === 'planning' ? h('ul', { class: 'plan-steps muted' }, ...planSteps(st, p.startedAt, p.endedAt).map((x) => h('li', null, x))) : null,
        );
      }),
    ),
  ];
}

export const agentsTable: KeyedRows<AgentRow> = {
  caption: 'Agents',
  widths: ['w-20', 'w-26', 'w-28', 'w-26'],
  columns: ['Role', 'Provider / model', 'Status', 'Task'],
  items: (v) => agentRows(v.state),
  key: (a) => a.agentId,
  sig: (a, v) => JSON.stringify([a, v.selectedAgent === a.agentId, v.live, questionOf(v, a.agentId)?.id]),
  row: (a, v) => agentRow(a, v),
  empty: 'No agent has been spawned yet.',
};

/** A one-line value of a table cell: cut with an ellipsis when it does not fit, its whole text in its tooltip (as VS Code's lists do). */
const clip = (text: string, cls = '') => h('span', { class: `clip${cls ? ` ${cls}` : ''}`, title: text }, text);

/** An agent's row: its role opens its transcript; a working agent shows its current step and can be messaged. */
/** The button that shows or hides an agent's transcript: `name` says whose it is, `text` is what it shows. */
export function transcriptToggle(v: View, agentId: string, key: string, name: string, text: string): HTMLElement {
  const selected = v.selectedAgent === agentId;
  return h(
    'button',
    {
      class: 'linklike clip',
      'data-key': key,
      'aria-expanded': selected ? 'true' : 'false',
      title: `${name}: ${selected ? 'hide' : 'show'} what it does`,
      'aria-label': `${name}: ${selected ? 'hide' : 'show'} its transcript`,
      onClick: () => v.selectAgent?.(selected ? undefined : agentId),
    },
    text,
  );
}

function agentRow(a: AgentRow, v: View): HTMLElement {
  const selected = v.selectedAgent === a.agentId;
  // An agent waiting for the user's answer to its command: the answers are on its row too.
  const asking = questionOf(v, a.agentId);
  return h(
    'tr',
    { class: [selected ? 'selected' : '', asking ? 'asking' : ''].filter(Boolean).join(' ') },
    h(
      'td',
      null,
      h(
        'div',
        { class: 'cell-row' },
        transcriptToggle(v, a.agentId, `agent:${a.agentId}`, `${a.role} (${a.agentId})`, a.role),
        a.working && v.live
          ? iconButton('comment', `Message ${a.role} (${a.agentId})`, {
              'data-key': `message:${a.agentId}`,
              onClick: () => v.post({ type: 'messageAgent', agentId: a.agentId }),
            })
          : null,
      ),
    ),
    // Provider over model, each cut to the column; read (and copied) as "provider / model".
    h('td', null, clip(a.provider), h('span', { class: 'sr-only' }, ' / '), clip(a.model, 'muted')),
    h('td', null, clip(a.status, `agent ${a.statusClass}`), a.step ? clip(a.step, 'step muted') : null, asking && v.live ? answerIcons(asking, v) : null),
    h('td', { title: a.taskTitle }, a.task, a.candidate ? h('div', { class: 'muted candidate-of' }, `candidate ${a.candidate}`) : null),
  );
}

/** Each task: its status, who finished it, and what it cost split by who spent it. */
export const tasksTable: KeyedRows<TaskRow> = {
  caption: 'Tasks',
  widths: ['w-30', 'w-16', 'w-26', 'w-28'],
  columns: ['Task', 'Status', 'Finished by', 'Cost'],
  items: (v) => taskRows(v.state),
  key: (t) => t.id,
  sig: (t) => JSON.stringify(t),
  row: (t) =>
    h(
      'tr',
      null,
      h(
        'td',
        { title: t.id },
        t.title,
        t.race ? h('div', { class: 'muted race-note' }, t.race) : null,
        t.commands.length
          ? h(
              'ul',
              { class: 'commands' },
              ...t.commands.map((c) =>
                h('li', { class: `command ${c.statusClass}`, title: c.detail }, h('code', null, c.command), h('span', { class: 'muted' }, ` ${c.outcome}`)),
              ),
            )
          : null,
      ),
      h(
        'td',
        null,
        clip(t.status, `task task-${t.status}`),
        t.statusNote ? h('span', { class: 'sr-only' }, ' · ') : null,
        t.statusNote ? clip(t.statusNote, 'muted') : null,
      ),
      h('td', null, t.finishedBy),
      h(
        'td',
        null,
        clip(t.cost, 'num'),
        t.spentBy.length > 1 ? h('ul', { class: 'spent-by' }, ...t.spentBy.map((x) => h('li', { class: 'muted', title: x }, x))) : null,
      ),
    ),
  empty: 'No task has been planned yet.',
};

/** A list of entries that never change once logged, in log order, the newest drawn. */
const logList = <R extends { seq: number }>(items: (v: View) => readonly R[], row: (x: R) => HTMLElement, empty: string): PagedList<R> => ({
  items,
  key: (x) => x.seq,
  sig: () => 0,
  row,
  from: 'newest',
  list: () => h('ol', { class: 'log-list' }),
  empty,
});

/** The orchestrator's decisions. */
export const decisionsList = logList(
  (v) => v.state.decisions,
  (d) => decisionItem(d),
  'No decision yet.',
);

export function incidentItem(x: Incident): HTMLElement {
  return h(
    'li',
    { class: `incident incident-${x.kind}` },
    h('span', { class: 'muted' }, x.ts ? `${clock(x.ts)} ` : ''),
    h('strong', null, x.text),
    h('div', { class: 'why' }, x.why),
  );
}

/** Escalations, switches, refusals and provider alerts. */
export const incidentsList = logList(incidents, incidentItem, 'None so far.');

export function decisionItem(d: View['state']['decisions'][number]): HTMLElement {
  return h(
    'li',
    { class: 'decision' },
    h('span', { class: 'muted' }, `${clock(d.ts)} `),
    h('span', { class: 'pill' }, d.kind),
    ' ',
    h('strong', null, d.summary),
    d.taskId ? h('span', { class: 'muted' }, ` (${d.taskId})`) : null,
    h('div', { class: 'why' }, d.rationale),
  );
}

function fileRow(f: FileState, v: View): HTMLElement {
  const who = [f.role, f.provider && `${f.provider}${f.model ? `/${f.model}` : ''}`].filter(Boolean).join(' · ');
  const canDecide = !v.live && f.review !== 'reverted';
  return h(
    'li',
    { class: `file file-${f.change} review-${f.review}` },
    icon(f.change === 'created' ? 'diff-added' : f.change === 'deleted' ? 'diff-removed' : 'diff-modified', `file-icon change-${f.change}`),
    h(
      'div',
      { class: 'file-main' },
      h(
        'button',
        {
          class: 'linklike',
          'data-key': `diff:${f.path}`,
          title: `Open the diff of ${f.path}`,
          'aria-label': `${f.path}, ${f.change}, ${f.review}. Open diff`,
          onClick: () => v.post({ type: 'openDiff', path: f.path }),
        },
        f.path,
      ),
      h(
        'div',
        { class: 'muted' },
        h('span', { class: `pill change change-${f.change}` }, f.change),
        f.review !== 'pending' ? h('span', { class: `pill review-tag-${f.review}` }, f.review) : null,
        ` ${who}`,
        f.beforeUnknown ? ' · changed by a command; no copy from before, cannot be reverted' : '',
      ),
    ),
    // As in the Source Control view: open the change, keep it, discard it (no decision while the session runs).
    h(
      'div',
      { class: 'file-actions', role: 'toolbar', 'aria-label': `Actions for ${f.path}` },
      iconButton('git-compare', `Open Changes: ${f.path}`, { 'data-key': `open:${f.path}`, onClick: () => v.post({ type: 'openDiff', path: f.path }) }),
      canDecide && f.review === 'pending'
        ? iconButton('check', `Keep ${f.path}`, { 'data-key': `keep:${f.path}`, onClick: () => v.post({ type: 'review', path: f.path, action: 'keep' }) })
        : null,
      canDecide && !f.beforeUnknown
        ? iconButton('discard', `Revert ${f.path}`, {
            'data-key': `revert:${f.path}`,
            onClick: () => v.post({ type: 'review', path: f.path, action: 'revert' }),
          })
        : null,
    ),
  );
}

/** The changed files in the order they were first changed, the first drawn (the Changes view lists them all). */
export const filesList: PagedList<FileState> = {
  items: (v) => v.state.fileOrder.map((p) => v.state.files[p]!),
  key: (f) => f.path,
  sig: (f, v) => [f.change, f.review, f.role, f.provider, f.model, f.beforeUnknown, v.live].join('|'),
  row: fileRow,
  from: 'first',
  list: () => h('ul', { class: 'files' }),
  empty: 'No file has been changed yet.',
};

export function quality(v: View): (Node | null)[] {
  const st = v.state;
  const out: (Node | null)[] = [h('h3', null, 'Contract check')];
  const i = st.integration;
  if (!i) out.push(empty('Not run yet.'));
  else {
    const ok = !i.callsWithoutRoute.length;
    out.push(
      h(
        'p',
        { class: ok ? 'ok' : 'warn' },
        `${i.matched.length} call${i.matched.length === 1 ? '' : 's'} matched a route; ${i.callsWithoutRoute.length} without a route; ${i.routesNeverCalled.length} route${i.routesNeverCalled.length === 1 ? '' : 's'} never called (${i.filesScanned} files scanned).`,
      ),
      i.callsWithoutRoute.length
        ? h('ul', { class: 'findings' }, ...i.callsWithoutRoute.map((f) => h('li', { class: 'warn' }, `${f.method} ${f.path} — ${f.file}:${f.line}`)))
        : null,
      i.routesNeverCalled.length
        ? h(
            'ul',
            { class: 'findings' },
            ...i.routesNeverCalled.map((f) => h('li', { class: 'muted' }, `never called: ${f.method} ${f.path} — ${f.file}:${f.line}`)),
          )
        : null,
    );
  }
  out.push(h('h3', null, 'Validation'));
  const val = st.validation;
  if (!val) out.push(empty('Not run yet.'));
  else if ('notRun' in val) out.push(empty(`Not run: ${val.notRun}.`));
  else {
    const passed = val.exitCode === 0 && !val.timedOut;
    out.push(
      h(
        'p',
        { class: passed ? 'ok' : 'warn' },
        h('code', null, val.command),
        ` ${val.timedOut ? 'timed out' : `exited ${val.exitCode ?? '(killed)'}`}: ${val.passed ?? '?'} passed, ${val.failed ?? '?'} failed, ${val.skipped ?? '?'} skipped`,
        val.coverage === null ? '; coverage not measured' : `; line coverage ${val.coverage}%`,
        ` (${duration(val.durationMs)}).`,
      ),
    );
  }
  return out;
}

export function sessions(v: View): (Node | null)[] {
  if (!v.sessions.length) return [empty('No session in this workspace yet.')];
  return [
    h(
      'ul',
      { class: 'sessions' },
      ...v.sessions.map((x) => {
        const current = x.sessionId === v.sessionId;
        const status = statusText(x.status, x.live);
        return h(
          'li',
          { class: current ? 'current' : '' },
          h(
            'button',
            {
              class: 'linklike',
              'data-key': `session:${x.sessionId}`,
              'aria-current': current ? 'true' : undefined,
              'aria-label': `${x.goal || x.sessionId}, ${status}${current ? ', shown' : ''}. Show this session`,
              onClick: () => v.post({ type: 'openSession', sessionId: x.sessionId }),
            },
            x.goal || x.sessionId,
          ),
          x.scripted ? h('span', { class: 'pill' }, 'scripted') : null,
          // An interrupted, cancelled or failed session can continue (a scripted replay cannot).
          !x.live && isResumable(x)
            ? h(
                'button',
                {
                  class: 'linklike',
                  'aria-label': `Resume ${x.goal || x.sessionId}`,
                  onClick: () => v.post({ type: 'resumeSession', sessionId: x.sessionId }),
                },
                'Resume',
              )
            : null,
          h(
            'div',
            { class: 'muted' },
            `${status} · ${x.startedAt ? new Date(x.startedAt).toLocaleString() : '—'} · ${x.files} file${x.files === 1 ? '' : 's'} · ${x.costText}`,
          ),
        );
      }),
    ),
  ];
}
