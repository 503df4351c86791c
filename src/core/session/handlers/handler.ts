// What a tool handler is: the agent loop (../agent.ts) validates a call's arguments against the tool's
// schema, records `tool.called` with the handler's summary, runs it and records `tool.failed` for an
// error it returns. A new tool is a schema in ../tools.ts, a module here, and a line in ./index.ts.

import type { ModelRef } from '../../events';
import type { ToolArgs, ToolName } from '../tools';
import type { AgentDeps, AgentOutcome, AgentSpec } from '../agent';
import type { WriteOutcome } from '../../store/workspace';
import type { ToolImage } from '../../ports';

export interface ToolResult {
  /** What the model reads back. */
  result: string;
  /**
   * The outcome in a few words for `tool.result` ("read 120 lines of a.js", "3 matches"): never file
   * contents. Without it the log says "done" (an error: the error's first line).
   */
  summary?: string;
  isError?: boolean;
  /** The failure is already in the log (a `file.refused`): no `tool.failed` is added. */
  recorded?: boolean;
  /** Images for the model (an MCP tool's), sent as its provider takes them (else a note). */
  images?: ToolImage[];
  /** Ends the agent's loop with this outcome (finish, and the escalation's decisions). */
  stop?: AgentOutcome;
}

/** One call's surroundings: the agent (its id, task, role), the route it is on, and the session's services. */
export interface ToolRun {
  spec: AgentSpec;
  deps: AgentDeps;
  route: ModelRef;
}

export interface ToolHandler<T extends ToolName = ToolName> {
  /** What `tool.called` says about a call: a path, a pattern (short; never file contents). */
  summary(args: ToolArgs<T>): string;
  run(args: ToolArgs<T>, run: ToolRun): Promise<ToolResult>;
}

export const toolError = (message: string): ToolResult => ({ result: message, isError: true });

/** Runs `body`; what it throws (a refused path, an I/O failure) is a tool error the model can act on. */
export async function orToolError(body: () => Promise<ToolResult>): Promise<ToolResult> {
  try {
    return await body();
  } catch (e) {
    return toolError(e instanceof Error ? e.message : String(e));
  }
}

/** The write context of a change made by this agent, for provenance in `file.written`. */
export function writer(run: ToolRun) {
  return { agentId: run.spec.agentId, taskId: run.spec.taskId, role: run.spec.role, provider: run.route.provider, model: run.route.model };
}

/** A write's outcome as the model reads it: a refusal is already logged as `file.refused`; any other failure is a tool error. */
export function writeResult(w: WriteOutcome, done: (ok: Extract<WriteOutcome, { ok: true }>) => string): ToolResult {
  if (w.ok) {
    const text = done(w);
    return { result: text, summary: text };
  }
  return { result: w.message, isError: true, recorded: w.reason !== 'failed' && w.reason !== 'rejected' };
}
