// The plan on the command line: `ensemble plan` writes a plan file, `ensemble run --plan FILE` runs
// one, and `--approve-plan` shows each proposed plan on the terminal and asks approve / replan with
// feedback / cancel. A plan file is submit_plan's arguments (README "Plan files").

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Readable } from 'node:stream';
import type { CandidateQuestion, PlanProposal, PlanReviewAnswer, PlanReviewer } from '../core/ports';
import type { TaskSpec } from '../core/events';
import { checkPlanText } from '../core/session/planFile';
import type { PlanRules } from '../core/session/plan';
import { estimateText, usdText } from '../core/fold/money';
import { ENSEMBLE_DIR } from '../core/store/log';

export class PlanFileError extends Error {}

/** The plan file's default place: Ensemble's own folder in the workspace (never a workspace file). */
export function defaultPlanFile(workspace: string): string {
  return path.join(workspace, ENSEMBLE_DIR, 'plan.json');
}

/** Reads and checks a plan file by submit_plan's rules, before any model is called; every problem is named with its line. */
export function readPlanFile(file: string, roles: readonly string[] | PlanRules): { goal?: string; rationale: string; tasks: TaskSpec[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new PlanFileError(`Cannot read the plan file ${file}: ${(e as Error).message}`);
  }
  const check = checkPlanText(text, roles);
  if (check.ok) return check;
  const n = check.problems.length;
  throw new PlanFileError(
    `The plan file ${file} has ${n} problem${n === 1 ? '' : 's'}:\n${check.problems.map((p) => `  ${file}:${p.line}:${p.column}: ${p.message}`).join('\n')}`,
  );
}

/** The plan as the terminal shows it: each task with its role, route and dependencies, the rationale and the estimate. */
export function planLines(p: PlanProposal): string[] {
  const L = [`Plan ${p.proposal}: ${p.tasks.length} task${p.tasks.length === 1 ? '' : 's'}`, `  why: ${p.rationale}`];
  p.tasks.forEach((t, i) => {
    const r = p.routes[t.id];
    const route = r ? `${r.provider}/${r.model}${r.fallback ? ` (fallback ${r.fallback.provider}/${r.fallback.model})` : ''}` : '?';
    L.push(`  ${i + 1}. ${t.id}: ${t.title}`, `     role ${t.role} on ${route}; after ${t.dependsOn.length ? t.dependsOn.join(', ') : 'nothing'}`);
    if (r?.candidates) L.push(`     best of ${r.candidates.map((c) => `${c.provider}/${c.model}`).join(', ')}, judged by \`${t.check ?? ''}\``);
    if (t.rationale) L.push(`     why: ${t.rationale}`);
  });
  L.push(`  estimate: ${estimateText(p.estimateUsd, p.unknownModels, p.planModels)}${p.estimateUsd === null ? '' : ' for development'}`);
  return L;
}

/**
 * Asks on a terminal: approve, replan with feedback, or cancel (editing is done in a plan file:
 * `ensemble plan`, edit it, `ensemble run --plan FILE`). A closed input cancels; Ctrl-C cancels the session.
 */
export function terminalReviewer(input: Readable, write: (text: string) => void): PlanReviewer {
  return async (p, signal) => {
    if (p.errors.length) write(`Your edit was refused:\n${p.errors.map((e) => `  - ${e}`).join('\n')}\n`);
    write(planLines(p).join('\n') + '\n');
    const lines = new Lines(input, write, signal);
    const cancel: PlanReviewAnswer = { action: 'cancel', reason: 'the plan was cancelled on the terminal' };
    try {
      for (;;) {
        const a = (await lines.ask('[a]pprove, [r]eplan with feedback, or [c]ancel? '))?.trim().toLowerCase();
        if (a === undefined || a === 'c' || a === 'cancel') return cancel;
        if (a === 'a' || a === 'approve' || a === 'y' || a === 'yes') return { action: 'approve' };
        if (a === 'r' || a === 'replan') {
          const feedback = await lines.ask('What should change? ');
          return feedback === undefined ? cancel : { action: 'replan', feedback };
        }
      }
    } finally {
      lines.close();
    }
  };
}

/** Lines typed on the input, one per question; undefined once the input closes or the session is cancelled (Ctrl-C). */
class Lines {
  private readonly rl: readline.Interface;
  private readonly queue: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private ended = false;

  constructor(
    input: Readable,
    private readonly write: (text: string) => void,
    private readonly signal: AbortSignal,
  ) {
    // Not in raw mode: the terminal echoes what is typed, and Ctrl-C reaches the process (which cancels the session).
    this.rl = readline.createInterface({ input, terminal: false });
    this.rl.on('line', (l) => (this.waiting ? this.take(l) : this.queue.push(l)));
    this.rl.on('close', () => this.end());
    signal.addEventListener('abort', this.end, { once: true });
  }

  ask(prompt: string): Promise<string | undefined> {
    this.write(prompt);
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  private take(line: string | undefined): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.(line);
  }

  private readonly end = (): void => {
    this.ended = true;
    this.take(undefined);
  };

  close(): void {
    this.signal.removeEventListener('abort', this.end);
    this.rl.close();
  }
}

/** A race's question as the terminal shows it: each candidate (the verdict's first), numbered, and the verdict. */
export function candidateLines(q: CandidateQuestion): string[] {
  return [
    `Task ${q.taskId} (${q.title}): which candidate's changes to apply?`,
    ...q.candidates.map(
      (c, i) =>
        `  ${i + 1}. ${c.candidateId} ${c.provider}/${c.model}: ${c.passed ? 'check passed' : 'check did not pass'}, ${usdText(c.costUsd)}, ${c.lines} lines in ${c.files} file${c.files === 1 ? '' : 's'}${c.candidateId === q.recommended ? ' (recommended)' : ''}`,
    ),
    `  verdict: ${q.recommended ?? 'none'} — ${q.reason}`,
  ];
}

/** The terminal's answer to `candidateLines`: a number picks that candidate, `none` none, Enter the recommended one. */
export function candidateAnswer(q: CandidateQuestion, answer: string): string | null | undefined {
  const a = answer.trim().toLowerCase();
  if (a === '') return q.recommended;
  if (a === 'none' || a === 'n') return null;
  const i = Number(a);
  return Number.isInteger(i) && i >= 1 && i <= q.candidates.length ? q.candidates[i - 1]!.candidateId : undefined;
}
