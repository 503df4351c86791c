// What a running session asks the user — may an agent run this command (the ApproveCommand port)? may
// the generated project's tests run (the consent port)? — asked where the work is shown, never in a
// modal that blocks the window: the panel shows each question (above the sections, on the agent's row
// and in its transcript) with its answers, and a notification offers the same answers. Nothing is
// focused for the user and closing the notification answers nothing, so neither Enter nor Escape
// decides by accident. A question is withdrawn when its task is stopped or the session cancelled
// (the port's AbortSignal), and when the session ends.
import * as vscode from 'vscode';
import type { CommandApproval, CommandApprovalRequest } from '../core/session/commands';
import type { McpApprovalRequest } from '../core/session/mcp';
import { PANEL_VIEW_ID } from './panel';
import { COMMAND_ANSWERS, TEST_ANSWERS, type Question, type QuestionAnswer } from '../protocol';
import type { CandidateQuestion } from '../core/ports';
import { usdText } from '../core/fold/money';

/** What settles a question: one of its answers, or the candidate picked (null: none). */
type Answer = QuestionAnswer | { candidateId: string | null };
type Pending = { question: Question; settle: (answer: Answer | undefined) => void };
type CandidateAsked = Extract<Question, { kind: 'candidate' }>;
/** A question before it is numbered. */
type Asked = { [K in Question['kind']]: Omit<Extract<Question, { kind: K }>, 'id'> }[Question['kind']];

/** The words of each answer, on the panel's buttons and the notification's. */
export const ANSWER_TITLES: Record<QuestionAnswer, string> = {
  once: 'Allow Once',
  session: 'Allow for This Session',
  deny: 'Deny',
  run: 'Run Tests',
  skip: "Don't Run",
};

/** A candidate in a few words: "api#3 (gemini/gemini-2.5-flash): check passed, $0.0087, 43 lines in 2 files". */
export function candidateLine(c: CandidateQuestion['candidates'][number]): string {
  return `${c.candidateId} (${c.provider}/${c.model}): check ${c.passed ? 'passed' : 'not passed'}, ${usdText(c.costUsd)}, ${c.lines} line${c.lines === 1 ? '' : 's'} in ${c.files} file${c.files === 1 ? '' : 's'}`;
}

/** The question in one sentence, as the notification and the panel's screen-reader text say it. */
export function questionText(q: Question): string {
  if (q.kind === 'candidate') {
    const rec = q.candidates.find((c) => c.candidateId === q.recommended);
    return `Task ${q.taskId} — ${q.title}: its ${q.candidates.length} candidates are judged. ${rec ? `Recommended: ${candidateLine(rec)} (${q.reason}).` : `None is recommended: ${q.reason}.`} Which candidate's changes should be applied?`;
  }
  if (q.kind === 'tests')
    return `Run the generated project's tests with "${q.command}"? They run in the workspace, without your API keys in their environment.`;
  const task = q.taskId ? ` (task ${q.taskId}${q.taskTitle ? ` — ${q.taskTitle}` : ''})` : '';
  if (q.mcp)
    return `The ${q.role} agent${task} asks to call the tool ${q.mcp.tool} of the MCP server ${q.mcp.server}${q.mcp.readOnly ? ' (which it marks read-only)' : ''}: ${q.command}`;
  return `The ${q.role} agent${task} asks to run "${q.command}" in ${q.cwd === '.' ? 'the workspace folder' : q.cwd}. It runs without your API keys in its environment.`;
}

export class Questions implements vscode.Disposable {
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  private readonly _onDidChange = new vscode.EventEmitter<readonly Question[]>();
  /** Fires with the questions waiting for an answer, oldest first. */
  readonly onDidChange = this._onDidChange.event;

  /** The questions waiting for an answer, oldest first. */
  get waiting(): Question[] {
    return [...this.pending.values()].map((p) => p.question);
  }

  /** The ApproveCommand port: an agent asks to run a command the `ensemble.commands` policy neither allows nor denies. */
  readonly approveCommand = async (req: CommandApprovalRequest, signal: AbortSignal): Promise<CommandApproval> => {
    if (!vscode.workspace.isTrusted) return 'deny'; // nothing runs in Restricted Mode
    const answer = await this.ask(
      { kind: 'command', agentId: req.agentId, role: req.role, taskId: req.taskId, taskTitle: req.taskTitle, command: req.command, cwd: req.cwd },
      COMMAND_ANSWERS,
      signal,
    );
    return answer === 'once' || answer === 'session' ? answer : 'deny';
  };

  /** The ApproveMcpCall port: an agent calls an MCP tool the `ensemble.mcp` policy neither allows nor denies (the same answers as a command's). */
  readonly approveMcp = async (req: McpApprovalRequest, signal: AbortSignal): Promise<CommandApproval> => {
    if (!vscode.workspace.isTrusted) return 'deny'; // nothing runs in Restricted Mode
    const answer = await this.ask(
      {
        kind: 'command',
        agentId: req.agentId,
        role: req.role,
        taskId: req.taskId,
        taskTitle: req.taskTitle,
        command: `${req.server}/${req.tool} ${req.arguments}`,
        cwd: '.',
        mcp: { server: req.server, tool: req.tool, readOnly: req.readOnly },
      },
      COMMAND_ANSWERS,
      signal,
    );
    return answer === 'once' || answer === 'session' ? answer : 'deny';
  };

  /** The consent port: asked before the generated tests run when `ensemble.validation.runTests` is "ask". */
  readonly consentToTests = async (command: string, signal?: AbortSignal): Promise<boolean> =>
    (await this.ask({ kind: 'tests', command }, TEST_ANSWERS, signal)) === 'run';

  /**
   * The CandidateChooser port (`candidateApproval: "ask"`): which of a race's judged candidates to apply,
   * the candidate's id or null for none. A question withdrawn (the session cancelled, or ended) applies none.
   */
  readonly chooseCandidate = async (q: CandidateQuestion, signal: AbortSignal): Promise<string | null> => {
    // The recommended candidate first, then the others in the order given.
    const candidates = [...q.candidates].sort((a, b) => Number(b.candidateId === q.recommended) - Number(a.candidateId === q.recommended));
    const answer = await this.ask({ ...q, kind: 'candidate', candidates }, [], signal);
    return answer && typeof answer === 'object' ? answer.candidateId : null;
  };

  /** Answers question `id` (the panel's buttons, the notification's); false when it no longer waits (answered, withdrawn). */
  answer(id: number, answer: QuestionAnswer): boolean {
    const p = this.pending.get(id);
    if (!p || p.question.kind === 'candidate' || !(p.question.kind === 'tests' ? TEST_ANSWERS : COMMAND_ANSWERS).includes(answer as never)) return false;
    p.settle(answer);
    return true;
  }

  /** Answers candidate question `id` with one of its candidates, or null for none; false when it no longer waits or names no candidate of it. */
  choose(id: number, candidateId: string | null): boolean {
    const p = this.pending.get(id);
    if (!p || p.question.kind !== 'candidate') return false;
    if (candidateId !== null && !p.question.candidates.some((c) => c.candidateId === candidateId)) return false;
    p.settle({ candidateId });
    return true;
  }

  /** Withdraws every question (the session ended): each resolves as undecided. */
  withdrawAll(): void {
    for (const p of [...this.pending.values()]) p.settle(undefined);
  }

  private ask(q: Asked, answers: readonly QuestionAnswer[], signal?: AbortSignal): Promise<Answer | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    const question = { ...q, id: this.next++ } as Question;
    return new Promise((resolve) => {
      const onAbort = () => settle(undefined);
      const settle = (answer: Answer | undefined) => {
        if (!this.pending.delete(question.id)) return;
        signal?.removeEventListener('abort', onAbort);
        this._onDidChange.fire(this.waiting);
        resolve(answer);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(question.id, { question, settle });
      this._onDidChange.fire(this.waiting);
      void (question.kind === 'candidate' ? this.notifyCandidates(question) : this.notify(question, answers));
    });
  }

  /**
   * The notification for a race's choice: apply the recommended candidate, choose another (a quick pick of
   * them all, with their figures), apply none, or show the panel; closing it answers nothing.
   */
  private async notifyCandidates(q: CandidateAsked): Promise<void> {
    const show = 'Show in Panel';
    const choose = 'Choose…';
    const none = 'Apply None';
    const rec = q.candidates.find((c) => c.candidateId === q.recommended);
    const applyRec = rec ? `Apply ${rec.candidateId} (Recommended)` : undefined;
    const choice = await vscode.window.showInformationMessage(
      `Ensemble: ${questionText(q)}`,
      ...[applyRec, choose, none, show].filter((x): x is string => !!x),
    );
    let picked: string | null | undefined;
    if (choice === show) return void vscode.commands.executeCommand(`${PANEL_VIEW_ID}.focus`);
    if (choice === applyRec) picked = rec!.candidateId;
    else if (choice === none) picked = null;
    else if (choice === choose) picked = await pickCandidate(q);
    if (picked !== undefined && !this.choose(q.id, picked))
      vscode.window.setStatusBarMessage('Ensemble: that question no longer waits (it was answered in the panel, or the session ended).', 5000);
  }

  /** The notification: the same answers as the panel, plus Show in Panel; closing it answers nothing (the question stays in the panel). */
  private async notify(q: Question, answers: readonly QuestionAnswer[]): Promise<void> {
    const show = 'Show in Panel';
    const choice = await vscode.window.showWarningMessage(`Ensemble: ${questionText(q)}`, ...answers.map((a) => ANSWER_TITLES[a]), show);
    if (choice === show) return void vscode.commands.executeCommand(`${PANEL_VIEW_ID}.focus`);
    const answer = answers.find((a) => ANSWER_TITLES[a] === choice);
    if (answer && !this.answer(q.id, answer))
      vscode.window.setStatusBarMessage('Ensemble: that question no longer waits (it was answered in the panel, or its task stopped).', 5000);
  }

  dispose(): void {
    this.withdrawAll();
    this._onDidChange.dispose();
  }
}

/** A quick pick of a race's candidates (the recommended one first), and "apply none"; undefined when dismissed. */
async function pickCandidate(q: CandidateAsked): Promise<string | null | undefined> {
  type Item = vscode.QuickPickItem & { candidateId: string | null };
  const items: Item[] = [
    ...q.candidates.map((c) => ({
      label: `${c.passed ? '$(pass)' : '$(error)'} ${c.candidateId}`,
      description: `${c.provider}/${c.model}${c.candidateId === q.recommended ? ' · recommended' : ''}`,
      detail: `check ${c.passed ? 'passed' : 'not passed'} · ${usdText(c.costUsd)} · ${c.lines} line${c.lines === 1 ? '' : 's'} in ${c.files} file${c.files === 1 ? '' : 's'}`,
      candidateId: c.candidateId,
    })),
    { label: '$(circle-slash) Apply None', description: "leave the workspace as it is; the task's usual rules apply", candidateId: null },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: `Ensemble: Task ${q.taskId} — Which Candidate to Apply?`,
    placeHolder: q.reason,
    ignoreFocusOut: true,
  });
  return picked ? picked.candidateId : undefined;
}
