// What the session running in this window asks the user — may an agent run this command, may the
// generated tests run — with the answers as buttons: above the sections (where it is seen whatever is
// scrolled or collapsed), on the asking agent's row and in its transcript (webview/sections.ts,
// webview/transcript.ts). No button takes the focus: a key pressed for something else decides nothing.
import type { Question, QuestionAnswer } from '../src/protocol';
import { COMMAND_ANSWERS, TEST_ANSWERS } from '../src/protocol';
import { iconButton, textButton } from './components';
import { fill, h } from './dom';
import type { Section, View } from './view';
import { plural, usd } from './format';

export const ANSWER_LABELS: Record<QuestionAnswer, { text: string; icon: string }> = {
  once: { text: 'Allow Once', icon: 'check' },
  session: { text: 'Allow for This Session', icon: 'check-all' },
  deny: { text: 'Deny', icon: 'close' },
  run: { text: 'Run Tests', icon: 'beaker' },
  skip: { text: "Don't Run", icon: 'close' },
};

/** A question answered by one of a fixed set of answers (not a candidate's choice). */
type Answerable = Exclude<Question, { kind: 'candidate' }>;
type CandidateQuestion = Extract<Question, { kind: 'candidate' }>;

const answersOf = (q: Answerable): readonly QuestionAnswer[] => (q.kind === 'tests' ? TEST_ANSWERS : COMMAND_ANSWERS);

/** The question the agent `agentId` waits on, if any. */
export function questionOf(v: View, agentId: string): Extract<Question, { kind: 'command' }> | undefined {
  return v.questions?.find((q): q is Extract<Question, { kind: 'command' }> => q.kind === 'command' && q.agentId === agentId);
}

/** The answers as text buttons (the first styled primary, none focused). */
export function answerButtons(q: Answerable, v: View, where: string): HTMLElement {
  return h(
    'div',
    { class: 'answers', role: 'group', 'aria-label': `Answer: ${q.command}` },
    ...answersOf(q).map((a, i) =>
      textButton(ANSWER_LABELS[a].text, ANSWER_LABELS[a].icon, {
        appearance: i === 0 ? 'primary' : 'secondary',
        'data-key': `${where}:${q.id}:${a}`,
        onClick: () => v.post({ type: 'answer', id: q.id, answer: a }),
      }),
    ),
  );
}

/** The answers as icon buttons, for a table row. */
export function answerIcons(q: Answerable, v: View): HTMLElement {
  return h(
    'div',
    { class: 'answer-icons', role: 'group', 'aria-label': `Answer: ${q.kind === 'command' && q.mcp ? 'call' : 'run'} ${q.command}?` },
    ...answersOf(q).map((a) =>
      iconButton(ANSWER_LABELS[a].icon, `${ANSWER_LABELS[a].text}: ${q.command}`, {
        'data-key': `row:${q.id}:${a}`,
        onClick: () => v.post({ type: 'answer', id: q.id, answer: a }),
      }),
    ),
  );
}

/** The candidates as text buttons, the recommended one first (styled primary, none focused), then "Apply None". */
export function candidateButtons(q: CandidateQuestion, v: View, where: string): HTMLElement {
  return h(
    'div',
    { class: 'answers', role: 'group', 'aria-label': `Which candidate of task ${q.taskId} to apply` },
    ...q.candidates.map((c) =>
      textButton(
        `Apply ${c.candidateId} (${c.provider}/${c.model})${c.candidateId === q.recommended ? ' · recommended' : ''}`,
        c.candidateId === q.recommended ? 'check' : null,
        {
          appearance: c.candidateId === q.recommended ? 'primary' : 'secondary',
          title: `check ${c.passed ? 'passed' : 'not passed'} · ${usd(c.costUsd)} · ${plural(c.lines, 'line')} in ${plural(c.files, 'file')}`,
          'data-key': `${where}:${q.id}:${c.candidateId}`,
          onClick: () => v.post({ type: 'chooseCandidate', id: q.id, candidateId: c.candidateId }),
        },
      ),
    ),
    textButton('Apply None', 'circle-slash', {
      appearance: 'secondary',
      'data-key': `${where}:${q.id}:none`,
      onClick: () => v.post({ type: 'chooseCandidate', id: q.id, candidateId: null }),
    }),
  );
}

function questionItem(q: Question, v: View): HTMLElement {
  if (q.kind === 'candidate') {
    const rec = q.candidates.find((c) => c.candidateId === q.recommended);
    return h(
      'li',
      { class: 'question' },
      h('strong', null, `Which candidate's changes should be applied to task ${q.taskId}?`),
      h('div', null, q.title),
      h(
        'div',
        { class: 'muted' },
        rec ? `The verdict: ${rec.candidateId} (${rec.provider}/${rec.model}) — ${q.reason}. ` : `No candidate is recommended: ${q.reason}. `,
        'Their changes are under Candidates; Apply None leaves the workspace as it is.',
      ),
      candidateButtons(q, v, 'q'),
    );
  }
  if (q.kind === 'tests') {
    return h(
      'li',
      { class: 'question' },
      h('strong', null, "Run the generated project's tests?"),
      h('div', null, h('code', null, q.command)),
      h('div', { class: 'muted' }, 'In the workspace, without your API keys in their environment.'),
      answerButtons(q, v, 'q'),
    );
  }
  const task = q.taskId ? `${q.taskId}${q.taskTitle ? ` — ${q.taskTitle}` : ''}` : '—';
  return h(
    'li',
    { class: 'question' },
    h('strong', null, q.mcp ? `The ${q.role} agent asks to call ${q.mcp.server}/${q.mcp.tool}` : `The ${q.role} agent asks to run a command`),
    h('div', null, h('code', null, q.command)),
    h(
      'div',
      { class: 'muted' },
      q.mcp
        ? `Task: ${task} · a tool of the MCP server ${q.mcp.server}${q.mcp.readOnly ? ' (it marks it read-only)' : ''}`
        : `Task: ${task} · in ${q.cwd === '.' ? 'the workspace folder' : q.cwd} · without your API keys`,
    ),
    answerButtons(q, v, 'q'),
  );
}

export class QuestionsSection implements Section {
  readonly id = 'questions' as const;
  constructor(private readonly root: HTMLElement) {}
  reset(): void {}
  render(v: View): void {
    const qs = v.live ? (v.questions ?? []) : [];
    this.root.hidden = !qs.length;
    fill(
      this.root,
      qs.length ? h('h3', null, qs.length === 1 ? 'Waiting for your answer' : `${qs.length} questions waiting for your answer`) : null,
      qs.length ? h('ul', { class: 'questions' }, ...qs.map((q) => questionItem(q, v))) : null,
    );
  }
}
