// The selected agent's transcript, folded from the log (src/core/fold/transcript.ts): its task prompt,
// what it said, each tool call with its result, retries, switches, compactions, the user's notes, how it ended.
import { iconButton, textButton } from './components';
import { fill, h } from './dom';
import type { TranscriptEntry } from '../src/core/fold/transcript';
import { agentRows, transcriptRow, type TranscriptRow } from './rows';
import { answerButtons, questionOf } from './questions';
import { empty, Paged, type PagedRows } from './lists';
import type { Section, View } from './view';

function transcriptItem(r: TranscriptRow, v: View): HTMLElement {
  return h(
    'li',
    { class: `entry entry-${r.kind} tone-${r.tone}` },
    h('strong', { class: 'entry-label' }, r.label),
    r.text ? h('span', { class: 'entry-text' }, ` ${r.text}`) : null,
    r.detail ? h('details', null, h('summary', null, r.detailLabel ?? 'Show the prompt'), h('pre', { class: 'entry-detail' }, r.detail)) : null,
    ...r.diffs.map((p) =>
      h(
        'button',
        {
          class: 'linklike entry-diff',
          'data-key': `tdiff:${r.key}:${p}`,
          'aria-label': `Open the diff of ${p}`,
          onClick: () => v.post({ type: 'openDiff', path: p }),
        },
        `open diff of ${p}`,
      ),
    ),
  );
}

/** An entry is keyed by its seq and redrawn when its `rev` changes (streamed text, a tool's result). */
const entryRows: PagedRows<TranscriptEntry> = {
  key: (e) => e.seq,
  sig: (e) => e.rev,
  row: (e, v) => transcriptItem(transcriptRow(e), v),
  from: 'newest',
};

/**
 * The selected agent's transcript, live: only its entries are drawn, the newest of a long one
 * (earlier ones on demand), and of those only the new ones and the ones that changed are redrawn.
 */
export class TranscriptSection implements Section {
  readonly id = 'transcript' as const;
  private agent: string | undefined;
  private headSig = '';
  private readonly placeholder = empty('Choose an agent (its role, under Agents) to follow what it does.');
  private readonly head = h('div', { class: 'transcript-head' });
  private readonly entries = new Paged(h('ol', { class: 'transcript log-list' }), entryRows, 'transcript');
  private readonly body = h('div', null, ...this.entries.nodes);

  constructor(root: HTMLElement) {
    root.append(this.placeholder, this.head, this.body);
  }

  reset(): void {
    this.agent = undefined;
    this.headSig = '';
    this.entries.reset();
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
    this.head.hidden = this.body.hidden = !a;
    if (!a || !id) return;
    const row = agentRows(v.state).find((r) => r.agentId === id)!;
    const steer = row.working && v.live;
    const asking = v.live ? questionOf(v, id) : undefined;
    const sig = [row.status, row.step, steer, asking?.id].join('|');
    if (sig !== this.headSig) {
      this.headSig = sig;
      fill(
        this.head,
        h('strong', null, `${a.role} (${id})`),
        h('span', { class: 'muted' }, ` ${row.route} · ${row.status}${row.step ? ` · ${row.step}` : ''}`),
        steer ? textButton('Message Agent', 'comment', { 'data-key': `tmessage:${id}`, onClick: () => v.post({ type: 'messageAgent', agentId: id }) }) : null,
        steer && v.state.tasks[a.taskId]
          ? textButton('Stop Task', 'debug-stop', {
              appearance: 'secondary',
              'data-key': `tstop:${a.taskId}`,
              onClick: () => v.post({ type: 'stopTask', taskId: a.taskId }),
            })
          : null,
        iconButton('close', 'Close the transcript', { onClick: () => v.selectAgent?.(undefined) }),
        asking
          ? h(
              'div',
              { class: 'transcript-question' },
              h(
                'span',
                null,
                asking.mcp ? 'Asks to call ' : 'Asks to run ',
                h('code', null, asking.command),
                asking.cwd === '.' || asking.mcp ? '' : ` in ${asking.cwd}`,
                ':',
              ),
              answerButtons(asking, v, 't'),
            )
          : null,
      );
    }
    this.entries.render(v.transcript?.agents[id] ?? [], v);
  }
}
