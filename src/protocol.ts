// The messages between the extension and the side panel, imported by both sides (the webview bundle
// and the extension). Discriminated unions only: every message has a `type`, and nothing is `any`.
// The panel holds no state the log does not: it starts from the fold of the log so far (the engine's
// SessionState, through `seq`) and folds the later events it is sent with the engine's own reducer
// (src/core/fold/state.ts). An agent's transcript is asked for when it is opened: its events only.

import type { EnsembleEvent } from './core/events';
import type { CandidateQuestion } from './core/ports';
import type { SessionState } from './core/fold/state';
import type { SessionSummary as FoldedSummary } from './core/fold/summary';

/** Every command the extension contributes (package.json `contributes.commands`). */
export const COMMANDS = {
  start: 'ensemble.start',
  demo: 'ensemble.demo',
  setApiKey: 'ensemble.setApiKey',
  clearApiKey: 'ensemble.clearApiKey',
  cancel: 'ensemble.cancel',
  resume: 'ensemble.resume',
  openReport: 'ensemble.openReport',
  reviewChanges: 'ensemble.reviewChanges',
  keepAll: 'ensemble.keepAll',
  revertAll: 'ensemble.revertAll',
  keepFile: 'ensemble.keepFile',
  revertFile: 'ensemble.revertFile',
  openDiff: 'ensemble.openDiff',
  showLog: 'ensemble.showLog',
  approvePlan: 'ensemble.approvePlan',
  editPlan: 'ensemble.editPlan',
  replan: 'ensemble.replan',
  submitEditedPlan: 'ensemble.submitEditedPlan',
  messageAgent: 'ensemble.messageAgent',
  stopTask: 'ensemble.stopTask',
  chooseModels: 'ensemble.chooseModels',
  openCandidateDiff: 'ensemble.openCandidateDiff',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

/** The commands the panel's buttons may run (they take no arguments). */
export const PANEL_COMMANDS = [
  COMMANDS.start,
  COMMANDS.demo,
  COMMANDS.cancel,
  COMMANDS.resume,
  COMMANDS.openReport,
  COMMANDS.reviewChanges,
  COMMANDS.keepAll,
  COMMANDS.revertAll,
  COMMANDS.setApiKey,
  COMMANDS.showLog,
] as const;
export type PanelCommand = (typeof PANEL_COMMANDS)[number];

/** One session of the workspace, as listed in the panel (its summary.json, or a fold of its log). */
export interface SessionSummary extends FoldedSummary {
  /** Running in this window now. */
  live: boolean;
}

/** Answers to an agent's command (src/core/session/commands.ts CommandApproval) and to running the generated tests. */
export const COMMAND_ANSWERS = ['once', 'session', 'deny'] as const;
export const TEST_ANSWERS = ['run', 'skip'] as const;
export type QuestionAnswer = (typeof COMMAND_ANSWERS)[number] | (typeof TEST_ANSWERS)[number];

/** What the session running in this window asks the user now (src/vscode/questions.ts), answered from the panel or a notification. */
export type Question =
  /** `mcp`: the call of an MCP server's tool (`command` then says `server/tool {arguments}`), asked with the same answers as a command. */
  | {
      id: number;
      kind: 'command';
      agentId: string;
      role: string;
      taskId?: string;
      taskTitle?: string;
      command: string;
      cwd: string;
      mcp?: { server: string; tool: string; readOnly: boolean };
    }
  | { id: number; kind: 'tests'; command: string }
  /** Which of a race's judged candidates to apply (`candidateApproval: "ask"`): answered by `chooseCandidate`, not `answer`. */
  | ({ id: number; kind: 'candidate' } & CandidateQuestion);

/** Extension → panel. */
export type HostMessage =
  /**
   * Everything the panel shows: the fold of the focused session's log through event `seq` (null: no
   * session yet; seq 0) and the session list. Later events come in `events` batches (seq > `seq`).
   */
  | { type: 'snapshot'; sessionId: string | null; state: SessionState | null; seq: number; sessions: SessionSummary[] }
  /** New events of the focused session, in log order, batched. */
  | { type: 'events'; sessionId: string; events: EnsembleEvent[] }
  | { type: 'sessions'; sessions: SessionSummary[] }
  /** The answer to a `transcript` request: the events of the log through `seq` that agent's transcript folds (transcript.ts `concernsAgent`). */
  | { type: 'transcript'; sessionId: string; agentId: string; seq: number; events: EnsembleEvent[] }
  /** The proposal (plan.proposed's number) the session running in this window waits on for the user's answer; null: none. */
  | { type: 'planReview'; awaiting: number | null }
  /** The questions waiting for the user's answer (may an agent run a command, may the tests run), oldest first. */
  | { type: 'questions'; questions: Question[] };

/** The user's answers to a proposed plan, from the panel's buttons. */
export const PLAN_ACTIONS = ['approve', 'edit', 'replan', 'cancel'] as const;
export type PlanAction = (typeof PLAN_ACTIONS)[number];

/** Panel → extension. */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'run'; command: PanelCommand }
  | { type: 'openDiff'; path: string }
  | { type: 'review'; path: string; action: 'keep' | 'revert' }
  | { type: 'openSession'; sessionId: string }
  | { type: 'resumeSession'; sessionId: string }
  /** An answer to proposal `proposal` (ignored when the session no longer waits on that one). */
  | { type: 'planReview'; action: PlanAction; proposal: number }
  /** Message Agent / Stop Task on the running session (the extension asks for the message itself). */
  | { type: 'messageAgent'; agentId: string }
  | { type: 'stopTask'; taskId: string }
  /** Asks for an agent's transcript (the panel opened it): answered by a `transcript` message. */
  | { type: 'transcript'; sessionId: string; agentId: string }
  /** An answer to question `id` (ignored when it no longer waits). */
  | { type: 'answer'; id: number; answer: QuestionAnswer }
  /** The answer to candidate question `id`: the candidate whose changes to apply, or null for none. */
  | { type: 'chooseCandidate'; id: number; candidateId: string | null }
  /** Opens the changes candidate `candidateId` made in its copy (the focused session's), as a multi-file diff. */
  | { type: 'openCandidateDiff'; candidateId: string };

const isString = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length < 4096;

/** Validates a message from the webview (its content is not trusted). */
export function isWebviewMessage(x: unknown): x is WebviewMessage {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
      return true;
    case 'run':
      return (PANEL_COMMANDS as readonly unknown[]).includes(m.command);
    case 'openDiff':
      return isString(m.path);
    case 'review':
      return isString(m.path) && (m.action === 'keep' || m.action === 'revert');
    case 'openSession':
    case 'resumeSession':
      return isString(m.sessionId);
    case 'planReview':
      return (PLAN_ACTIONS as readonly unknown[]).includes(m.action) && Number.isInteger(m.proposal) && (m.proposal as number) > 0;
    case 'messageAgent':
      return isString(m.agentId);
    case 'stopTask':
      return isString(m.taskId);
    case 'transcript':
      return isString(m.sessionId) && isString(m.agentId);
    case 'answer':
      return Number.isInteger(m.id) && (m.id as number) > 0 && ([...COMMAND_ANSWERS, ...TEST_ANSWERS] as readonly unknown[]).includes(m.answer);
    case 'chooseCandidate':
      return Number.isInteger(m.id) && (m.id as number) > 0 && (m.candidateId === null || isString(m.candidateId));
    case 'openCandidateDiff':
      return isString(m.candidateId);
    default:
      return false;
  }
}
