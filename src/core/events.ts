// The one event union. Every state change of a session is one of these, appended to
// `.ensemble/sessions/<id>/events.jsonl`; the panel, the metrics, the report and the review are folds
// over them. Add a variant rather than a field that only some producers fill; bump EVENT_VERSION when
// an existing variant changes incompatibly (readers must keep folding older logs).

import type { Usage, ProviderErrorCode } from './ports';

export const EVENT_VERSION = 1;

export type Phase = 'setup' | 'planning' | 'development' | 'integration' | 'validation' | 'report';
export const PHASES: readonly Phase[] = ['setup', 'planning', 'development', 'integration', 'validation', 'report'];

export interface ModelRef {
  provider: string;
  model: string;
}

export interface TaskSpec {
  id: string;
  title: string;
  description: string;
  role: string;
  dependsOn: string[];
  rationale?: string;
  /** How to verify the task (e.g. `npm test`), when the plan says. */
  check?: string;
  /**
   * Best of several (2–4): each of these models does the task in its own copy of the workspace, the
   * `check` judges them, and the cheapest that passes is applied (src/core/session/candidates.ts).
   */
  candidates?: ModelRef[];
}

/** A project rules file given to the orchestrator and every agent; `bytes` is its whole size. */
export interface RulesFile {
  path: string;
  bytes: number;
  /** It was cut to fit the rules' size cap. */
  truncated: boolean;
}

export type SessionStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'budget_exhausted';

export interface SessionConfigSnapshot {
  orchestrator: ModelRef;
  roles: Record<string, ModelRef & { fallback?: ModelRef; bestOf?: ModelRef[] }>;
  maxConcurrency: number;
  budgetUsd?: number;
  /** `--best-of N` (absent in logs from before best of several). */
  bestOf?: number;
}

export type DecisionKind = 'plan' | 'assign' | 'reassign' | 'skip' | 'escalate' | 'fix' | 'review';

/**
 * Where one model's price comes from: the price library (its `provider/model`), a user override (its key),
 * nowhere, or the user's plan (VS Code's language models: no per-token price, the calls are counted).
 */
export interface PricingModel {
  model: string;
  origin: 'library' | 'override' | 'unknown' | 'plan';
  priceKey?: string;
}

/** The price data a run uses: the library and the version shipped with Ensemble (never fetched), and the day it was published. */
export interface PriceSourceInfo {
  source: string;
  version: string;
  publishedAt: string;
}

export interface EndpointFinding {
  method: string;
  path: string;
  file: string;
  line: number;
}

/** An agent's write of a file: `file.writing` just before it lands, `file.written` once it has. */
export interface FileWriteBody {
  agentId: string;
  taskId?: string;
  path: string;
  change: 'created' | 'modified';
  beforeSha: string | null;
  afterSha: string;
  bytes: number;
  provider?: string;
  model?: string;
  role?: string;
}

/** A run of the project's tests (`validation.ran`): what the fold, the report and the runner share. */
export interface ValidationRunBody {
  command: string;
  exitCode: number | null;
  passed: number | null;
  failed: number | null;
  skipped: number | null;
  coverage: number | null;
  durationMs: number;
  timedOut: boolean;
  outputTail: string;
}

/** A file a candidate changed in its copy: the bytes before (as the copy began) and after are blobs; `beforeKnown` false: too large to have been kept. */
export interface CandidateFile {
  path: string;
  change: 'created' | 'modified' | 'deleted';
  beforeSha: string | null;
  beforeKnown: boolean;
  afterSha: string | null;
  /** Lines added and removed (0 and 0 for a binary file). */
  added: number;
  removed: number;
}

/** A candidate's run of its task's check, in its copy. */
export interface CandidateCheck {
  command: string;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
  /** The end of its output (at most 40 lines). */
  outputTail: string;
}

/** What one candidate did (`candidate.finished`). */
export interface CandidateResultBody {
  taskId: string;
  candidateId: string;
  agentId: string;
  /** `finished`: its agent called finish; `gave_up`: it gave up (turns, its provider failed); `failed`: no copy could be made, or it broke; `cancelled`: the task was stopped meanwhile. */
  outcome: 'finished' | 'gave_up' | 'failed' | 'cancelled';
  summary?: string;
  error?: string;
  /** Absent when the agent did not finish (its check was not run). */
  check?: CandidateCheck;
  /** From its start to the end of its check. */
  wallMs: number;
  files: CandidateFile[];
}

/** How one candidate stood when the candidates were judged: the figures the verdict used. */
export interface CandidateScore {
  candidateId: string;
  passed: boolean;
  /** Dollars its calls cost; null when unknown (a model without a price), counted as dearer than any known cost. */
  costUsd: number | null;
  /** Lines added + removed, over `files` files. */
  lines: number;
  files: number;
}

export type EventBody =
  // --- session lifecycle ---
  | { type: 'session.started'; sessionId: string; goal: string; config: SessionConfigSnapshot; scripted?: boolean }
  | { type: 'session.resumed'; reason?: string }
  | { type: 'session.ended'; status: Exclude<SessionStatus, 'running'>; error?: string }
  | { type: 'phase.started'; phase: Phase }
  | { type: 'phase.ended'; phase: Phase; outcome: 'ok' | 'failed' | 'skipped'; note?: string }
  // --- planning and decisions ---
  | { type: 'plan.rejected'; attempt: number; errors: string[] }
  /** The plan development runs (after approval when plans are reviewed; old logs have only this). */
  | { type: 'plan.accepted'; rationale: string; tasks: TaskSpec[] }
  /**
   * A valid plan put up for approval (`planApproval`): the orchestrator's, or a plan file's. `proposal`
   * counts from 1; the estimate is the development cost of these tasks (null: a model has no price).
   */
  | {
      type: 'plan.proposed';
      proposal: number;
      source: 'orchestrator' | 'file';
      rationale: string;
      tasks: TaskSpec[];
      estimateUsd: number | null;
      unknownModels: string[];
      planModels?: string[];
    }
  /** The user's edit of proposal `proposal`, valid by submit_plan's rules: it is the plan approved. */
  | { type: 'plan.edited'; proposal: number; rationale: string; tasks: TaskSpec[] }
  /** An edit that broke submit_plan's rules: the same proposal is put to the user again, with these errors. */
  | { type: 'plan.edit_rejected'; proposal: number; errors: string[] }
  /** The user's words on proposal `proposal`: the orchestrator plans again with them. */
  | { type: 'plan.feedback'; proposal: number; feedback: string }
  /** Proposal `proposal` approved, by the user or at once (`planApproval: "auto"`); plan.accepted follows. */
  | { type: 'plan.approved'; proposal: number; by: 'user' | 'auto' }
  | { type: 'decision'; kind: DecisionKind; taskId?: string; summary: string; rationale: string }
  /**
   * `prices`: the price data the estimate used (absent in logs written before it was recorded).
   * `planModels`: models paid by the user's plan (VS Code's), whose calls the estimate's dollars leave out.
   */
  | {
      type: 'budget.estimated';
      estimateUsd: number | null;
      limitUsd?: number;
      unknownModels: string[];
      planModels?: string[];
      prices?: PriceSourceInfo & { overrides: string[] };
    }
  /** At the start of a run (and again on resume, which may run a newer version): how calls are priced. */
  | ({ type: 'pricing.loaded'; overrides: string[]; models: PricingModel[] } & PriceSourceInfo)
  /** At the start of every run: the project rules files (AGENTS.md, .ensemble/rules.md) the prompts carry; none is `files: []`. */
  | { type: 'rules.loaded'; files: RulesFile[] }
  /**
   * At the start of every run: where this run's commands and generated tests run. `sandbox`: the sandbox
   * that confines them ("bubblewrap 0.8.0"), null when they run without one, and then `reason` says why
   * (none on this platform, it failed its probe, or `commands.sandbox` is "off"). `setting`: that key;
   * without a sandbox and with `auto`, no command runs unasked. `network`: `commands.network`.
   */
  | { type: 'sandbox.checked'; sandbox: string | null; reason?: string; setting: 'auto' | 'off'; network: 'on' | 'off' }
  // --- agents and tasks ---
  | { type: 'agent.spawned'; agentId: string; role: string; provider: string; model: string; taskId: string }
  /** An agent whose work ends without a task event of its own (an integration review, an escalation that reassigned or skipped). */
  | { type: 'agent.ended'; agentId: string; status: 'COMPLETED' | 'FAILED'; summary: string }
  | { type: 'task.started'; taskId: string; agentId: string; role: string; provider: string; model: string }
  | { type: 'task.completed'; taskId: string; agentId: string; summary: string }
  | { type: 'task.failed'; taskId: string; agentId?: string; error: string }
  | { type: 'task.skipped'; taskId: string; reason: string }
  | { type: 'task.escalated'; taskId: string; reason: string }
  | { type: 'task.reassigned'; taskId: string; role: string; reason: string }
  | { type: 'task.added'; task: TaskSpec; reason: string }
  | { type: 'provider.switched'; taskId?: string; agentId: string; from: ModelRef; to: ModelRef; reason: string }
  /** What an agent was asked (its first user message; the system prompt, which repeats the project rules, is not copied). */
  | { type: 'agent.prompt'; agentId: string; taskId?: string; text: string }
  /** The user's note to a working agent, sent when the user sends it; the agent reads it before its next model call. */
  | { type: 'agent.messaged'; agentId: string; taskId?: string; text: string }
  /** The user stopped one task (the session goes on): its agent's call is aborted and the task escalated. */
  | { type: 'task.stopped'; taskId: string; by: 'user' }
  // --- best of several (a task's candidates: src/core/session/candidates.ts) ---
  /**
   * `round`: the task's race counted from 1 (a rerun after a resume or a reassignment starts another).
   * Its copy is made while its model is asked its first turn (`candidate.copied` once it is there).
   */
  | { type: 'candidate.started'; taskId: string; round: number; candidateId: string; agentId: string; provider: string; model: string }
  /** The candidate's copy of the workspace is there: how it was made (`git-worktree`, `copy`) and how long that took. */
  | { type: 'candidate.copied'; taskId: string; round: number; candidateId: string; copy: string; ms: number }
  | ({ type: 'candidate.finished'; round: number } & CandidateResultBody)
  /**
   * The measured verdict: the check passed, then the lowest cost, then the smaller change (lines, then
   * files), then the order given. `winner` null: none passed. `ranking`: best first.
   */
  | { type: 'candidate.judged'; taskId: string; round: number; winner: string | null; ranking: CandidateScore[]; reason: string }
  /** The candidate whose changes are applied: the verdict's (`auto`), or the user's pick (`candidateApproval: "ask"`); null: none is applied. */
  | { type: 'candidate.chosen'; taskId: string; round: number; candidateId: string | null; by: 'auto' | 'user'; reason: string }

  // --- model calls (one request/response pair per attempt) ---
  // `billing: "plan"`: the call is paid by the user's plan (VS Code's language models), not per token:
  // it has no dollar figure (`costUsd` null or absent, never a guess) and the budget does not count it.
  // `usage.counted`: its tokens were counted by the adapter with the model's tokenizer, not reported as billed.
  | {
      type: 'llm.request';
      callId: string;
      agentId: string;
      taskId?: string;
      provider: string;
      model: string;
      trace: string;
      attempt: number;
      reservedUsd?: number;
      billing?: 'plan';
    }
  | {
      type: 'llm.response';
      callId: string;
      agentId: string;
      taskId?: string;
      provider: string;
      model: string;
      latencyMs: number;
      usage: Usage;
      costUsd: number | null;
      billing?: 'plan';
      stopReason: string;
      toolCalls: string[];
    }
  | {
      type: 'llm.error';
      callId: string;
      agentId: string;
      taskId?: string;
      provider: string;
      model: string;
      latencyMs: number;
      code: ProviderErrorCode;
      status?: number;
      retryable: boolean;
      retryAfterMs?: number;
      message: string;
      usage?: Usage;
      costUsd?: number | null;
      billing?: 'plan';
    }
  | { type: 'agent.text'; agentId: string; text: string }
  /**
   * An agent's conversation compacted to fit its model's context window (`window` tokens) before a
   * request: `elided` old tool results (and long tool-call arguments) to one line each, or `summarised`
   * the older turns (`summary`: the model's words, written by a call logged as `summary/<trace>#<turn>`).
   * `messages`: how many were elided or replaced; tokens are the engine's estimates of the prompt.
   * `trigger`: the estimate neared the window, or the provider refused the prompt as too long.
   */
  | {
      type: 'context.compacted';
      agentId: string;
      taskId?: string;
      provider: string;
      model: string;
      window: number;
      tokensBefore: number;
      tokensAfter: number;
      how: 'elided' | 'summarised';
      messages: number;
      trigger: 'estimate' | 'provider';
      summary?: string;
    }
  /** Logged after a retryable llm.error, before the caller waits `inMs` to send attempt `attempt`. */
  | { type: 'llm.retrying'; agentId: string; taskId?: string; provider: string; model: string; inMs: number; attempt: number }
  // --- tools and files ---
  | { type: 'tool.called'; agentId: string; taskId?: string; tool: string; summary: string }
  | { type: 'tool.failed'; agentId: string; taskId?: string; tool: string; error: string }
  /** A tool call's outcome in a few words ("read 120 lines of src/app.js", "3 matches", the error's first line): never file contents. */
  | { type: 'tool.result'; agentId: string; taskId?: string; tool: string; ok: boolean; summary: string }
  /** Logged just before a write lands (its `file.written` follows): a run killed in between is settled on resume from the file on disk. */
  | ({ type: 'file.writing' } & FileWriteBody)
  | ({ type: 'file.written' } & FileWriteBody)
  | { type: 'file.deleted'; agentId: string; taskId?: string; path: string; beforeSha: string }
  | {
      type: 'file.refused';
      agentId: string;
      taskId?: string;
      path: string;
      reason: 'outside_workspace' | 'conflict' | 'protected' | 'invalid';
      message: string;
    }
  /**
   * A file a command changed (run_command), found by comparing the workspace before and after it ran.
   * `beforeKnown` false: the file existed but the session had no copy of it (too large, or beyond the
   * copy budget), so `beforeSha` is null and the change cannot be reverted. `commandId`: the command's
   * id, or the MCP call's (`m1`…) when a server's tool changed it.
   */
  | {
      type: 'file.changed';
      agentId: string;
      taskId?: string;
      commandId: string;
      path: string;
      change: 'created' | 'modified' | 'deleted';
      beforeSha: string | null;
      beforeKnown: boolean;
      afterSha: string | null;
      role?: string;
      provider?: string;
      model?: string;
    }
  // --- commands (run_command) ---
  /** `timeoutMs`: what it may run for (the model's wish, capped by the policy). */
  | { type: 'command.requested'; commandId: string; agentId: string; taskId?: string; role: string; command: string; cwd: string; timeoutMs: number }
  /** `allowed`: by the policy (an allow pattern, or `run: "always"`); `approved`: by the user when asked; `scope` says for how long. */
  | {
      type: 'command.decided';
      commandId: string;
      decision: 'allowed' | 'approved' | 'denied';
      by: 'policy' | 'user';
      scope?: 'once' | 'session';
      reason: string;
    }
  /** `outputTail`: the end of stdout+stderr (at most 16 KB); `omittedChars`: how much came before it. */
  | {
      type: 'command.ran';
      commandId: string;
      exitCode: number | null;
      timedOut: boolean;
      cancelled: boolean;
      durationMs: number;
      outputTail: string;
      omittedChars: number;
      files: { path: string; change: 'created' | 'modified' | 'deleted' }[];
    }
  // --- MCP servers (tools of the user's Model Context Protocol servers) ---
  /**
   * A server's life: `started` (`tools`: what it listed; `sandbox`: what confines a stdio server, null:
   * nothing), `tools_changed` (listed again after its notification), `failed` to start, `exited` on its
   * own (`error`: why, with the end of its stderr), `stopped` by the session's end or cancel (or, for
   * one an earlier run left running when it was killed, by this run's start).
   */
  | {
      type: 'mcp.server';
      server: string;
      status: 'started' | 'tools_changed' | 'failed' | 'exited' | 'stopped';
      transport: 'stdio' | 'http';
      tools?: string[];
      sandbox?: string | null;
      error?: string;
    }
  /** An agent called a server's tool; `arguments`: summarised (long values cut, secret-named ones hidden). */
  | { type: 'mcp.called'; callId: string; agentId: string; taskId?: string; role: string; server: string; tool: string; arguments: string }
  /** As `command.decided`, for an MCP call (`mcp.run`, `mcp.allow`, `mcp.allowReadOnly`, or the user). */
  | { type: 'mcp.decided'; callId: string; decision: 'allowed' | 'approved' | 'denied'; by: 'policy' | 'user'; scope?: 'once' | 'session'; reason: string }
  /** A call that ran: its result in a few words, or why it failed (the tool's error, a timeout, the server's exit); the files it changed. */
  | {
      type: 'mcp.result';
      callId: string;
      ok: boolean;
      durationMs: number;
      summary: string;
      error?: string;
      timedOut?: boolean;
      files: { path: string; change: 'created' | 'modified' | 'deleted' }[];
    }
  // --- integration, validation, budget ---
  | {
      type: 'integration.checked';
      matched: { method: string; path: string }[];
      callsWithoutRoute: EndpointFinding[];
      routesNeverCalled: EndpointFinding[];
      filesScanned: number;
    }
  | { type: 'validation.consent'; command: string; granted: boolean; reason: string }
  | ({ type: 'validation.ran' } & ValidationRunBody)
  | { type: 'validation.skipped'; reason: string }
  | { type: 'budget.exhausted'; limitUsd: number; spentUsd: number; reservedUsd: number }
  // --- review (user decisions after the session) ---
  | { type: 'review.kept'; path: string }
  /** `overwrittenSha`: the user's own version, kept in the blobs when a revert was forced over it. */
  | { type: 'review.reverted'; path: string; restoredSha: string | null; overwrittenSha?: string }
  | { type: 'report.written'; files: string[] }
  /** The report files could not be written (the session folder gone, a full disk); `ensemble report` can rebuild them. */
  | { type: 'report.failed'; error: string };

export type EventType = EventBody['type'];

/** An event as stored: the body plus its envelope. */
export type EnsembleEvent = EventBody & { v: number; seq: number; ts: number };

export type EventOf<T extends EventType> = Extract<EnsembleEvent, { type: T }>;

/** Where events go: the log, and through it anyone listening. */
export interface EventSink {
  emit(body: EventBody): EnsembleEvent;
}
