// Best of several: each task whose candidates raced, its candidates side by side — provider/model (which
// opens the candidate's transcript), status, check, dollars, tokens, time, the size of its change (with a
// button that opens its diff) — and the verdict in a line. In a narrow side bar the table is drawn as
// cards, one per candidate (webview/narrow.ts). The section is hidden in a session without a race.
// While the user is to choose (`candidateApproval: "ask"`), each candidate's row can apply it; the
// question itself, with "Apply None", is above the sections (webview/questions.ts).
import type { Question } from '../src/protocol';
import { icon, iconButton } from './components';
import { h } from './dom';
import { KeyedChildren } from './lists';
import { raceViews, type CandidateRow, type RaceView } from './rows';
import type { Section, View } from './view';
import { transcriptToggle } from './sections';

type CandidateQuestion = Extract<Question, { kind: 'candidate' }>;

/** The question about task `taskId`'s race, if the session running here asks it now. */
export function candidateQuestionOf(v: View, taskId: string): CandidateQuestion | undefined {
  return v.live ? v.questions?.find((q): q is CandidateQuestion => q.kind === 'candidate' && q.taskId === taskId) : undefined;
}

const COLUMNS = ['Candidate', 'Status', 'Check', 'Cost', 'Time', 'Change'];
const WIDTHS = ['w-22', 'w-14', 'w-18', 'w-16', 'w-10', 'w-20'];

const clip = (text: string, cls = '') => h('span', { class: `clip${cls ? ` ${cls}` : ''}`, title: text }, text);

function candidateRow(c: CandidateRow, r: RaceView, v: View, q: CandidateQuestion | undefined): HTMLElement {
  const selected = v.selectedAgent === c.agentId;
  const name = `${c.candidateId} (${c.provider} / ${c.model})`;
  return h(
    'tr',
    { class: [selected ? 'selected' : '', c.chosen ? 'chosen' : '', c.recommended ? 'recommended' : ''].filter(Boolean).join(' ') },
    h(
      'td',
      null,
      h('div', { class: 'cell-row' }, transcriptToggle(v, c.agentId, `candidate:${c.candidateId}`, name, c.provider)),
      h('span', { class: 'sr-only' }, ' / '),
      clip(c.model, 'muted'),
    ),
    h(
      'td',
      { title: c.statusDetail || undefined },
      clip(c.status, `agent ${c.statusClass}`),
      c.step ? h('span', { class: 'sr-only' }, ' · ') : null,
      c.step ? clip(c.step, 'step muted') : null,
      c.chosen ? h('span', { class: 'pill race-chosen', title: 'Its changes were applied to the workspace' }, icon('check'), ' applied') : null,
      c.recommended
        ? h('span', { class: 'pill race-recommended', title: "The verdict's pick: passed, then the cheapest, then the smaller change" }, 'recommended')
        : null,
    ),
    h('td', { title: c.checkDetail || undefined }, clip(c.check, `check check-${c.checkClass}`)),
    h('td', null, clip(c.cost, 'num'), h('span', { class: 'sr-only' }, ' · '), h('div', { class: 'num muted tokens' }, `${c.tokens} tokens`)),
    h('td', null, clip(c.time, 'num')),
    h(
      'td',
      null,
      h(
        'div',
        { class: 'cell-row' },
        h('span', { class: 'clip', title: c.change }, c.lines),
        c.files
          ? iconButton('git-compare', `Open the changes of ${name}`, {
              'data-key': `cdiff:${c.candidateId}`,
              onClick: () => v.post({ type: 'openCandidateDiff', candidateId: c.candidateId }),
            })
          : null,
        q && q.candidates.some((x) => x.candidateId === c.candidateId)
          ? iconButton('check', `Apply the changes of ${name}`, {
              'data-key': `capply:${q.id}:${c.candidateId}`,
              onClick: () => v.post({ type: 'chooseCandidate', id: q.id, candidateId: c.candidateId }),
            })
          : null,
      ),
      c.filesText ? h('span', { class: 'sr-only' }, ' in ') : null,
      c.filesText ? h('div', { class: 'muted files-text' }, c.filesText) : null,
    ),
  );
}

function raceBlock(r: RaceView, v: View): HTMLElement {
  const q = candidateQuestionOf(v, r.taskId);
  return h(
    'div',
    { class: 'race', 'data-task': r.taskId },
    h('h3', { title: r.taskId }, `${r.title}`, h('span', { class: 'muted' }, ` · ${r.taskId}${r.round > 1 ? ` · round ${r.round}` : ''}`)),
    h('p', { class: `verdict verdict-${r.tone}` }, r.verdict),
    h(
      'table',
      { class: 'grid fixed race-table' },
      h('caption', { class: 'sr-only' }, `Candidates of task ${r.taskId}`),
      h('thead', null, h('tr', null, ...COLUMNS.map((c, i) => h('th', { scope: 'col', class: WIDTHS[i] }, c)))),
      h('tbody', null, ...r.candidates.map((c) => candidateRow(c, r, v, q))),
    ),
  );
}

export class RacesSection implements Section {
  readonly id = 'candidates' as const;
  private readonly blocks: KeyedChildren<RaceView>;

  /** `section`: the pane (hidden when no task raced); `root`: its body. */
  constructor(
    private readonly section: HTMLElement,
    root: HTMLElement,
  ) {
    const list = h('div', { class: 'races' });
    root.append(list);
    this.blocks = new KeyedChildren(list, (r) => r.taskId);
    this.section.hidden = true;
  }

  reset(): void {
    this.blocks.clear();
  }

  render(v: View): void {
    const races = raceViews(v.state);
    this.section.hidden = !races.length;
    this.blocks.sync(
      races,
      (r) => JSON.stringify([r, v.selectedAgent, candidateQuestionOf(v, r.taskId)?.id]),
      (r) => raceBlock(r, v),
    );
  }
}
