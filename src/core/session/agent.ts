// The agent tool loop: ask the model, run the tools it calls, give it the results, until it calls
// `finish` or runs out of turns. Before each request the conversation is fitted to the model's context
// window (compaction.ts); a provider that still refuses it as too long gets it compacted further and is
// asked again (never another provider with the same conversation). When its provider is exhausted the
// loop switches to the next route (the role's fallback), carrying the conversation so far, fitted to
// that model's window; when no route is left, or the conversation cannot be made to fit, it gives up and
// the engine escalates. Budget exhaustion and cancellation propagate to the engine.

import type { EventSink, ModelRef } from '../events';
import type { ChatMessage, TextSearch, ToolCall, ToolSpec } from '../ports';
import { ContextOverflowError, RouteExhaustedError, type ModelCaller } from './caller';
import { Compactor, ContextTooLargeError, type ContextWindows } from './compaction';
import { isToolName, parseToolArgs, toolSpec, type ToolName } from './tools';
import type { SessionFiles } from '../store/workspace';
import { TOOL_HANDLERS } from './handlers';
import { toolError, type ToolHandler, type ToolResult } from './handlers/handler';
import type { CommandTool } from './commands';
import { CONTINUE_NUDGE, userNote } from './prompts';
import type { DynamicTools } from './mcp';

/** Handles the tools a phase decides itself (the escalation's reassign_task / skip_task, the review's request_fix). */
export type ExtraToolHandler = (name: ToolName, args: unknown) => Promise<ToolResult>;

export interface AgentSpec {
  agentId: string;
  taskId?: string;
  role: string;
  routes: ModelRef[];
  system: string;
  messages: ChatMessage[];
  tools: ToolName[];
  maxTurns: number;
  maxOutputTokens: number;
  /** Conversation key for traces: `task/<id>`, `escalate/<id>`… */
  trace: string;
  extraTools?: ExtraToolHandler;
  /** The role's MCP tools (`mcp__<server>__<tool>`), offered besides `tools`; their list may change between turns. */
  mcp?: DynamicTools;
}

export type AgentOutcome = { kind: 'finished'; summary: string } | { kind: 'gave_up'; reason: string } | { kind: 'decided'; summary: string };

export interface AgentDeps {
  caller: ModelCaller;
  files: SessionFiles;
  sink: EventSink;
  /** Each model's context window: the conversation is compacted to fit it before every request. */
  windows: ContextWindows;
  /** run_command, when the session's policy offers it. */
  commands?: CommandTool;
  /** The user's notes to this agent, taken before each model call. */
  inbox?: { take(agentId: string): string[] };
  /** Aborts this agent's work: its task's signal (Steering.track), which the user's Stop Task and the session's cancel abort. */
  signal?: AbortSignal;
  /** search_files' fast path (ripgrep), when the session has one. */
  search?: TextSearch;
}

/** Adds the user's notes to the conversation: to the last user turn when there is one (no back-to-back user turns), else as a user turn after the tool results. */
function addNotes(messages: ChatMessage[], notes: string[]): void {
  if (!notes.length) return;
  const text = userNote(notes);
  const last = messages.at(-1);
  if (last?.role === 'user') messages[messages.length - 1] = { role: 'user', content: `${last.content}\n\n${text}` };
  else messages.push({ role: 'user', content: text });
}

/** How many times in a row a provider may refuse a compacted prompt as too long before the agent gives up. */
const MAX_OVERFLOWS = 3;

export async function runAgent(spec: AgentSpec, deps: AgentDeps): Promise<AgentOutcome> {
  const { caller, sink } = deps;
  const messages = [...spec.messages];
  const prompt = messages.flatMap((m) => (m.role === 'user' ? [m.content] : [])).join('\n\n');
  sink.emit({ type: 'agent.prompt', agentId: spec.agentId, taskId: spec.taskId, text: prompt });
  const builtIn = spec.tools.map(toolSpec);
  // One array for the whole loop (the compactor counts it): refilled before each turn, since an MCP server's tools may change.
  const tools: ToolSpec[] = [...builtIn];
  const compactor = new Compactor(
    {
      agentId: spec.agentId,
      taskId: spec.taskId,
      system: spec.system,
      tools,
      head: spec.messages.length,
      maxOutputTokens: spec.maxOutputTokens,
      trace: spec.trace,
    },
    { caller, sink, windows: deps.windows, signal: deps.signal },
  );
  let routeIndex = 0;
  let idleTurns = 0;
  let overflows = 0;
  for (let turn = 1; turn <= spec.maxTurns;) {
    const route = spec.routes[routeIndex];
    if (!route) return { kind: 'gave_up', reason: 'no provider is available for this role' };
    if (deps.signal?.aborted) throw deps.signal.reason;
    addNotes(messages, deps.inbox?.take(spec.agentId) ?? []);
    if (spec.mcp) tools.splice(0, tools.length, ...builtIn, ...spec.mcp.specs());
    let result;
    try {
      await compactor.fit(messages, route, turn, overflows ? 'provider' : 'estimate');
      result = await caller.call(
        route,
        { system: spec.system, messages, tools, maxOutputTokens: spec.maxOutputTokens },
        { agentId: spec.agentId, taskId: spec.taskId, trace: `${spec.trace}#${turn}`, signal: deps.signal },
      );
    } catch (e) {
      if (e instanceof ContextTooLargeError) return { kind: 'gave_up', reason: e.message };
      if (e instanceof ContextOverflowError) {
        // The provider counts more than the estimate, or enforces a smaller window than known: learn it, compact, ask it again.
        if (++overflows > MAX_OVERFLOWS)
          return {
            kind: 'gave_up',
            reason: `${route.provider}/${route.model} refused the conversation as larger than its context window ${overflows} times, even compacted: ${e.message}`,
          };
        compactor.overflowed(e);
        continue; // same turn, same provider
      }
      if (!(e instanceof RouteExhaustedError)) throw e;
      const next = spec.routes[routeIndex + 1];
      if (!next) return { kind: 'gave_up', reason: e.message };
      sink.emit({ type: 'provider.switched', agentId: spec.agentId, taskId: spec.taskId, from: route, to: next, reason: e.message });
      routeIndex++;
      continue; // same turn, same conversation, next provider
    }
    turn++;
    overflows = 0;
    messages.push({
      role: 'assistant',
      content: result.text,
      toolCalls: result.toolCalls.length ? result.toolCalls : undefined,
      ...(result.providerData ? { providerData: result.providerData } : {}),
    });
    if (result.toolCalls.length === 0) {
      if (++idleTurns >= 3) return { kind: 'gave_up', reason: 'the model stopped using its tools without calling finish' };
      messages.push({ role: 'user', content: CONTINUE_NUDGE });
      continue;
    }
    idleTurns = 0;
    let outcome: AgentOutcome | undefined;
    for (const call of result.toolCalls) {
      const r = await runTool(call, spec, deps, route);
      messages.push({
        role: 'tool',
        toolCallId: call.id,
        name: call.name,
        content: caller.redactToolResult(r.result),
        isError: r.isError,
        ...(r.images?.length ? { images: r.images } : {}),
      });
      outcome ??= r.stop;
    }
    if (outcome) return outcome;
  }
  return { kind: 'gave_up', reason: `turn limit (${spec.maxTurns}) reached without finish` };
}

/** The first line of a tool's error, short: what `tool.result` says of a failed call. */
const firstLine = (text: string) => (text.split('\n', 1)[0] ?? '').slice(0, 200);

async function runTool(call: ToolCall, spec: AgentSpec, deps: AgentDeps, route: ModelRef): Promise<ToolResult> {
  const r = await dispatch(call, spec, deps, route);
  deps.sink.emit({
    type: 'tool.result',
    agentId: spec.agentId,
    taskId: spec.taskId,
    tool: call.name,
    ok: !r.isError,
    summary: r.summary ?? (r.isError ? firstLine(r.result) : 'done'),
  });
  return r;
}

async function dispatch(call: ToolCall, spec: AgentSpec, deps: AgentDeps, route: ModelRef): Promise<ToolResult> {
  const { sink } = deps;
  const fail = (error: string): ToolResult => {
    sink.emit({ type: 'tool.failed', agentId: spec.agentId, taskId: spec.taskId, tool: call.name, error });
    return toolError(error);
  };
  if (spec.mcp?.has(call.name)) {
    sink.emit({ type: 'tool.called', agentId: spec.agentId, taskId: spec.taskId, tool: call.name, summary: spec.mcp.summary(call.name, call.arguments) });
    return spec.mcp.run(
      call.name,
      call.arguments,
      { agentId: spec.agentId, taskId: spec.taskId, role: spec.role, provider: route.provider, model: route.model },
      deps.signal ?? new AbortController().signal,
    );
  }
  if (!isToolName(call.name) || !spec.tools.includes(call.name))
    return fail(`Unknown tool "${call.name}". Available: ${[...spec.tools, ...(spec.mcp?.specs().map((t) => t.name) ?? [])].join(', ')}.`);
  const name = call.name;
  const handler = TOOL_HANDLERS[name] as ToolHandler | undefined;
  if (!handler) {
    if (!spec.extraTools) return fail(`Tool "${name}" is not available here.`);
    sink.emit({ type: 'tool.called', agentId: spec.agentId, taskId: spec.taskId, tool: name, summary: JSON.stringify(call.arguments).slice(0, 200) });
    // A phase's own decisions answer in a sentence of ours (never file contents): it is the summary.
    const r = await spec.extraTools(name, call.arguments);
    return { ...r, summary: r.summary ?? firstLine(r.result) };
  }
  const a = parseToolArgs(name, call.arguments);
  if (!a.ok) return fail(a.error);
  sink.emit({ type: 'tool.called', agentId: spec.agentId, taskId: spec.taskId, tool: name, summary: handler.summary(a.value) });
  const r = await handler.run(a.value, { spec, deps, route });
  if (r.isError && !r.recorded) sink.emit({ type: 'tool.failed', agentId: spec.agentId, taskId: spec.taskId, tool: name, error: r.result });
  return r;
}
