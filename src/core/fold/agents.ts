// An agent's status and current step, as the reducer (state.ts) sets them from the events: what the
// panel's agents list, the transcript's head and the Message Agent command read.

/**
 * ESCALATED: the agent gave up and its task went to the orchestrator (who may still finish it).
 * CANCELLED: the user cancelled the session, or stopped the agent's task, while the agent worked; STOPPED: the session ended for
 * another reason (budget, a failure) while it worked; INTERRUPTED: its run ended without a word (a kill)
 * and the session was resumed. The session's end settles every agent: none stays ACTIVE after it.
 */
export type AgentStatus = 'SPAWNING' | 'READY' | 'ACTIVE' | 'COMPLETED' | 'FAILED' | 'ESCALATED' | 'CANCELLED' | 'STOPPED' | 'INTERRUPTED';

const WORKING: ReadonlySet<AgentStatus> = new Set(['SPAWNING', 'READY', 'ACTIVE']);

/** The agent is still at work: the user can message it, and its `step` says what it is doing. */
export function isWorking(a: Pick<AgentState, 'status'>): boolean {
  return WORKING.has(a.status);
}

export function setStatus(a: AgentState, status: AgentStatus): void {
  a.status = status;
  if (!WORKING.has(status)) a.step = undefined;
}

/** What a tool call makes an agent's current step, by tool; the target is the call's summary without its "(…)" details. */
const STEP_OF_TOOL: Record<string, (target: string) => string> = {
  read_file: (x) => `reading ${x}`,
  write_file: (x) => `editing ${x}`,
  edit_file: (x) => `editing ${x}`,
  search_files: (x) => `searching for ${x}`,
  list_files: (x) => `listing ${x}`,
  run_command: (x) => `running ${x}`,
  finish: () => 'finishing',
};

export function stepOfTool(tool: string, summary: string): string {
  // An MCP tool's summary starts with its server and tool: "calling github/search_issues".
  if (tool.startsWith('mcp__')) return `calling ${summary.split(' ', 1)[0] || tool}`;
  const f = Object.hasOwn(STEP_OF_TOOL, tool) ? STEP_OF_TOOL[tool]! : () => `using ${tool}`;
  return f(summary.replace(/ \([^()]*\)$/, ''));
}

/** "retrying in 3 s" (whole seconds, at least 1). */
export function retryStep(inMs: number): string {
  return `retrying in ${Math.max(1, Math.round(inMs / 1000))} s`;
}

export interface AgentState {
  agentId: string;
  role: string;
  provider: string;
  model: string;
  taskId: string;
  status: AgentStatus;
  /** What the working agent is doing now ("thinking", "editing src/app.js", "retrying in 3 s"); none once it stopped working. */
  step?: string;
  /** An orchestrator that took an escalated task and decided rather than did it: what it decided ("skipped", "reassigned to qa"). */
  decided?: string;
}

/** What working agent `agentId` is doing now (an agent no longer working keeps its last step). */
export function setStep(agents: Record<string, AgentState>, agentId: string, step: string): void {
  const a = agents[agentId];
  if (a && isWorking(a)) a.step = step;
}

/** Sets agent `agentId`'s status, if there is such an agent. */
export function setAgent(agents: Record<string, AgentState>, agentId: string | undefined, status: AgentStatus): void {
  const a = agentId ? agents[agentId] : undefined;
  if (a) setStatus(a, status);
}
