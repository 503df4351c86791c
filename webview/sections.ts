// The panel's sections below the header. Each renders only its own part of the page: tables and lists
// are keyed (a batch redraws the rows it changed), and the lists that grow without bound (decisions,
// incidents, a transcript, changed files) draw a window of them, more on demand.
import type { FileState } from '../src/core/fold/state';
import { icon, iconButton, textButton } from './components';
import { fill, h } from './dom';
import { phaseName } from '../src/core/fold/narrate';
import { isResumable, statusText } from '../src/core/fold/summary';
import { clock, duration } from './format';
import { agentRows, taskRows, timelineRows, type AgentRow, type TaskRow } from './rows';
import { planSteps } from './plan';
import type { Section, SectionId, View } from './view';

export const empty = (text: string) => h('p', { class: 'muted' }, text);

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

/**
 * Keyed rows in one parent: a row is redrawn only when what it shows changed (its signature), moved
 * only when it is out of place, and removed when it is no longer listed; so that a batch of events
 * redraws the one or two rows it touched, not every row of a long session.
 */
class KeyedChildren<R> {
  private rows = new Map<unknown, { sig: unknown; el: HTMLElement }>();

  constructor(
    private readonly parent: HTMLElement,
    private readonly key: (r: R) => unknown,
  ) {}

  clear(): void {
    this.rows.clear();
    this.parent.replaceChildren();
  }

  /** Makes the parent's children the rows of `items`, in their order. */
  sync(items: readonly R[], sig: (r: R) => unknown, draw: (r: R) => HTMLElement): void {
    // Rows no longer listed go first, so that those that stay are found in place (a window's oldest
    // row leaving does not move every other row).
    const keys = new Set(items.map(this.key));
    for (const [key, row] of this.rows) {
      if (keys.has(key)) continue;
      row.el.remove();
      this.rows.delete(key);
    }
    let prev: HTMLElement | null = null;
    for (const r of items) {
      const key = this.key(r);
      const s = sig(r);
      let row = this.rows.get(key);
      if (!row || row.sig !== s) {
        const el = draw(r);
        if (row) row.el.replaceWith(el);
        row = { sig: s, el };
        this.rows.set(key, row);
      }
      if (row.el.parentNode !== this.parent || row.el.previousElementSibling !== prev) {
        if (prev) prev.after(row.el);
        else this.parent.prepend(row.el);
      }
      prev = row.el;
    }
  }
}

/** A table of keyed rows (see KeyedChildren). */
export class KeyedTable<R> implements Section {
  private readonly body = h('tbody');
  private readonly rows: KeyedChildren<R>;
  private readonly table: HTMLElement;
  private readonly placeholder: HTMLElement;

  constructor(
    readonly id: SectionId,
    private readonly root: HTMLElement,
    private readonly spec: KeyedRows<R>,
  ) {
    this.rows = new KeyedChildren(this.body, spec.key);
    this.placeholder = empty(spec.empty);
    this.table = h('table', { class: 'grid' }, h('caption', { class: 'sr-only' }, spec.caption), h('thead', null, h('tr', null, ...spec.columns.map((c) => h('th', { scope: 'col' }, c)))), this.body);
  }

  reset(): void {
    this.rows.clear();
  }

  render(v: View): void {
    const items = this.spec.items(v);
    this.rows.sync(items, (r) => this.spec.sig(r, v), (r) => this.spec.row(r, v));
    // Either the table or the placeholder, as the section shows nothing else.
    const shown = items.length ? this.table : this.placeholder;
    if (this.root.firstChild !== shown || this.root.childNodes.length !== 1) this.root.replaceChildren(shown);
  }
}

/** How keyed rows are drawn: each one's key and signature (what it shows; a change redraws it), and its row. */
export interface Rows<R> {
  key(r: R): unknown;
  sig(r: R, v: View): unknown;
  row(r: R, v: View): HTMLElement;
}

/** What a KeyedTable shows: its caption and columns, and its rows. */
export interface KeyedRows<R> extends Rows<R> {
  caption: string;
  columns: string[];
  items(v: View): R[];
  empty: string;
}

export const agentsTable: KeyedRows<AgentRow> = {
  caption: 'Agents',
  columns: ['Role', 'Provider / model', 'Status', 'Task'],
  items: (v) => agentRows(v.state),
  key: (a) => a.agentId,
  sig: (a, v) => JSON.stringify([a, v.selectedAgent === a.agentId, v.live]),
  row: (a, v) => agentRow(a, v),
  empty: 'No agent has been spawned yet.',
};

/** An agent's row: its role opens its transcript; a working agent shows its current step and can be messaged. */
function agentRow(a: AgentRow, v: View): HTMLElement {
  const selected = v.selectedAgent === a.agentId;
  return h(
    'tr',
    { class: selected ? 'selected' : '' },
    h(
      'td',
      null,
      h('button', { class: 'linklike', 'data-key': `agent:${a.agentId}`, 'aria-expanded': selected ? 'true' : 'false', title: 'Show what this agent does', 'aria-label': `${a.role} (${a.agentId}): ${selected ? 'hide' : 'show'} its transcript`, onClick: () => v.selectAgent?.(selected ? undefined : a.agentId) }, a.role),
      a.working && v.live ? iconButton('comment', `Message ${a.role} (${a.agentId})`, { 'data-key': `message:${a.agentId}`, onClick: () => v.post({ type: 'messageAgent', agentId: a.agentId }) }) : null,
    ),
    h('td', null, a.route),
    h('td', null, h('span', { class: `agent ${a.statusClass}` }, a.status), a.step ? h('div', { class: 'step muted' }, a.step) : null),
    h('td', { title: a.taskTitle }, a.task),
  );
}

/** Each task: its status, who finished it, and what it cost split by who spent it. */
export const tasksTable: KeyedRows<TaskRow> = {
  caption: 'Tasks',
  columns: ['Task', 'Status', 'Finished by', 'Cost'],
  items: (v) => taskRows(v.state),
  key: (t) => t.id,
  sig: (t) => JSON.stringify(t),
  row: (t) =>
    h(
      'tr',
      null,
      h('td', { title: t.id }, t.title, t.commands.length ? h('ul', { class: 'commands' }, ...t.commands.map((c) => h('li', { class: `command ${c.statusClass}`, title: c.detail }, h('code', null, c.command), h('span', { class: 'muted' }, ` ${c.outcome}`)))) : null),
      h('td', null, h('span', { class: `task task-${t.status}` }, t.status)),
      h('td', null, t.finishedBy),
      h('td', null, h('span', { class: 'num' }, t.cost), t.spentBy.length > 1 ? h('ul', { class: 'spent-by' }, ...t.spentBy.map((x) => h('li', { class: 'muted' }, x))) : null),
    ),
  empty: 'No task has been planned yet.',
};

/** Rows drawn at first, and added per "Show more": a long session has thousands of decisions, incidents or transcript entries. */
export const PAGE = 50;

/** How a paged list draws its items. */
export interface PagedRows<R> extends Rows<R> {
  /** Which end is drawn: the newest (the list's end; earlier items are shown on demand) or its first items. */
  from: 'newest' | 'first';
}

/**
 * A long list drawn in part: a window of PAGE rows at one end, with "Show N more" and "Show all"
 * controls that say how many are not shown. Its rows are keyed (KeyedChildren): new items are added
 * and changed ones redrawn without touching the rest; in a window of the newest, a new item pushes the
 * oldest drawn one out, so the DOM stays bounded however long the session runs.
 */
export class Paged<R> {
  /** What goes into the section, in order: the controls sit where the hidden items would be. */
  readonly nodes: HTMLElement[];
  private readonly rows: KeyedChildren<R>;
  private readonly moreLabel = h('span');
  private readonly allLabel = h('span');
  private readonly more: HTMLElement;
  private readonly all: HTMLElement;
  private readonly controls: HTMLElement;
  private shown = PAGE;
  private last: { items: readonly R[]; v: View } | undefined;

  constructor(
    private readonly list: HTMLElement,
    private readonly spec: PagedRows<R>,
    key: string,
  ) {
    this.rows = new KeyedChildren(list, spec.key);
    const newest = spec.from === 'newest';
    this.more = textButton(this.moreLabel, newest ? 'chevron-up' : 'chevron-down', { appearance: 'secondary', 'data-key': `${key}:more`, onClick: () => this.show(this.shown + PAGE, this.more) });
    this.all = textButton(this.allLabel, 'unfold', { appearance: 'secondary', 'data-key': `${key}:all`, onClick: () => this.show(Infinity, this.all) });
    this.controls = h('div', { class: 'list-more', hidden: true }, this.more, this.all);
    this.nodes = newest ? [this.controls, list] : [list, this.controls];
  }

  reset(): void {
    this.rows.clear();
    this.shown = PAGE;
    this.last = undefined;
    this.controls.hidden = true;
  }

  private show(n: number, control: HTMLElement): void {
    this.shown = n;
    if (this.last) this.render(this.last.items, this.last.v);
    // The control is gone once everything is shown: keyboard focus goes to the list, not to the page's start.
    if (control.hidden && this.list.ownerDocument.activeElement === control) {
      this.list.tabIndex = -1;
      this.list.focus();
    }
  }

  render(items: readonly R[], v: View): void {
    this.last = { items, v };
    const n = Math.min(this.shown, items.length);
    const newest = this.spec.from === 'newest';
    this.rows.sync(n === items.length ? items : newest ? items.slice(items.length - n) : items.slice(0, n), (r) => this.spec.sig(r, v), (r) => this.spec.row(r, v));
    const rest = items.length - n;
    this.controls.hidden = this.more.hidden = rest <= 0;
    this.all.hidden = rest <= PAGE;
    if (rest > 0) this.moreLabel.textContent = `Show ${Math.min(PAGE, rest)} ${newest ? 'earlier' : 'more'} (${count(rest)} not shown)`;
    if (rest > PAGE) this.allLabel.textContent = `Show all (${count(items.length)})`;
  }
}

const count = (n: number) => n.toLocaleString('en');

/** A paged list and what it is when there is nothing to list. */
export interface PagedList<R> extends PagedRows<R> {
  items(v: View): readonly R[];
  list: () => HTMLElement;
  empty: string;
}

/** A section that is one paged list. */
export class PagedSection<R> implements Section {
  private readonly paged: Paged<R>;
  private readonly placeholder: HTMLElement;

  constructor(
    readonly id: SectionId,
    root: HTMLElement,
    private readonly spec: PagedList<R>,
  ) {
    this.paged = new Paged(spec.list(), spec, id);
    this.placeholder = empty(spec.empty);
    root.append(this.placeholder, ...this.paged.nodes);
  }

  reset(): void {
    this.paged.reset();
  }

  render(v: View): void {
    const items = this.spec.items(v);
    this.paged.render(items, v);
    this.placeholder.hidden = items.length > 0;
  }
}

/** The orchestrator's decisions, oldest first, the newest drawn (they never change once logged). */
export const decisionsList: PagedList<View['state']['decisions'][number]> = {
  items: (v) => v.state.decisions,
  key: (d) => d.seq,
  sig: () => 0,
  row: (d) => decisionItem(d),
  from: 'newest',
  list: () => h('ol', { class: 'log-list' }),
  empty: 'No decision yet.',
};

export type Incident = { seq: number; ts?: number; kind: 'escalated' | 'switched' | 'refused' | 'billing' | 'declined'; text: string; why: string };

export function incidents(v: View): Incident[] {
  const st = v.state;
  const out: Incident[] = [
    ...st.escalations.map((e) => ({ seq: e.seq, ts: e.ts, kind: 'escalated' as const, text: `Task ${e.taskId} escalated to the orchestrator`, why: e.reason })),
    ...st.switches.map((w) => ({ seq: w.seq, ts: w.ts, kind: 'switched' as const, text: `${w.taskId ? `Task ${w.taskId}: ` : 'Orchestrator: '}${w.from.provider}/${w.from.model} → ${w.to.provider}/${w.to.model}`, why: w.reason })),
    ...st.refusals.map((r) => ({ seq: r.seq, kind: 'refused' as const, text: `Write to ${r.path} refused (${r.reason})`, why: r.message })),
    // A provider out of quota needs the user (billing); a model's refusal is shown with its words.
    ...st.providerAlerts.map((a) => ({
      seq: a.seq, ts: a.ts, kind: a.code === 'quota' ? ('billing' as const) : ('declined' as const), why: a.message,
      text: `${a.taskId ? `Task ${a.taskId}: ` : ''}${a.provider}/${a.model} ${a.code === 'quota' ? 'needs billing attention' : 'refused the request'}`,
    })),
  ];
  return out.sort((a, b) => a.seq - b.seq);
}

export function incidentItem(x: Incident): HTMLElement {
  return h('li', { class: `incident incident-${x.kind}` }, h('span', { class: 'muted' }, x.ts ? `${clock(x.ts)} ` : ''), h('strong', null, x.text), h('div', { class: 'why' }, x.why));
}

/** Escalations, switches, refusals and provider alerts in log order, the newest drawn. */
export const incidentsList: PagedList<Incident> = {
  items: incidents,
  key: (x) => x.seq,
  sig: () => 0,
  row: (x) => incidentItem(x),
  from: 'newest',
  list: () => h('ol', { class: 'log-list' }),
  empty: 'None so far.',
};

export function decisionItem(d: View['state']['decisions'][number]): HTMLElement {
  return h('li', { class: 'decision' }, h('span', { class: 'muted' }, `${clock(d.ts)} `), h('span', { class: 'pill' }, d.kind), ' ', h('strong', null, d.summary), d.taskId ? h('span', { class: 'muted' }, ` (${d.taskId})`) : null, h('div', { class: 'why' }, d.rationale));
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
      h('button', { class: 'linklike', 'data-key': `diff:${f.path}`, title: `Open the diff of ${f.path}`, 'aria-label': `${f.path}, ${f.change}, ${f.review}. Open diff`, onClick: () => v.post({ type: 'openDiff', path: f.path }) }, f.path),
      h('div', { class: 'muted' }, h('span', { class: `pill change change-${f.change}` }, f.change), f.review !== 'pending' ? h('span', { class: `pill review-tag-${f.review}` }, f.review) : null, ` ${who}`, f.beforeUnknown ? ' · changed by a command; no copy from before, cannot be reverted' : ''),
    ),
    // As in the Source Control view: open the change, keep it, discard it (no decision while the session runs).
    h(
      'div',
      { class: 'file-actions', role: 'toolbar', 'aria-label': `Actions for ${f.path}` },
      iconButton('git-compare', `Open Changes: ${f.path}`, { 'data-key': `open:${f.path}`, onClick: () => v.post({ type: 'openDiff', path: f.path }) }),
      canDecide && f.review === 'pending' ? iconButton('check', `Keep ${f.path}`, { 'data-key': `keep:${f.path}`, onClick: () => v.post({ type: 'review', path: f.path, action: 'keep' }) }) : null,
      canDecide && !f.beforeUnknown ? iconButton('discard', `Revert ${f.path}`, { 'data-key': `revert:${f.path}`, onClick: () => v.post({ type: 'review', path: f.path, action: 'revert' }) }) : null,
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
      h('p', { class: ok ? 'ok' : 'warn' }, `${i.matched.length} call${i.matched.length === 1 ? '' : 's'} matched a route; ${i.callsWithoutRoute.length} without a route; ${i.routesNeverCalled.length} route${i.routesNeverCalled.length === 1 ? '' : 's'} never called (${i.filesScanned} files scanned).`),
      i.callsWithoutRoute.length ? h('ul', { class: 'findings' }, ...i.callsWithoutRoute.map((f) => h('li', { class: 'warn' }, `${f.method} ${f.path} — ${f.file}:${f.line}`))) : null,
      i.routesNeverCalled.length ? h('ul', { class: 'findings' }, ...i.routesNeverCalled.map((f) => h('li', { class: 'muted' }, `never called: ${f.method} ${f.path} — ${f.file}:${f.line}`))) : null,
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
          h('button', { class: 'linklike', 'data-key': `session:${x.sessionId}`, 'aria-current': current ? 'true' : undefined, 'aria-label': `${x.goal || x.sessionId}, ${status}${current ? ', shown' : ''}. Show this session`, onClick: () => v.post({ type: 'openSession', sessionId: x.sessionId }) }, x.goal || x.sessionId),
          x.scripted ? h('span', { class: 'pill' }, 'scripted') : null,
          // An interrupted, cancelled or failed session can continue (a scripted replay cannot).
          !x.live && isResumable(x)
            ? h('button', { class: 'linklike', 'aria-label': `Resume ${x.goal || x.sessionId}`, onClick: () => v.post({ type: 'resumeSession', sessionId: x.sessionId }) }, 'Resume')
            : null,
          h('div', { class: 'muted' }, `${status} · ${x.startedAt ? new Date(x.startedAt).toLocaleString() : '—'} · ${x.files} file${x.files === 1 ? '' : 's'} · ${x.costText}`),
        );
      }),
    ),
  ];
}
