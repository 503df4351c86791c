// The session's MCP servers and calls, as the reducer folds them: each call (its decision and result,
// which session-scoped approvals read) and each server's figures (what report.json `mcp` says).

import type { EnsembleEvent } from '../events';
import { setStep, type AgentState } from './agents';

export interface McpCallState {
  callId: string;
  agentId: string;
  taskId?: string;
  role: string;
  server: string;
  tool: string;
  arguments: string;
  decision?: 'allowed' | 'approved' | 'denied';
  by?: 'policy' | 'user';
  scope?: 'once' | 'session';
  reason?: string;
  /** Set once it ran. */
  result?: { ok: boolean; durationMs: number; summary: string; error?: string; timedOut: boolean; files: string[] };
}

export interface McpServerFigures {
  server: string;
  transport: 'stdio' | 'http';
  /** Its last life event: started, tools_changed, failed, exited, stopped. */
  status: string;
  /** The tools it listed last. */
  tools: string[];
  /** What confined it (stdio; null: nothing), when it started. */
  sandbox?: string | null;
  starts: number;
  /** Calls that ran, those that failed (the tool's error, a timeout, a crash), those denied; time spent in calls that ran. */
  calls: number;
  errors: number;
  denied: number;
  durationMs: number;
  /** Why it last failed to start or exited. */
  lastError?: string;
}

export interface McpState {
  calls: Record<string, McpCallState>;
  callOrder: string[];
  servers: Record<string, McpServerFigures>;
  serverOrder: string[];
}

export function initialMcp(): McpState {
  return { calls: {}, callOrder: [], servers: {}, serverOrder: [] };
}

export type McpEvent = Extract<EnsembleEvent, { type: 'mcp.server' | 'mcp.called' | 'mcp.decided' | 'mcp.result' }>;

function serverOf(m: McpState, server: string, transport: 'stdio' | 'http'): McpServerFigures {
  let f = m.servers[server];
  if (!f) {
    m.servers[server] = f = { server, transport, status: 'new', tools: [], starts: 0, calls: 0, errors: 0, denied: 0, durationMs: 0 };
    m.serverOrder.push(server);
  }
  return f;
}

/** Applies one MCP event, in place (applyEvent's part for MCP). */
export function applyMcp(m: McpState, agents: Record<string, AgentState>, e: McpEvent): void {
  switch (e.type) {
    case 'mcp.server': {
      const f = serverOf(m, e.server, e.transport);
      f.status = e.status;
      if (e.tools) f.tools = e.tools;
      if (e.status === 'started') {
        f.starts++;
        if (e.sandbox !== undefined) f.sandbox = e.sandbox;
      }
      if (e.error && e.status !== 'stopped') f.lastError = e.error;
      break;
    }
    case 'mcp.called':
      if (!m.calls[e.callId]) m.callOrder.push(e.callId);
      m.calls[e.callId] = { callId: e.callId, agentId: e.agentId, taskId: e.taskId, role: e.role, server: e.server, tool: e.tool, arguments: e.arguments };
      setStep(agents, e.agentId, `waiting for approval to call ${e.server}/${e.tool}`); // the policy's answer follows at once when it need not ask
      break;
    case 'mcp.decided': {
      const c = m.calls[e.callId];
      if (!c) break;
      Object.assign(c, { decision: e.decision, by: e.by, scope: e.scope, reason: e.reason });
      const f = m.servers[c.server]; // listed before any of its tools could be called
      if (e.decision === 'denied' && f) f.denied++;
      setStep(agents, c.agentId, e.decision === 'denied' ? 'thinking' : `calling ${c.server}/${c.tool}`);
      break;
    }
    case 'mcp.result': {
      const c = m.calls[e.callId];
      if (!c) break;
      c.result = { ok: e.ok, durationMs: e.durationMs, summary: e.summary, error: e.error, timedOut: !!e.timedOut, files: e.files.map((f) => f.path) };
      const f = m.servers[c.server];
      if (!f) break;
      f.calls++;
      if (!e.ok) f.errors++;
      f.durationMs += e.durationMs;
      break;
    }
    default: {
      const unhandled: never = e;
      return unhandled;
    }
  }
}
