// The selected agent's transcript, folded from the log (src/core/fold/transcript.ts): its task prompt,
// what it said, each tool call with its result, retries, switches, the user's notes, how it ended.
import { iconButton, textButton } from './components';
import { fill, h } from './dom';
import { agentRows, transcriptRow, type TranscriptRow } from './rows';
import { empty } from './sections';
import type { Section, View } from './view';

function transcriptItem(r: TranscriptRow, v: View): HTMLElement {
  return h(
    'li',
    { class: `entry entry-${r.kind} tone-${r.tone}` },
    h('strong', { class: 'entry-label' }, r.label),
    r.text ? h('span', { class: 'entry-text' }, ` ${r.text}`) : null,
    r.detail ? h('details', null, h('summary', null, 'Show the prompt'), h('pre', { class: 'entry-detail' }, r.detail)) : null,
    ...r.diffs.map((p) => h('button', { class: 'linklike entry-diff', 'data-key': `tdiff:${r.key}:${p}`, 'aria-label': `Open the diff of ${p}`, onClick: () => v.post({ type: 'openDiff', path: p }) }, `open diff of ${p}`)),
  );
}

/**
 * The selected agent's transcript, live: only its entries are drawn, and of those only the new ones
 * and the ones whose `rev` changed (streamed text, a tool's result) are redrawn.
 */
export class TranscriptSection implements Section {
  readonly id = 'transcript' as const;
  private agent: string | undefined;
  private drawn: { seq: number; rev: number; el: HTMLElement }[] = [];
  private headSig = '';
  private readonly placeholder = empty('Choose an agent (its role, under Agents) to follow what it does.');
  private readonly head = h('div', { class: 'transcript-head' });
  private readonly list = h('ol', { class: 'transcript log-list' });

  constructor(root: HTMLElement) {
    root.append(this.placeholder, this.head, this.list);
  }

  reset(): void {
    this.agent = undefined;
    this.drawn = [];
    this.headSig = '';
    this.list.replaceChildren();
    this.head.replaceChildren();
  }

  render(v: View): void {
    const id = v.selectedAgent;
    const a = id ? v.state.agents[id] : undefined;
    if (id !== this.agent) {
      this.reset();
      this.agent = id;
    }
    this.placeholder.hidden = !!a;
    this.head.hidden = this.list.hidden = !a;
    if (!a || !id) return;
    const row = agentRows(v.state).find((r) => r.agentId === id)!;
    const steer = row.working && v.live;
    const sig = [row.status, row.step, steer].join('|');
    if (sig !== this.headSig) {
      this.headSig = sig;
      fill(
        this.head,
        h('strong', null, `${a.role} (${id})`),
        h('span', { class: 'muted' }, ` ${row.route} · ${row.status}${row.step ? ` · ${row.step}` : ''}`),
        steer ? textButton('Message Agent', 'comment', { 'data-key': `tmessage:${id}`, onClick: () => v.post({ type: 'messageAgent', agentId: id }) }) : null,
        steer && v.state.tasks[a.taskId] ? textButton('Stop Task', 'debug-stop', { appearance: 'secondary', 'data-key': `tstop:${a.taskId}`, onClick: () => v.post({ type: 'stopTask', taskId: a.taskId }) }) : null,
        iconButton('close', 'Close the transcript', { onClick: () => v.selectAgent?.(undefined) }),
      );
    }
    const entries = v.transcript?.agents[id] ?? [];
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const d = this.drawn[i];
      if (d && d.seq === e.seq && d.rev === e.rev) continue;
      const el = transcriptItem(transcriptRow(e), v);
      if (d) d.el.replaceWith(el);
      else this.list.append(el);
      this.drawn[i] = { seq: e.seq, rev: e.rev, el };
    }
  }
}
