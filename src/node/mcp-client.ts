// The McpClient port on Node: the official MCP SDK (@modelcontextprotocol/sdk: its protocol engine,
// schemas and streamable HTTP transport), the only file that imports it. The client is the SDK's
// Protocol with the handshake its Client does (initialize, the version check, notifications/initialized):
// the Client class also brings ajv to check tools' structured output against their output schemas,
// ~145 KB of the extension's bundle for a check Ensemble does not need (a model reads what the server
// said; an answer whose shape is not MCP's is still refused, by the SDK's schemas). Stdio servers run through a transport of
// our own built on the SDK's own framing (ReadBuffer, serializeMessage), because the SDK's
// StdioClientTransport starts the server in our process group, adds variables of its own to the
// environment, prints its stderr to ours and stops only the process it started (an `npx` wrapper's
// server would outlive it). Ours starts it in a process group of its own, with exactly the environment
// the engine gives, keeps the end of its stderr for the error that says why it stopped, skips lines on
// stdout that are not JSON-RPC (a server's stray logging), and kills the whole group when it closes,
// when Ensemble exits, and — through a pid file under .ensemble/mcp swept by the next run — after
// Ensemble was killed with `kill -9` (inside bubblewrap, `--die-with-parent` already ends it then).

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Protocol, type RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolResultSchema,
  InitializeResultSchema,
  LATEST_PROTOCOL_VERSION,
  ListRootsRequestSchema,
  ListToolsResultSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  ToolListChangedNotificationSchema,
  type JSONRPCMessage,
  type Notification,
  type Request,
  type Result,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpClient, McpConnection, McpContent, McpEndpoint, McpToolInfo, McpToolResult } from '../core/ports';
import { ENSEMBLE_DIR } from '../core/store/log';

const VERSION = '0.1.0';
/** The SDK's own request timeout, beyond the engine's (which aborts the call's signal at `mcp.timeoutMs`). */
const NO_SDK_TIMEOUT = 24 * 60 * 60 * 1000;
/** How much of a server's stderr is kept for the message that says why it stopped. */
const STDERR_TAIL = 2000;
/** After closing its stdin, how long a server may take to exit before its process group is killed. */
const EXIT_GRACE_MS = 500;
const windows = process.platform === 'win32';

/** The SDK's protocol engine as a client: the handshake of the SDK's Client, nothing it would check besides. */
class McpProtocolClient extends Protocol<Request, Notification, Result> {
  /** The client's half of the handshake (initialize, then notifications/initialized); rejects when the server speaks no version we do. */
  async open(transport: Transport, options: RequestOptions): Promise<void> {
    await this.connect(transport);
    const r = await this.request(
      {
        method: 'initialize',
        params: {
          protocolVersion: LATEST_PROTOCOL_VERSION,
          capabilities: { roots: { listChanged: false } },
          clientInfo: { name: 'ensemble', version: VERSION },
        },
      },
      InitializeResultSchema,
      options,
    );
    if (!SUPPORTED_PROTOCOL_VERSIONS.includes(r.protocolVersion))
      throw new Error(`the server speaks MCP ${r.protocolVersion}, which this client does not (${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`);
    (transport as { setProtocolVersion?: (v: string) => void }).setProtocolVersion?.(r.protocolVersion);
    await this.notification({ method: 'notifications/initialized' });
  }

  // What the client may send and answer is what this file sends and answers: nothing to assert.
  protected assertCapabilityForMethod(): void {}
  protected assertNotificationCapability(): void {}
  protected assertRequestHandlerCapability(): void {}
  protected assertTaskCapability(): void {}
  protected assertTaskHandlerCapability(): void {}
}

/** Every stdio server this process runs: killed (whole groups) when the process exits, however it exits normally. */
const live = new Set<ProcessTransport>();
let exitHook = false;
function killAllOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const t of live) t.killNow();
  });
}

/** When process `pid` started (an opaque stamp), so that a pid the system gave to another process since is not taken for it; undefined when it cannot be told. */
function startStamp(pid: number): string | undefined {
  try {
    if (process.platform === 'linux') {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    }
    if (process.platform === 'darwin') return execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 2000 }).trim() || undefined;
  } catch {
    /* gone, or not ours to read */
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    if (windows) spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', () => undefined);
    else process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

interface PidFile {
  pid: number;
  start?: string;
  owner: number;
  ownerStart?: string;
  server: string;
  command: string;
}

/** A stdio server: a child process in a group of its own, MCP messages one per line on its stdin/stdout. */
class ProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private child?: ChildProcess;
  private readonly buffer = new ReadBuffer();
  private stderr = '';
  private noise = '';
  private exited?: string;
  private pidFile?: string;

  constructor(
    private readonly name: string,
    private readonly endpoint: Extract<McpEndpoint, { transport: 'stdio' }>,
    private readonly pidDir: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Why the process stopped, with the end of what it said. */
  get reason(): string {
    const said = (this.stderr.trim() || this.noise.trim()).split('\n').slice(-6).join('\n');
    return `${this.exited ?? 'it stopped'}${said ? `; it said: ${said}` : ''}`;
  }

  start(): Promise<void> {
    const e = this.endpoint;
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(e.command, e.args, { cwd: e.cwd, env: e.env, stdio: ['pipe', 'pipe', 'pipe'], detached: !windows, windowsHide: true, shell: false });
      } catch (err) {
        return reject(new Error(`could not start ${e.command}: ${(err as Error).message}`));
      }
      this.child = child;
      child.on('error', (err) => {
        this.exited = `could not start ${e.command}: ${err.message}`;
        reject(new Error(this.exited));
        this.finish();
      });
      child.on('spawn', () => {
        live.add(this);
        killAllOnExit();
        this.writePidFile(child.pid!);
        resolve();
      });
      child.on('exit', (code, signal) => {
        this.exited = signal ? `it was killed (${signal})` : `it exited with code ${code}`;
        killGroup(child.pid!, 'SIGKILL'); // what it left running goes too
      });
      child.on('close', () => this.finish());
      child.stdin?.on('error', (err) => this.onerror?.(err));
      child.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderr = (this.stderr + text).slice(-STDERR_TAIL)));
      child.stdout?.on('data', (chunk: Buffer) => {
        try {
          this.buffer.append(chunk);
        } catch (err) {
          this.onerror?.(err as Error);
          void this.close();
          return;
        }
        for (;;) {
          let message: JSONRPCMessage | null;
          try {
            message = this.buffer.readMessage();
          } catch {
            // A line that is not a JSON-RPC message (a server logging to stdout): skipped, kept for the error text.
            this.noise = `${this.noise}[not MCP on stdout]\n`.slice(-STDERR_TAIL);
            continue;
          }
          if (message === null) break;
          this.onmessage?.(message);
        }
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = this.child?.stdin;
      if (!stdin || this.exited) return reject(new Error(`the server is not running (${this.reason})`));
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return this.finish();
    const gone = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const wait = (ms: number) => Promise.race([gone, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
    try {
      child.stdin?.end();
    } catch {
      /* closed already */
    }
    await wait(EXIT_GRACE_MS);
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child.pid!, 'SIGTERM');
      await wait(EXIT_GRACE_MS);
      if (child.exitCode === null && child.signalCode === null) killGroup(child.pid!, 'SIGKILL');
      await wait(EXIT_GRACE_MS);
    }
    this.finish();
  }

  /** The process group killed at once (the process is exiting: nothing can wait). */
  killNow(): void {
    const pid = this.child?.pid;
    if (pid !== undefined && !this.exited) killGroup(pid, 'SIGKILL');
    this.removePidFile();
  }

  private finished = false;
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    live.delete(this);
    this.removePidFile();
    this.buffer.clear();
    this.onclose?.();
  }

  private writePidFile(pid: number): void {
    try {
      fs.mkdirSync(this.pidDir, { recursive: true });
      const body: PidFile = {
        pid,
        start: startStamp(pid),
        owner: process.pid,
        ownerStart: startStamp(process.pid),
        server: this.name,
        command: [this.endpoint.command, ...this.endpoint.args].join(' ').slice(0, 500),
      };
      this.pidFile = path.join(this.pidDir, `${pid}.json`);
      fs.writeFileSync(this.pidFile, JSON.stringify(body));
    } catch {
      this.pidFile = undefined; // a workspace we cannot write to: the exit hook still stops it
    }
  }

  private removePidFile(): void {
    if (!this.pidFile) return;
    try {
      fs.rmSync(this.pidFile, { force: true });
    } catch {
      /* swept by the next run */
    }
    this.pidFile = undefined;
  }
}

function content(c: Record<string, unknown>): McpContent {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  switch (c.type) {
    case 'text':
      return { type: 'text', text: String(c.text ?? '') };
    case 'image':
    case 'audio':
      return { type: c.type, mimeType: str(c.mimeType) ?? 'application/octet-stream', data: String(c.data ?? '') };
    case 'resource': {
      const r = (c.resource ?? {}) as Record<string, unknown>;
      return { type: 'resource', uri: String(r.uri ?? ''), mimeType: str(r.mimeType), text: str(r.text), blob: str(r.blob) };
    }
    case 'resource_link':
      return { type: 'resource_link', uri: String(c.uri ?? ''), name: str(c.name), mimeType: str(c.mimeType), description: str(c.description) };
    default:
      return { type: 'other', kind: String(c.type) };
  }
}

export class NodeMcpClient implements McpClient {
  private readonly pidDir: string;

  /** `workspace`: where the pid files of its stdio servers are kept (`.ensemble/mcp`). */
  constructor(workspace: string) {
    this.pidDir = path.join(workspace, ENSEMBLE_DIR, 'mcp');
  }

  async connect(name: string, endpoint: McpEndpoint, opts: { signal: AbortSignal; roots: string[] }): Promise<McpConnection> {
    const client = new McpProtocolClient();
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: opts.roots.map((r) => ({ uri: pathToFileURL(r).href, name: path.basename(r) })) }));
    const toolsChanged: (() => void)[] = [];
    const closed: ((reason: string) => void)[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      for (const l of toolsChanged) l();
    });
    let transport: Transport;
    let proc: ProcessTransport | undefined;
    if (endpoint.transport === 'stdio') transport = proc = new ProcessTransport(name, endpoint, this.pidDir);
    else {
      let url: URL;
      try {
        url = new URL(endpoint.url);
      } catch {
        throw new Error(`"${endpoint.url}" is not a URL`);
      }
      transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: endpoint.headers } });
    }
    let closing = false;
    let lastError: string | undefined;
    client.onerror = (e) => {
      lastError = e.message;
    };
    client.onclose = () => {
      if (closing) return;
      const reason = proc ? proc.reason : `the connection to ${endpoint.transport === 'http' ? endpoint.url : name} closed${lastError ? `: ${lastError}` : ''}`;
      for (const l of closed) l(reason);
    };
    const close = async () => {
      if (closing) return;
      closing = true;
      await client.close().catch(() => undefined);
      await proc?.close().catch(() => undefined);
    };
    try {
      await client.open(transport, { signal: opts.signal, timeout: NO_SDK_TIMEOUT });
    } catch (e) {
      const why = proc && proc.reason !== 'it stopped' ? ` (${proc.reason})` : '';
      await close();
      throw new Error(`${(e as Error).message}${why}`);
    }
    const withExit = (e: unknown): Error => {
      const m = e instanceof Error ? e.message : String(e);
      return new Error(proc && /closed/i.test(m) ? `the server stopped during the call: ${proc.reason}` : m);
    };
    return {
      pid: proc?.pid,
      listTools: async (signal) => {
        const out: McpToolInfo[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < 100; page++) {
          const r = await client
            .request({ method: 'tools/list', params: cursor ? { cursor } : {} }, ListToolsResultSchema, { signal, timeout: NO_SDK_TIMEOUT })
            .catch((e: unknown) => {
              throw withExit(e);
            });
          for (const t of r.tools)
            out.push({
              name: t.name,
              title: t.title ?? t.annotations?.title,
              description: t.description,
              inputSchema: t.inputSchema as Record<string, unknown>,
              readOnly: t.annotations?.readOnlyHint === true,
            });
          cursor = r.nextCursor;
          if (!cursor) break;
        }
        return out;
      },
      callTool: async (tool, args, signal) => {
        const r = await client
          .request({ method: 'tools/call', params: { name: tool, arguments: args } }, CallToolResultSchema, {
            signal,
            timeout: NO_SDK_TIMEOUT,
            resetTimeoutOnProgress: true,
          })
          .catch((e: unknown) => {
            throw withExit(e);
          });
        const blocks = Array.isArray(r.content) ? (r.content as Record<string, unknown>[]) : [];
        const result: McpToolResult = { content: blocks.map(content), isError: r.isError === true };
        if (r.structuredContent !== undefined) result.structured = r.structuredContent;
        return result;
      },
      onToolsChanged: (l) => void toolsChanged.push(l),
      onClosed: (l) => void closed.push(l),
      close,
    };
  }

  /** Kills the stdio servers whose Ensemble process is gone (pid files it could not remove: `kill -9`). */
  async recover(): Promise<string[]> {
    let names: string[];
    try {
      names = fs.readdirSync(this.pidDir).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const n of names) {
      const file = path.join(this.pidDir, n);
      let p: PidFile;
      try {
        p = JSON.parse(fs.readFileSync(file, 'utf8')) as PidFile;
      } catch {
        fs.rmSync(file, { force: true });
        continue;
      }
      // Still owned by a live Ensemble (another window on this workspace): not ours to stop.
      if (p.owner !== process.pid && alive(p.owner) && (!p.ownerStart || startStamp(p.owner) === p.ownerStart)) continue;
      if (p.owner === process.pid && [...live].some((t) => t.pid === p.pid)) continue;
      // Killed only when it is surely the process that was started (its start time matches).
      if (alive(p.pid) && p.start !== undefined && startStamp(p.pid) === p.start) {
        killGroup(p.pid, 'SIGKILL');
        out.push(`${p.server} (pid ${p.pid}: ${p.command})`);
      }
      fs.rmSync(file, { force: true });
    }
    return out;
  }
}
