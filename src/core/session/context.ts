// What every phase of a running session shares: the log, the folded state, the caller, the files.

import type { EventSink, ModelRef, TaskSpec } from '../events';
import type { EngineConfig, RoleConfig } from '../config';
import type { CandidateChooser, ChatProvider, Clock, FileStore, PlanReviewer, TextSearch, WorkspaceCopier } from '../ports';
import type { BlobStore } from '../store/blobs';
import type { CommandTool } from './commands';
import type { SandboxedRunner } from './sandbox';
import type { ModelCaller } from './caller';
import type { SessionFiles } from '../store/workspace';
import type { Budget } from '../money/budget';
import type { SessionState } from '../fold/state';
import type { Steering } from './steering';
import type { ContextWindows } from './compaction';
import type { McpHub } from './mcp';

export interface SessionContext {
  readonly sessionId: string;
  readonly dir: string;
  readonly workspace: string;
  readonly goal: string;
  readonly config: EngineConfig;
  readonly sink: EventSink;
  /** The fold of every event so far; kept current by the log's listener. */
  readonly state: SessionState;
  readonly caller: ModelCaller;
  /** Each model's context window (configuration, price library, what providers said): agents' conversations are fitted to it. */
  readonly windows: ContextWindows;
  readonly files: SessionFiles;
  /** The session's blobs (file contents by sha): before and after of every change, a candidate's included. */
  readonly blobs: BlobStore;
  readonly store: FileStore;
  /** Makes the copies a best-of task's candidates work in (absent: none can be made, and its first candidate does the task alone). */
  readonly copies?: WorkspaceCopier;
  /** Asks the user which candidate to apply (`candidateApproval: "ask"`). */
  readonly chooseCandidate?: CandidateChooser;
  /** search_files' fast path (ripgrep), when there is one. */
  readonly search?: TextSearch;
  readonly budget: Budget;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly resolve: (providerId: string) => ChatProvider | undefined;
  readonly consent?: (command: string, signal?: AbortSignal) => Promise<boolean>;
  /** Runs processes: the generated tests (validation) and run_command, confined to the workspace where a sandbox is in use. */
  readonly runner: SandboxedRunner;
  /** The run_command tool (absent only in sessions that never offer it, e.g. tests of a bare context). */
  readonly commands?: CommandTool;
  /** The session's MCP servers, as tools for the roles that select them (absent: no MCP client, e.g. tests of a bare context). */
  readonly mcp?: McpHub;
  readonly resumed: boolean;
  /** The user's notes to agents and stops of tasks while the session runs. */
  readonly steering: Steering;
  /** The project rules text for the prompts (AGENTS.md, .ensemble/rules.md), read when the run starts; '' when none. */
  rules: string;
  /** Asks the user about a proposed plan (`planApproval: "ask"`). */
  readonly reviewPlan?: PlanReviewer;
  /** A plan the user gave (a plan file): proposed instead of asking the orchestrator for one. */
  readonly givenPlan?: { rationale: string; tasks: TaskSpec[] };
  /** Cancels the session, as the user's cancel does (`signal` aborts with the reason). */
  cancel(reason: string): void;
  nextAgentId(role: string): string;
}

/** The routes a role may use, in order: its model, its fallback, then any other provider with a key. */
export function routesFor(ctx: Pick<SessionContext, 'config' | 'resolve'>, role: RoleConfig): ModelRef[] {
  const out: ModelRef[] = [];
  const add = (r: ModelRef | undefined) => {
    if (r && ctx.resolve(r.provider) && !out.some((x) => x.provider === r.provider && x.model === r.model)) out.push({ provider: r.provider, model: r.model });
  };
  add(role);
  if (role.fallback) add(role.fallback);
  else {
    // No fallback configured: the next provider that has a key, on the model the config already uses there.
    const known = [ctx.config.orchestrator, ...Object.values(ctx.config.roles)];
    for (const r of known) if (r.provider !== role.provider && !out.some((x) => x.provider === r.provider)) add(r);
  }
  return out;
}
