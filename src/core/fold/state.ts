// Session state as a fold over events. `applyEvent` is the one reducer: the engine, the CLI, the
// report and the side panel all use it, so nothing on screen is computed any other way. It updates
// the state in place (O(1) per event) so that a panel can follow thousands of events live. Its parts
// by concern: tasks.ts, changes.ts (files, commands, review), agents.ts, marks.ts, plan-review.ts,
// figures.ts and money.ts.

import type {
  ValidationRunBody,
  DecisionKind,
  EnsembleEvent,
  EndpointFinding,
  EventOf,
  ModelRef,
  Phase,
  PriceSourceInfo,
  PricingModel,
  RulesFile,
  SessionConfigSnapshot,
  SessionStatus,
} from '../events';
import { recordCall, type ProviderFigures } from './figures';
import { applyPlanReview, initialPlanReview, type PlanReviewState } from './plan-review';
import { isWorking, retryStep, setAgent, setStatus, setStep, stepOfTool, type AgentState, type AgentStatus } from './agents';
import { addTask, applyTask, settleTasks, unsettleTasks, type TaskState } from './tasks';
import { applyChange, type CommandState, type FileState } from './changes';
import { mark, type TimelineMark } from './marks';
import { confinementNow, type Confinement, type SandboxUse } from './sandbox';
import { applyMoney, initialMoney, type MoneyState } from './money';
import { applyMcp, initialMcp, type McpState } from './mcp';
import { applyCandidate, settleCandidates } from './candidates';

export type { ProviderFigures, Spender } from './figures';
export type { PlanReviewState, PlanStep, ProposedPlan } from './plan-review';
export { isWorking, retryStep, stepOfTool, type AgentState, type AgentStatus } from './agents';
export type { CommandState, FileState } from './changes';
export type { McpCallState, McpServerFigures, McpState } from './mcp';
export { awaitingChoice, checkPassed, judge, type CandidateState, type CandidateStatus, type RaceState } from './candidates';
export type { TimelineMark } from './marks';
export { ATTEMPTS_NOUN, attemptsText, isFinished, type Finisher, type TaskState, type TaskStatus } from './tasks';

/** Agents still working when their run ended get `status`. */
function settleAgents(s: SessionState, status: AgentStatus): void {
  for (const a of Object.values(s.agents)) if (isWorking(a)) setStatus(a, status);
}

/** One agent's context compactions (context.compacted), summed: what the report counts per task and agent. */
export interface CompactionFigures {
  agentId: string;
  taskId?: string;
  role?: string;
  provider: string;
  model: string;
  /** How many times old tool results were elided, and the conversation summarised. */
  elided: number;
  summarised: number;
  /** Messages elided or replaced by summaries, in all. */
  messages: number;
  /** The prompt tokens the compactions took off (the engine's estimates, before − after). */
  tokensSaved: number;
  /** The smallest window it was fitted to. */
  window: number;
}

export interface PhaseState {
  name: Phase;
  startedAt: number;
  endedAt?: number;
  /** `cancelled`: the phase a user's cancel interrupted (its event says failed: see `markCancelled`). */
  outcome?: 'ok' | 'failed' | 'skipped' | 'cancelled';
  note?: string;
}

export interface Decision {
  seq: number;
  ts: number;
  kind: DecisionKind;
  taskId?: string;
  summary: string;
  rationale: string;
}

/** Something the user did to a running session: a message to an agent, a stopped task, an edit of the plan that was refused. */
export type UserAction = { seq: number; ts: number } & (
  | { kind: 'message'; agentId: string; taskId?: string; text: string }
  /** `outcome`: what the orchestrator then did with the task ("skipped the task (…)"), once known. */
  | { kind: 'stop'; taskId: string; outcome?: string }
  | { kind: 'edit_refused'; proposal: number; errors: string[] }
);

export interface SessionState {
  sessionId?: string;
  goal?: string;
  scripted: boolean;
  config?: SessionConfigSnapshot;
  status: SessionStatus | 'idle';
  error?: string;
  startedAt?: number;
  endedAt?: number;
  lastTs?: number;
  phases: PhaseState[];
  /** Resumes and user actions (messages, stops, keep/revert), in log order, to place between the phases. */
  timelineMarks: TimelineMark[];
  currentPhase?: Phase;
  planRationale?: string;
  planRejections: { attempt: number; errors: string[] }[];
  plan: PlanReviewState;
  tasks: Record<string, TaskState>;
  taskOrder: string[];
  agents: Record<string, AgentState>;
  decisions: Decision[];
  /** `byUser`: the user stopped the task and it went to the orchestrator to decide (not a failure). */
  escalations: { seq: number; ts: number; taskId: string; reason: string; byUser?: true }[];
  /** What the user did while the session ran, in log order (the report lists it; the timeline shows it as marks). */
  userActions: UserAction[];
  switches: { seq: number; ts: number; taskId?: string; from: ModelRef; to: ModelRef; reason: string }[];
  refusals: { seq: number; path: string; reason: string; message: string }[];
  /** Model calls the user should see even when the engine coped: a model's refusal, a provider out of quota. */
  providerAlerts: { seq: number; ts: number; taskId?: string; provider: string; model: string; code: 'quota' | 'refusal'; message: string }[];
  files: Record<string, FileState>;
  fileOrder: string[];
  /** The run_command requests, keyed by id, in `commandOrder`. */
  commands: Record<string, CommandState>;
  commandOrder: string[];
  /** The MCP servers' lives and figures, and every MCP call (fold/mcp.ts). */
  mcp: McpState;
  /** Context compactions by agent, in `compactionOrder` (the order of each agent's first one). */
  compactions: Record<string, CompactionFigures>;
  compactionOrder: string[];
  /** Keyed by provider id. */
  providers: Record<string, ProviderFigures>;
  /** Keyed by role (the orchestrator is the role `orchestrator`). */
  roles: Record<string, ProviderFigures>;
  /** Keyed by `provider/model`: the requests (and tokens, dollars) per model. */
  models: Record<string, ProviderFigures>;
  /** Dollars spent, charged against the cap, reserved in flight: what the budget and every view read. */
  money: MoneyState;
  /** `planModels`: models paid by the user's plan (VS Code's), whose calls the estimate leaves out. */
  budget: { limitUsd?: number; estimateUsd?: number | null; planModels?: string[]; exhausted: boolean };
  /** How the latest run priced its calls (absent in logs from before prices were recorded). */
  pricing?: PriceSourceInfo & { overrides: string[]; models: PricingModel[] };
  /** The project rules files the latest run gave the models (absent in logs from before rules were recorded). */
  rules?: RulesFile[];
  /** Where the latest run's commands and tests run (`sandbox.checked`; absent in logs from before it was recorded: no sandbox). */
  sandbox?: SandboxUse;
  integration?: {
    matched: { method: string; path: string }[];
    callsWithoutRoute: EndpointFinding[];
    routesNeverCalled: EndpointFinding[];
    filesScanned: number;
  };
  validation?: (ValidationRunBody & Confinement) | { notRun: string };
  reportFiles: string[];
  /** Why the report files could not be written, when they could not. */
  reportError?: string;
  eventCount: number;
  /** agentId → role, to attribute calls to roles. */
  agentRoles: Record<string, string>;
  /** agentId → the candidate it works for (best of several), to count its calls for the candidate. */
  candidateAgents: Record<string, { taskId: string; candidateId: string }>;
  /** Index in `phases` of the first phase of the current run (a resumed session starts a new run). */
  runPhasesFrom: number;
}

export function initialState(): SessionState {
  return {
    scripted: false,
    status: 'idle',
    phases: [],
    timelineMarks: [],
    planRejections: [],
    plan: initialPlanReview(),
    tasks: {},
    taskOrder: [],
    agents: {},
    decisions: [],
    escalations: [],
    userActions: [],
    switches: [],
    refusals: [],
    providerAlerts: [],
    files: {},
    fileOrder: [],
    commands: {},
    commandOrder: [],
    mcp: initialMcp(),
    compactions: {},
    compactionOrder: [],
    providers: {},
    roles: {},
    models: {},
    money: initialMoney(),
    budget: { exhausted: false },
    reportFiles: [],
    eventCount: 0,
    agentRoles: {},
    candidateAgents: {},
    runPhasesFrom: 0,
  };
}

/**
 * A cancel throws out of the phase it interrupts, which then ends `failed` with the error as its note
 * (an outcome the phase returned has no note). When the session then ends cancelled, that phase — the
 * last of this run before the report — was cancelled, not failed.
 */
function markCancelled(s: SessionState): void {
  const p = s.phases
    .slice(s.runPhasesFrom)
    .filter((x) => x.name !== 'report')
    .at(-1);
  if (p?.outcome === 'failed' && p.note !== undefined) p.outcome = 'cancelled';
}

/** A task the user stopped was decided on: each of its stops without an outcome gets this one. */
function settleStops(s: SessionState, e: EventOf<'task.completed' | 'task.failed' | 'task.skipped' | 'task.reassigned'>): void {
  const t = s.tasks[e.taskId];
  if (!t?.stopped) return;
  const outcome =
    e.type === 'task.skipped'
      ? `skipped the task (${e.reason})`
      : e.type === 'task.reassigned'
        ? `reassigned the task to ${e.role} (${e.reason})`
        : e.type === 'task.completed'
          ? 'did the task itself'
          : `could not finish the task (${e.error})`;
  for (const a of s.userActions) if (a.kind === 'stop' && a.taskId === e.taskId && a.outcome === undefined) a.outcome = outcome;
}

/** Applies one event to the state, in place, and returns it. */
export function applyEvent(s: SessionState, e: EnsembleEvent): SessionState {
  s.eventCount++;
  s.lastTs = e.ts;
  applyMoney(s.money, e);
  switch (e.type) {
    case 'session.started':
      s.sessionId = e.sessionId;
      s.goal = e.goal;
      s.config = e.config;
      s.scripted = !!e.scripted;
      s.status = 'running';
      s.startedAt = e.ts;
      s.runPhasesFrom = s.phases.length;
      s.budget.limitUsd = e.config.budgetUsd;
      break;
    case 'session.resumed':
      settleAgents(s, 'INTERRUPTED');
      settleCandidates(s, false);
      unsettleTasks(s);
      mark(s, e, 'resumed', `Resumed${e.reason ? `: ${e.reason}` : ''}`);
      s.status = 'running';
      s.runPhasesFrom = s.phases.length;
      s.endedAt = undefined;
      s.error = undefined;
      break;
    case 'session.ended':
      s.status = e.status;
      s.error = e.error;
      s.endedAt = e.ts;
      s.currentPhase = undefined;
      settleAgents(s, e.status === 'cancelled' ? 'CANCELLED' : 'STOPPED');
      settleTasks(s, e.status === 'cancelled');
      settleCandidates(s, e.status === 'cancelled');
      if (e.status === 'cancelled') markCancelled(s);
      break;
    case 'phase.started':
      s.phases.push({ name: e.phase, startedAt: e.ts });
      s.currentPhase = e.phase;
      break;
    case 'phase.ended': {
      const p = [...s.phases].reverse().find((x) => x.name === e.phase && x.endedAt === undefined);
      if (p) Object.assign(p, { endedAt: e.ts, outcome: e.outcome, note: e.note });
      if (s.currentPhase === e.phase) s.currentPhase = undefined;
      break;
    }
    case 'plan.rejected':
      s.planRejections.push({ attempt: e.attempt, errors: e.errors });
      break;
    case 'plan.accepted':
      s.planRationale = e.rationale;
      s.plan.awaiting = false;
      for (const t of e.tasks) addTask(s, t);
      break;
    case 'plan.edit_rejected':
      s.userActions.push({ seq: e.seq, ts: e.ts, kind: 'edit_refused', proposal: e.proposal, errors: e.errors });
      applyPlanReview(s.plan, e);
      break;
    case 'plan.proposed':
    case 'plan.edited':
    case 'plan.feedback':
    case 'plan.approved':
      applyPlanReview(s.plan, e);
      break;
    case 'task.added':
      addTask(s, e.task);
      break;
    case 'decision':
      s.decisions.push({ seq: e.seq, ts: e.ts, kind: e.kind, taskId: e.taskId, summary: e.summary, rationale: e.rationale });
      break;
    case 'budget.estimated':
      s.budget.estimateUsd = e.estimateUsd;
      if (e.planModels) s.budget.planModels = e.planModels;
      else delete s.budget.planModels;
      if (e.limitUsd !== undefined) s.budget.limitUsd = e.limitUsd;
      break;
    case 'budget.exhausted':
      s.budget.exhausted = true;
      break;
    case 'pricing.loaded':
      s.pricing = { source: e.source, version: e.version, publishedAt: e.publishedAt, overrides: e.overrides, models: e.models };
      break;
    case 'agent.spawned':
      s.agents[e.agentId] = { agentId: e.agentId, role: e.role, provider: e.provider, model: e.model, taskId: e.taskId, status: 'SPAWNING' };
      s.agentRoles[e.agentId] = e.role;
      break;
    case 'agent.ended': {
      setAgent(s.agents, e.agentId, e.status);
      // The orchestrator ended its work on an escalated task of the plan without doing it: it decided what becomes of it.
      const a = s.agents[e.agentId];
      if (a && e.status === 'COMPLETED' && a.role === 'orchestrator' && s.tasks[a.taskId]) a.decided = e.summary;
      break;
    }
    case 'task.started':
    case 'task.escalated':
      applyTask(s, e);
      break;
    case 'task.completed':
    case 'task.failed':
    case 'task.skipped':
    case 'task.reassigned':
      applyTask(s, e);
      settleStops(s, e);
      break;
    case 'provider.switched': {
      s.switches.push({ seq: e.seq, ts: e.ts, taskId: e.taskId, from: e.from, to: e.to, reason: e.reason });
      const a = s.agents[e.agentId];
      if (a) Object.assign(a, { provider: e.to.provider, model: e.to.model });
      const t = e.taskId ? s.tasks[e.taskId] : undefined;
      if (t && t.agentId === e.agentId) Object.assign(t, { provider: e.to.provider, model: e.to.model });
      break;
    }
    case 'task.stopped': {
      for (const a of Object.values(s.agents)) if (a.taskId === e.taskId && isWorking(a)) setStatus(a, 'CANCELLED');
      const t = s.tasks[e.taskId];
      if (t) t.stopped = true;
      mark(s, e, 'stop', `You stopped task ${t?.title ?? e.taskId}`);
      s.userActions.push({ seq: e.seq, ts: e.ts, kind: 'stop', taskId: e.taskId });
      break;
    }
    case 'agent.messaged':
      mark(s, e, 'message', `Message to ${e.agentId}: ${e.text.length > 80 ? `${e.text.slice(0, 79)}…` : e.text}`);
      s.userActions.push({ seq: e.seq, ts: e.ts, kind: 'message', agentId: e.agentId, ...(e.taskId ? { taskId: e.taskId } : {}), text: e.text });
      break;
    case 'llm.retrying':
      setStep(s.agents, e.agentId, retryStep(e.inMs));
      break;
    case 'tool.called':
      setStep(s.agents, e.agentId, stepOfTool(e.tool, e.summary));
      break;
    case 'llm.request': {
      setAgent(s.agents, e.agentId, 'ACTIVE');
      setStep(s.agents, e.agentId, 'thinking');
      const t = e.taskId ? s.tasks[e.taskId] : undefined;
      // The task's agent, or one of its best-of candidates (each a role agent of the task).
      if (t && (t.agentId === e.agentId || s.candidateAgents[e.agentId]?.taskId === t.id)) t.attempts++;
      break;
    }
    case 'candidate.started':
    case 'candidate.copied':
    case 'candidate.finished':
    case 'candidate.judged':
    case 'candidate.chosen':
      applyCandidate(s, e);
      break;
    case 'llm.response':
      recordCall(s, e, true);
      break;
    case 'llm.error':
      recordCall(s, e, false);
      if (e.code === 'quota' || e.code === 'refusal')
        s.providerAlerts.push({ seq: e.seq, ts: e.ts, taskId: e.taskId, provider: e.provider, model: e.model, code: e.code, message: e.message });
      break;
    case 'file.written':
    case 'file.deleted':
    case 'file.changed':
    case 'file.refused':
    case 'command.requested':
    case 'command.decided':
    case 'command.ran':
    case 'review.kept':
    case 'review.reverted':
      applyChange(s, e);
      break;
    case 'mcp.server':
    case 'mcp.called':
    case 'mcp.decided':
    case 'mcp.result':
      applyMcp(s.mcp, s.agents, e);
      break;
    case 'integration.checked':
      s.integration = { matched: e.matched, callsWithoutRoute: e.callsWithoutRoute, routesNeverCalled: e.routesNeverCalled, filesScanned: e.filesScanned };
      break;
    case 'validation.ran':
      s.validation = {
        command: e.command,
        exitCode: e.exitCode,
        passed: e.passed,
        failed: e.failed,
        skipped: e.skipped,
        coverage: e.coverage,
        durationMs: e.durationMs,
        timedOut: e.timedOut,
        outputTail: e.outputTail,
        ...confinementNow(s),
      };
      break;
    case 'validation.skipped':
      s.validation = { notRun: e.reason };
      break;
    case 'rules.loaded':
      s.rules = e.files;
      break;
    case 'sandbox.checked':
      s.sandbox = { sandbox: e.sandbox, reason: e.reason, setting: e.setting, network: e.network };
      break;
    case 'report.written':
      s.reportFiles = e.files;
      s.reportError = undefined;
      break;
    case 'report.failed':
      s.reportError = e.error;
      break;
    case 'context.compacted': {
      let c = s.compactions[e.agentId];
      if (!c) {
        s.compactions[e.agentId] = c = {
          agentId: e.agentId,
          taskId: e.taskId,
          role: s.agentRoles[e.agentId],
          provider: e.provider,
          model: e.model,
          elided: 0,
          summarised: 0,
          messages: 0,
          tokensSaved: 0,
          window: e.window,
        };
        s.compactionOrder.push(e.agentId);
      }
      c[e.how]++;
      c.messages += e.messages;
      c.tokensSaved += Math.max(0, e.tokensBefore - e.tokensAfter);
      Object.assign(c, { provider: e.provider, model: e.model, window: Math.min(c.window, e.window) });
      break;
    }
    case 'file.writing': // the write's intent, for a resume after a kill; the state follows file.written
    case 'agent.text':
    case 'agent.prompt':
    case 'tool.failed':
    case 'tool.result':
    case 'validation.consent':
      break; // read by the transcript and the report's log, not by the session's state
    default: {
      const unhandled: never = e;
      return unhandled;
    }
  }
  return s;
}

export function foldEvents(events: Iterable<EnsembleEvent>, state: SessionState = initialState()): SessionState {
  for (const e of events) applyEvent(state, e);
  return state;
}
