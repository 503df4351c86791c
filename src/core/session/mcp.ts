// The session's MCP servers, as tools for its agents. A server is started when the first agent whose
// role selects it starts (`roles.<name>.mcp`), listed once (tools/list; again after it says its list
// changed), restarted at its next use when it exited (a few times at most), and stopped when the
// session ends. A stdio server runs in the session's sandbox when one confines its commands, with the
// allow-listed environment plus its own `env` (never a key it was not given), in the workspace.
//
// A call runs only when the `mcp` policy allows it, else when the user allows it (the ApproveMcpCall
// port: VS Code's modal, the CLI's terminal prompt; nobody to ask means denied), exactly as run_command.
// What it changes in the workspace is found as a command's changes are (SessionFiles.beforeCommand /
// afterCommand) and is the task's. A server that fails to start, crashes, hangs past `mcp.timeoutMs` or
// answers what is not MCP is a tool error for that call, never the end of the session. Every start,
// call, decision and result is an event.

import * as path from 'node:path';
import type { EngineConfig } from '../config';
import type { EventSink } from '../events';
import type { SessionState } from '../fold/state';
import { PROTECTED_NAMES } from '../paths';
import type { JsonSchema, McpClient, McpConnection, McpEndpoint, McpToolInfo, McpToolResult, ProcessSpec, Sandbox, ToolSpec } from '../ports';
import { childEnv } from '../quality/validation';
import type { SessionFiles } from '../store/workspace';
import type { CommandApproval, CommandCaller, Questions } from './commands';
import type { McpServerConfig } from '../mcp-config';
import { formatResult, mcpDescription, mcpToolName, mcpVerdict, normaliseSchema, selects, summariseArguments } from './mcp-tools';

/** What the user is shown when asked about a call. */
export interface McpApprovalRequest {
  server: string;
  tool: string;
  /** The arguments, summarised (long values cut, secret-named ones hidden). */
  arguments: string;
  /** The tool's own description (the server's words). */
  description?: string;
  /** The server marks the tool read-only. */
  readOnly: boolean;
  role: string;
  agentId: string;
  taskId?: string;
  taskTitle?: string;
}

/** Asks the user about an MCP call (VS Code: the same modal as commands; CLI: the terminal). Absent: nobody can be asked. */
export type ApproveMcpCall = (request: McpApprovalRequest, signal: AbortSignal) => Promise<CommandApproval>;

/** A session's tools that are not the engine's own (a role's MCP tools): what the agent loop offers and dispatches besides ToolName. */
export interface DynamicTools {
  /** The tools as offered now (a server's list may change between turns). */
  specs(): ToolSpec[];
  has(name: string): boolean;
  /** What `tool.called` says of a call ("github/search_issues {…}"). */
  summary(name: string, args: Record<string, unknown>): string;
  /** Runs a call; `signal`: the agent's (its task's Stop, the session's cancel). */
  run(
    name: string,
    args: Record<string, unknown>,
    who: CommandCaller,
    signal: AbortSignal,
  ): Promise<{ result: string; isError?: boolean; summary: string; images?: { mimeType: string; data: string }[] }>;
}

export interface McpHubDeps {
  client: McpClient;
  config: Pick<EngineConfig, 'mcpServers' | 'mcp'>;
  sink: EventSink;
  /** The live fold: numbers the calls, holds this session's approvals and says which sandbox is in use. */
  state: SessionState;
  files: SessionFiles;
  workspace: string;
  /** The session's: aborting it stops every server. */
  signal: AbortSignal;
  /** Confines stdio servers while the log says a sandbox is in use (`sandbox.checked`). */
  sandbox?: Sandbox;
  approve?: ApproveMcpCall;
  /** The user's questions, one at a time (shared with run_command's). */
  questions: Questions;
  /** The environment the allow-listed base of a stdio server's is taken from. */
  env?: NodeJS.ProcessEnv;
}

/** How many times a server may be started in one session run (it crashed, or failed to start) before its tools say it is unavailable. */
const MAX_STARTS = 3;

interface Server {
  name: string;
  config: McpServerConfig;
  conn?: McpConnection;
  starting?: Promise<McpConnection>;
  starts: number;
  lastError?: string;
  tools: McpToolInfo[];
  specs: Map<string, ToolSpec>;
  relisting?: Promise<void>;
  /** Set when this session stops it (its `onClosed` is then not an exit). */
  stopping?: boolean;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class McpHub {
  private readonly servers = new Map<string, Server>();
  /** tool name → server and tool; and the names given, so that each stays the same for the whole session. */
  private readonly byName = new Map<string, { server: string; tool: string }>();
  private readonly names = new Map<string, string>();
  private closed = false;

  constructor(private readonly deps: McpHubDeps) {}

  /** Whether any MCP tool can be offered at all. */
  get offered(): boolean {
    return this.deps.config.mcp.run !== 'never' && Object.keys(this.deps.config.mcpServers).length > 0;
  }

  /** Stops servers a killed earlier run left running (before any agent starts). */
  async recover(): Promise<void> {
    const lines = (await this.deps.client.recover?.().catch(() => [])) ?? [];
    for (const line of lines)
      this.deps.sink.emit({
        type: 'mcp.server',
        server: line.split(' ', 1)[0] ?? '?',
        status: 'stopped',
        transport: 'stdio',
        error: `left running by an earlier run that was killed: ${line}`,
      });
  }

  /**
   * The MCP tools of a role's selection (`["github", "memory/read_graph"]`), starting the servers it
   * needs that are not running yet; undefined when it selects none. A server that cannot start is logged
   * (`mcp.server` failed) and offers no tools to this agent.
   */
  async toolsFor(selection: readonly string[] | undefined): Promise<DynamicTools | undefined> {
    if (!selection?.length || this.deps.config.mcp.run === 'never') return undefined;
    const wanted = [...new Set(selection.map((e) => e.split('/', 1)[0]!))];
    await Promise.all(wanted.map((name) => this.ensure(name).catch(() => undefined)));
    const entries = () =>
      wanted.flatMap((name) => {
        const s = this.servers.get(name);
        return s ? s.tools.filter((t) => selects(selection, name, t.name)).map((t) => ({ server: s, tool: t })) : [];
      });
    const find = (name: string) => {
      const ref = this.byName.get(name);
      if (!ref || !wanted.includes(ref.server) || !selects(selection, ref.server, ref.tool)) return undefined;
      const s = this.servers.get(ref.server)!;
      return { server: s, tool: s.tools.find((t) => t.name === ref.tool) };
    };
    return {
      specs: () => entries().map(({ server, tool }) => server.specs.get(tool.name)!),
      has: (name) => !!find(name),
      summary: (name, args) => {
        const ref = this.byName.get(name)!;
        return `${ref.server}/${ref.tool} ${summariseArguments(args)}`;
      },
      run: async (name, args, who, signal) => {
        const f = find(name)!;
        return this.call(f.server, f.tool?.name ?? this.byName.get(name)!.tool, f.tool, args, who, signal);
      },
    };
  }

  /** Stops every server (the session ended, or was cancelled). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.servers.values()].map(async (s) => {
        const conn = s.conn ?? (await s.starting?.catch(() => undefined));
        if (!conn) return;
        s.stopping = true;
        s.conn = undefined;
        await conn.close();
        this.deps.sink.emit({ type: 'mcp.server', server: s.name, status: 'stopped', transport: s.config.type });
      }),
    );
  }

  /** The server's connection, started (and listed) when it is not running. */
  private ensure(name: string): Promise<McpConnection> {
    let s = this.servers.get(name);
    if (!s) {
      const config = this.deps.config.mcpServers[name];
      if (!config) {
        const known = Object.keys(this.deps.config.mcpServers);
        return Promise.reject(new Error(`no MCP server "${name}" is configured${known.length ? ` (mcpServers: ${known.join(', ')})` : ''}`));
      }
      this.servers.set(name, (s = { name, config, starts: 0, tools: [], specs: new Map() }));
    }
    if (s.conn) return Promise.resolve(s.conn);
    if (s.starting) return s.starting;
    if (this.closed || this.deps.signal.aborted) return Promise.reject(new Error('the session is ending'));
    if (s.starts >= MAX_STARTS)
      return Promise.reject(
        new Error(
          `the MCP server "${name}" is not available: it was started ${s.starts} times in this run and stopped or failed each time (last: ${s.lastError ?? 'unknown'})`,
        ),
      );
    const server = s;
    server.starts++;
    server.starting = this.start(server).finally(() => (server.starting = undefined));
    return server.starting;
  }

  private async start(s: Server): Promise<McpConnection> {
    const { deps } = this;
    const transport = s.config.type;
    let sandbox: string | null = null;
    const signal = AbortSignal.any([deps.signal, AbortSignal.timeout(deps.config.mcp.timeoutMs)]);
    try {
      let endpoint: McpEndpoint;
      if (s.config.type === 'stdio') {
        const c = s.config;
        unresolved([c.command, ...c.args, ...Object.values(c.env), c.cwd ?? '']);
        const cwd = path.resolve(deps.workspace, c.cwd ?? '.');
        let spec: ProcessSpec = {
          command: c.command,
          args: c.args,
          cwd,
          env: { ...childEnv(deps.env ?? process.env), ...c.env },
          timeoutMs: deps.config.mcp.timeoutMs,
        };
        const use = deps.state.sandbox;
        if (use?.sandbox) {
          if (!deps.sandbox) throw new Error(`${use.sandbox} is in use but the engine has no sandbox to start it in`);
          spec = await deps.sandbox
            .wrap(spec, { writable: deps.workspace, readOnlyNames: PROTECTED_NAMES, network: use.network === 'on' })
            .catch((e: unknown) => {
              throw new Error(`${use.sandbox} could not confine it (${errorText(e)}), so it was not started`);
            });
          sandbox = use.sandbox;
        }
        endpoint = { transport: 'stdio', command: spec.command, args: spec.args ?? [], cwd: spec.cwd, env: spec.env };
      } else {
        unresolved([s.config.url, ...Object.values(s.config.headers)]);
        endpoint = { transport: 'http', url: s.config.url, headers: s.config.headers };
      }
      const conn = await deps.client.connect(s.name, endpoint, { signal, roots: [deps.workspace] });
      conn.onClosed((reason) => {
        if (s.conn !== conn) return;
        s.conn = undefined;
        s.lastError = reason;
        if (!s.stopping && !this.closed) deps.sink.emit({ type: 'mcp.server', server: s.name, status: 'exited', transport, error: reason });
      });
      conn.onToolsChanged(() => void this.relist(s, conn));
      try {
        this.setTools(s, await conn.listTools(signal));
      } catch (e) {
        await conn.close();
        throw e;
      }
      if (this.closed) {
        await conn.close();
        throw new Error('the session is ending');
      }
      s.conn = conn;
      deps.sink.emit({
        type: 'mcp.server',
        server: s.name,
        status: 'started',
        transport,
        tools: s.tools.map((t) => t.name),
        ...(transport === 'stdio' ? { sandbox } : {}),
      });
      return conn;
    } catch (e) {
      const why =
        signal.aborted && !deps.signal.aborted ? `it did not start and list its tools within ${deps.config.mcp.timeoutMs} ms (mcp.timeoutMs)` : errorText(e);
      s.lastError = why;
      if (!deps.signal.aborted) deps.sink.emit({ type: 'mcp.server', server: s.name, status: 'failed', transport, error: why });
      throw new Error(`the MCP server "${s.name}" could not be started: ${why}`);
    }
  }

  /** Lists the server's tools again after it said they changed (one listing at a time). */
  private async relist(s: Server, conn: McpConnection): Promise<void> {
    if (s.conn !== conn) return; // still starting: its first listing follows the change
    if (s.relisting) return void (await s.relisting.then(() => this.relist(s, conn)));
    s.relisting = (async () => {
      try {
        const tools = await conn.listTools(AbortSignal.any([this.deps.signal, AbortSignal.timeout(this.deps.config.mcp.timeoutMs)]));
        if (s.conn !== conn) return;
        this.setTools(s, tools);
        this.deps.sink.emit({ type: 'mcp.server', server: s.name, status: 'tools_changed', transport: s.config.type, tools: tools.map((t) => t.name) });
      } catch {
        /* kept the last list: a call to a tool that is gone is the server's error to give */
      } finally {
        s.relisting = undefined;
      }
    })();
    await s.relisting;
  }

  private setTools(s: Server, tools: McpToolInfo[]): void {
    s.tools = tools;
    s.specs = new Map();
    for (const t of tools) {
      const key = `${s.name}\u0000${t.name}`;
      let name = this.names.get(key);
      if (!name) {
        name = mcpToolName(s.name, t.name, new Set(this.byName.keys()));
        this.names.set(key, name);
        this.byName.set(name, { server: s.name, tool: t.name });
      }
      s.specs.set(t.name, Object.freeze({ name, description: mcpDescription(s.name, t), parameters: normaliseSchema(t.inputSchema) as JsonSchema }));
    }
  }

  private async call(
    s: Server,
    toolName: string,
    tool: McpToolInfo | undefined,
    args: Record<string, unknown>,
    who: CommandCaller,
    signal: AbortSignal,
  ): Promise<{ result: string; isError?: boolean; summary: string; images?: { mimeType: string; data: string }[] }> {
    const { sink, state, config } = this.deps;
    const callId = `m${state.mcp.callOrder.length + 1}`;
    const label = `${s.name}/${toolName}`;
    sink.emit({
      type: 'mcp.called',
      callId,
      agentId: who.agentId,
      taskId: who.taskId,
      role: who.role,
      server: s.name,
      tool: toolName,
      arguments: summariseArguments(args),
    });
    const d = await this.decide(s.name, toolName, tool, args, who, signal);
    sink.emit({ type: 'mcp.decided', callId, ...d });
    if (d.decision === 'denied')
      return {
        result: `${label} was not called: ${d.by === 'user' ? 'the user denied it' : d.reason}. Carry on without it (say in your summary what you could not do).`,
        isError: true,
        summary: `not called: ${d.by === 'user' ? 'you denied it' : 'denied by the policy'}`,
      };
    const started = Date.now();
    const timeout = AbortSignal.timeout(config.mcp.timeoutMs);
    const both = AbortSignal.any([signal, timeout]);
    let result: McpToolResult | undefined;
    let error: string | undefined;
    let files: { path: string; change: 'created' | 'modified' | 'deleted' }[] = [];
    try {
      const conn = await this.ensure(s.name);
      const before = await this.deps.files.beforeCommand();
      try {
        result = await conn.callTool(toolName, args, both);
      } catch (e) {
        error = timeout.aborted
          ? `it did not answer within ${config.mcp.timeoutMs} ms (mcp.timeoutMs); the call was cancelled`
          : signal.aborted
            ? `it was cancelled: ${this.deps.signal.aborted ? 'the session was cancelled' : 'its task was stopped'}`
            : errorText(e);
      } finally {
        files = await this.deps.files.afterCommand(before, { ...who, commandId: callId });
      }
    } catch (e) {
      error ??= errorText(e);
    }
    const durationMs = Date.now() - started;
    // A tool that changed the server's tool list (it said so before it answered): the next turn sees the new list.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await s.relisting;
    const changed = files.length ? `\nFiles it changed: ${files.map((f) => `${f.path} (${f.change})`).join(', ')}.` : '';
    if (!result) {
      sink.emit({
        type: 'mcp.result',
        callId,
        ok: false,
        durationMs,
        summary: `failed: ${firstLine(error!)}`,
        error,
        ...(timeout.aborted ? { timedOut: true } : {}),
        files,
      });
      return { result: `${label} failed: ${error}${changed}`, isError: true, summary: `failed: ${firstLine(error!)}` };
    }
    const out = formatResult(s.name, toolName, result);
    sink.emit({
      type: 'mcp.result',
      callId,
      ok: !result.isError,
      durationMs,
      summary: out.summary,
      ...(result.isError ? { error: firstLine(out.text) } : {}),
      files,
    });
    return { result: `${out.text}${changed}`, isError: result.isError, summary: out.summary, ...(out.images.length ? { images: out.images } : {}) };
  }

  private async decide(
    server: string,
    tool: string,
    info: McpToolInfo | undefined,
    args: Record<string, unknown>,
    who: CommandCaller,
    signal: AbortSignal,
  ): Promise<{ decision: 'allowed' | 'approved' | 'denied'; by: 'policy' | 'user'; scope?: 'once' | 'session'; reason: string }> {
    const { state, approve, config } = this.deps;
    const verdict = mcpVerdict(config.mcp, server, tool, !!info?.readOnly);
    if (verdict.kind !== 'ask') return { decision: verdict.kind, by: 'policy', reason: verdict.reason };
    return this.deps.questions.turn(async () => {
      const before = Object.values(state.mcp.calls).some((c) => c.decision === 'approved' && c.scope === 'session' && c.server === server && c.tool === tool);
      if (before)
        return { decision: 'approved' as const, by: 'user' as const, scope: 'session' as const, reason: 'the user allowed this tool for the session earlier' };
      if (signal.aborted)
        return { decision: 'denied' as const, by: 'policy' as const, reason: this.deps.signal.aborted ? 'the session was cancelled' : 'its task was stopped' };
      if (!approve)
        return { decision: 'denied' as const, by: 'policy' as const, reason: 'it matches no pattern of mcp.allow and nobody can be asked (no terminal)' };
      const request: McpApprovalRequest = {
        server,
        tool,
        arguments: summariseArguments(args, 1000),
        description: info?.description,
        readOnly: !!info?.readOnly,
        role: who.role,
        agentId: who.agentId,
        taskId: who.taskId,
        taskTitle: who.taskId ? state.tasks[who.taskId]?.title : undefined,
      };
      let onAbort: (() => void) | undefined;
      const cancelled = new Promise<'cancelled'>((resolve) => signal.addEventListener('abort', (onAbort = () => resolve('cancelled')), { once: true }));
      try {
        const answer = await Promise.race([approve(request, signal).catch((e: unknown) => ({ failed: errorText(e) })), cancelled]);
        if (answer === 'cancelled')
          return {
            decision: 'denied' as const,
            by: 'policy' as const,
            reason: this.deps.signal.aborted ? 'the session was cancelled' : 'its task was stopped',
          };
        if (typeof answer === 'object') return { decision: 'denied' as const, by: 'policy' as const, reason: `the user could not be asked (${answer.failed})` };
        if (answer === 'deny') return { decision: 'denied' as const, by: 'user' as const, reason: 'the user denied it' };
        return {
          decision: 'approved' as const,
          by: 'user' as const,
          scope: answer,
          reason: answer === 'session' ? 'the user allowed it for this session' : 'the user allowed it once',
        };
      } finally {
        if (onAbort) signal.removeEventListener('abort', onAbort);
      }
    });
  }
}

const firstLine = (text: string) => (text.split('\n', 1)[0] ?? '').slice(0, 200);

/** A `${…}` variable left in a server's configuration: the wiring did not resolve it (an input nobody was asked for). */
function unresolved(values: string[]): void {
  const left = values.map((v) => /\$\{(?:input|env):[^}]+\}/.exec(v)?.[0]).find(Boolean);
  if (left)
    throw new Error(
      `its configuration still holds ${left}, which was not resolved (an input is asked before the session starts, by VS Code or on the CLI's terminal)`,
    );
}
