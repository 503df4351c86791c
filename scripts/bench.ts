// Performance at scale (issue 14): every figure measured, none asserted. Prints a table (figure, value,
// goal, PASS/MISS) with the machine, the Node version and the repetitions; `--json` prints
// `{machine, node, reps, figures: [{id, label, value, unit, goal, pass, note?}]}`. `--smoke` runs every
// figure at tiny sizes (a unit test runs it so that it cannot rot: its values mean nothing).
//   npm run bench [-- --json] [-- --smoke] [-- --reps 3]
// Every figure is measured on the code as it ships: started from its TypeScript source, the benchmark
// bundles itself with scripts/build.mjs (production: esbuild, minified, the price data apart) into
// out/bench/ and runs that bundle with plain Node. Under tsx the engine's process also carried the
// loader, its source maps (read whenever an error's stack is made) and their memory.
// What each figure measures is said in its `label` and, where it needs more words, its `note`.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { resolveConfig, type EngineConfig } from '../src/core/config';
import { NodeFileStore } from '../src/node/file-store';
import { startSession, type SessionHandle } from '../src/core/session/session';
import { criticalPath } from '../src/core/session/plan';
import type { EnsembleEvent, EventBody, EventOf, TaskSpec } from '../src/core/events';
import { ProviderError, type ChatChunk, type ChatProvider, type ChatRequest, type FileEntry, type FileStat, type FileStore } from '../src/core/ports';
import { estimateTokens } from '../src/core/money/budget';
import { EventLog, readEvents, sessionDir } from '../src/core/store/log';
import { followLog, listSessions } from '../src/core/store/sessions';
import { openSession, SNAPSHOT_EVERY } from '../src/core/store/state-snapshot';
import { rebuildReport } from '../src/core/store/sessions';
import { reviewSession } from '../src/core/store/review';
import { foldEvents, initialState } from '../src/core/fold/state';
import { Redactor } from '../src/core/redact';
import { startFakeServer } from '../src/fakes';
import type { FakeReply, FakeRequest } from '../src/fakes/script';
import { createProvider } from '../src/providers';
import { NodeCommandRunner } from '../src/node/command-runner';
import { nodeWorkspace } from '../src/node/workspace';
import { benchPanel, CHROMIUM } from './bench-panel';
import { makeRepo, NEEDLE } from './bench-repo';
import { bestOfRun, plainCheckouts } from './bench-best-of';
import { RipgrepSearch } from '../src/node/ripgrep';
import { searchFiles } from '../src/core/session/handlers/search-files';
import { listFilesIn } from '../src/core/session/handlers/list-files';

const ROOT = process.env.ENSEMBLE_BENCH_ROOT ?? path.resolve(__dirname, '..');
const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    reps: { type: 'string' },
    latency: { type: 'string' },
    only: { type: 'string' },
    // the repo_* figures on two existing git repositories (small,big) instead of generated ones
    'repo-dirs': { type: 'string' },
    // internal: the 1,000-task run in a child process of its own, so that its peak RSS is its own
    child: { type: 'string' },
    tasks: { type: 'string' },
  },
});
const SMOKE = values.smoke;
const SIZES = SMOKE
  ? { latency: 5, events: 2_000, cpuTasks: 10, reviewFiles: 10, reviewEvents: 1_000, promptTasks: 5, scaleTasks: 20, cancelTasks: 2, reps: 1 }
  : { latency: 120, events: 100_000, cpuTasks: 200, reviewFiles: 200, reviewEvents: 10_000, promptTasks: 20, scaleTasks: 1_000, cancelTasks: 8, reps: 3 };
const REPS = Number(values.reps ?? SIZES.reps);
const LATENCY = Number(values.latency ?? SIZES.latency);
const SECRET = 'sk-bench-0123456789abcdefghijklmnop'; // a session always has keys to redact

interface Figure {
  id: string;
  label: string;
  value: number | null;
  unit: string;
  /** How the value is judged, e.g. "<= 200"; null: reported only. */
  goal: string | null;
  pass: boolean | null;
  note?: string;
}

const figures: Figure[] = [];
function figure(id: string, label: string, value: number | null, unit: string, goal: { max?: number; min?: number } | null, note?: string): void {
  const rounded = value === null ? null : Math.round(value * 100) / 100;
  const pass = value === null || !goal ? null : (goal.max === undefined || value <= goal.max) && (goal.min === undefined || value >= goal.min);
  const goalText = !goal ? null : goal.max !== undefined ? `<= ${goal.max}` : `>= ${goal.min}`;
  figures.push({ id, label, value: rounded, unit, goal: goalText, pass, ...(note ? { note } : {}) });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `ensemble-bench-${name}-`));
const rm = (dir: string) => fs.rmSync(dir, { recursive: true, force: true });

function config(concurrency: number, extra: Partial<Parameters<typeof resolveConfig>[0]> = {}): EngineConfig {
  return resolveConfig({
    orchestrator: { provider: 'fake', model: 'm' },
    roles: { dev: { provider: 'fake', model: 'm' } },
    providers: { fake: { kind: 'openai-compatible', maxConcurrency: concurrency } },
    maxConcurrency: concurrency,
    validation: { runTests: 'never' },
    ...extra,
  });
}

type Shape = Pick<TaskSpec, 'id' | 'dependsOn'>[];
const planOf = (tasks: Shape) => ({ rationale: 'bench', tasks: tasks.map((t) => ({ ...t, title: t.id, description: `Write ${t.id}.txt`, role: 'dev' })) });

/**
 * What every agent does: write its file, then finish (plan answered from `tasks`). Each answer comes
 * after `delayMs`, or after `delays[<task id>#<turn>]` ms when that is given.
 */
function answer(tasks: Shape, trace: string, delayMs: number, delays?: Record<string, number>): FakeReply {
  const [conv, turn] = trace.split('#');
  if (conv === 'plan') return { kind: 'reply', toolCalls: [{ name: 'submit_plan', arguments: planOf(tasks) }], usage: { input: 100, output: 100 } };
  const id = conv!.slice(conv!.indexOf('/') + 1);
  if (delays) delayMs = delays[`${id}#${turn}`] ?? delayMs;
  return turn === '1'
    ? { kind: 'reply', delayMs, toolCalls: [{ name: 'write_file', arguments: { path: `${id}.txt`, content: `${id}\n` } }], usage: { input: 100, output: 20 } }
    : { kind: 'reply', delayMs, toolCalls: [{ name: 'finish', arguments: { summary: `wrote ${id}.txt` } }], usage: { input: 120, output: 10 } };
}

/** The engine's port answered in memory, at once: what the engine costs without any SDK or socket. */
class InstantProvider implements ChatProvider {
  readonly id = 'fake';
  readonly requests: ChatRequest[] = [];
  constructor(
    private readonly tasks: Shape,
    private readonly record = false,
  ) {}
  async *chat(req: ChatRequest, signal: AbortSignal): AsyncIterable<ChatChunk> {
    if (this.record) this.requests.push(req);
    if (signal.aborted) throw new ProviderError({ provider: this.id, code: 'aborted', retryable: false, message: 'aborted' });
    const a = answer(this.tasks, req.trace ?? '', 0);
    if (a.kind !== 'reply') throw new Error('unexpected');
    let i = 0;
    for (const c of a.toolCalls ?? []) yield { type: 'tool_call', call: { id: `c${i++}`, name: c.name, arguments: c.arguments } };
    yield { type: 'usage', usage: { input: a.usage!.input, output: a.usage!.output } };
    yield { type: 'end', stopReason: 'tool_calls', latencyMs: 0 };
  }
}

/** The FileStore port in memory: the engine's own cost, without the Node adapter's path checks and atomic writes. */
class MemoryStore implements FileStore {
  private readonly files = new Map<string, { data: Uint8Array; mtimeMs: number }>();
  async read(p: string) {
    return this.files.get(p)?.data;
  }
  async write(p: string, data: Uint8Array | string) {
    this.files.set(p, { data: typeof data === 'string' ? Buffer.from(data) : data, mtimeMs: Date.now() });
  }
  async remove(p: string) {
    this.files.delete(p);
  }
  async list(): Promise<FileEntry[]> {
    return [...this.files].map(([p, f]) => ({ path: p, type: 'file' as const, size: f.data.length, mtimeMs: f.mtimeMs }));
  }
  async stat(p: string): Promise<FileStat | undefined> {
    const f = this.files.get(p);
    return f && { type: 'file', size: f.data.length, mtimeMs: f.mtimeMs };
  }
}

async function runSession(tasks: Shape, provider: (ws: string) => ChatProvider | Promise<{ provider: ChatProvider; close(): Promise<void> }>, concurrency: number, inMemory = false): Promise<{ handle: SessionHandle; workspace: string }> {
  const workspace = tmp('ws');
  const made = await provider(workspace);
  const p = 'chat' in made ? made : made.provider;
  const store = inMemory ? new MemoryStore() : new NodeFileStore(workspace);
  const handle = startSession({ goal: 'bench', config: config(concurrency), deps: { workspace, store, runner: new NodeCommandRunner(), resolve: () => p, secrets: [SECRET] } });
  await handle.done;
  if (!('chat' in made)) await made.close();
  return { handle, workspace };
}

/** How the fake server answers: the plan of `tasks`, then each agent's turns after `latency` ms (`hang`: never). */
interface FakeSpec {
  tasks: Shape;
  latency: number;
  /** Per answer (`<task id>#<turn>`), instead of `latency`. */
  delays?: Record<string, number>;
  hang?: boolean;
}

const fakeHandler = (spec: FakeSpec) => (req: FakeRequest): FakeReply =>
  spec.hang && !(req.trace ?? '').startsWith('plan') ? { kind: 'reply', delayMs: 600_000, text: 'late' } : answer(spec.tasks, req.trace ?? '', spec.latency, spec.delays);

/**
 * The real OpenAI SDK against the wire-exact fake, which runs in a process of its own (as a provider
 * is remote): this process's CPU and memory are the engine's and the SDK's only.
 */
async function sdkProvider(spec: FakeSpec): Promise<{ provider: ChatProvider; close(): Promise<void> }> {
  const child = spawn(process.execPath, [...process.execArgv, __filename, '--child', 'fake'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(JSON.stringify(spec));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`the fake server exited (${code})`)));
  });
  const closed = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    provider: createProvider({ id: 'fake', kind: 'openai-compatible', apiKey: SECRET, baseUrl }),
    close: async () => {
      child.kill();
      await closed;
    },
  };
}

async function fakeChild(): Promise<void> {
  let input = '';
  for await (const d of process.stdin) input += String(d);
  const server = await startFakeServer('openai', fakeHandler(JSON.parse(input) as FakeSpec));
  process.stdout.write(server.baseUrl + '\n');
}

// ---------------------------------------------------------------------------------------------
// schedule_ratio: wall time of the development phase ÷ the plan's critical path, through the real SDK:
// as the issue measured it, a 14-task DAG whose answers take 50–500 ms each; and, reported apart, four
// shapes whose answers all take LATENCY ms, where the engine's fixed cost per call weighs more.

/** A fixed pseudo-random layered DAG of `n` tasks (each depends on up to 3 earlier ones), so that runs compare. */
function randomDag(n: number, prefix: string, seed: number): { tasks: Shape; rnd: () => number } {
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const tasks: Shape = [];
  for (let i = 0; i < n; i++) tasks.push({ id: `${prefix}${i}`, dependsOn: tasks.filter(() => rnd() < 0.25).slice(-3).map((t) => t.id) });
  return { tasks, rnd };
}

function shapes(): { name: string; tasks: Shape }[] {
  const chain = Array.from({ length: 5 }, (_, i) => ({ id: `c${i}`, dependsOn: i ? [`c${i - 1}`] : [] }));
  const wide = Array.from({ length: 8 }, (_, i) => ({ id: `w${i}`, dependsOn: [] }));
  const diamond = [{ id: 'top', dependsOn: [] }, { id: 'left', dependsOn: ['top'] }, { id: 'right', dependsOn: ['top'] }, { id: 'bottom', dependsOn: ['left', 'right'] }];
  const layered = randomDag(16, 'r', 42).tasks;
  const all = [{ name: 'chain of 5', tasks: chain }, { name: 'fan-out of 8', tasks: wide }, { name: 'diamond', tasks: diamond }, { name: 'random DAG of 16', tasks: layered }];
  return SMOKE ? all.slice(2, 3) : all;
}

/**
 * Where a sequential chain's time beyond its answers goes, from its log: per call, the time from
 * `llm.request` to `llm.response` beyond the answer's latency (the SDK, Node's fetch, loopback, the
 * fake server), and from a response to the agent's next request (the engine: tools, files, log).
 */
function perCall(events: EnsembleEvent[]): { inCall: number; between: number } {
  const inCall: number[] = [];
  const between: number[] = [];
  const sent = new Map<string, number>();
  const answered = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'llm.request') {
      const last = answered.get(e.agentId);
      if (last !== undefined) between.push(e.ts - last);
      sent.set(e.callId, e.ts);
    } else if (e.type === 'llm.response') {
      inCall.push(e.ts - sent.get(e.callId)! - LATENCY);
      answered.set(e.agentId, e.ts);
    }
  }
  // Means (the log's times are whole milliseconds); the first call also opens the connection.
  const mean = (xs: number[]) => Math.round((xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)) * 10) / 10;
  return { inCall: mean(inCall.slice(1)), between: mean(between) };
}

/** Node's fetch to a server that only waits LATENCY ms, in another process: the floor of a call over HTTP here. */
async function fetchFloor(): Promise<number> {
  const child = spawn(process.execPath, [__filename, '--child', 'floor'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(String(d).trim())));
  const body = JSON.stringify({ prompt: 'x'.repeat(12_000) });
  const over: number[] = [];
  for (let i = 0; i < (SMOKE ? 3 : 25); i++) {
    const t0 = performance.now();
    const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    await r.text();
    over.push(performance.now() - t0 - LATENCY);
  }
  child.kill();
  return median(over.slice(1));
}

async function floorChild(): Promise<void> {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => res.end('data: [DONE]\n\n'), LATENCY));
  });
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    process.stdout.write(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/\n`);
  });
}

async function scheduleRatio(): Promise<void> {
  // As the issue measured it: a 14-task DAG, each answer 50–500 ms (fixed pseudo-random draws), every
  // task free to start when its dependencies are done (the concurrency limit above the DAG's width).
  const { tasks: dag, rnd } = randomDag(SMOKE ? 4 : 14, 'd', 7);
  const delays: Record<string, number> = {};
  for (const t of dag) for (const turn of [1, 2]) delays[`${t.id}#${turn}`] = Math.round((SMOKE ? 5 : 50) + rnd() * (SMOKE ? 5 : 450));
  const dagCritical = criticalPath(dag, (id) => delays[`${id}#1`]! + delays[`${id}#2`]!);
  const ratios: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const { handle, workspace } = await runSession(dag, () => sdkProvider({ tasks: dag, latency: LATENCY, delays }), dag.length);
    const dev = handle.state.phases.find((p) => p.name === 'development')!;
    ratios.push((dev.endedAt! - dev.startedAt) / dagCritical);
    rm(workspace);
  }
  const depth = criticalPath(dag);
  figure('schedule_ratio', `Wall time ÷ critical path (real OpenAI SDK over loopback; a ${dag.length}-task DAG ${depth} tasks deep, answers of 50–500 ms)`, median(ratios), '×', { max: 1.05 }, `critical path ${dagCritical} ms; runs ${ratios.map((x) => x.toFixed(3)).join(', ')}`);

  let wall = 0;
  let critical = 0;
  const rows: string[] = [];
  let chain: { inCall: number; between: number } | undefined;
  for (const shape of shapes()) {
    const { handle, workspace } = await runSession(shape.tasks, () => sdkProvider({ tasks: shape.tasks, latency: LATENCY }), 8);
    const dev = handle.state.phases.find((p) => p.name === 'development')!;
    const w = dev.endedAt! - dev.startedAt;
    const c = criticalPath(shape.tasks) * 2 * LATENCY;
    wall += w;
    critical += c;
    rows.push(`${shape.name} ${w}/${c} ms`);
    if (!chain) chain = perCall(readEvents(path.join(handle.dir, 'events.jsonl')).events.filter((e) => e.ts >= dev.startedAt));
    rm(workspace);
  }
  const floor = await fetchFloor();
  const parts = chain ? `; per call in the ${shapes()[0]!.name}: ${chain.inCall} ms from request to response beyond the answer's ${LATENCY} ms (of which ${floor.toFixed(1)} ms is Node's fetch to a server that only waits, in another process), ${chain.between} ms from a response to the next request` : '';
  figure('schedule_ratio_short', `The same over four shapes whose answers all take ${LATENCY} ms (the fixed cost per call weighs more)`, wall / critical, '×', null, rows.join('; ') + parts);
}

// ---------------------------------------------------------------------------------------------
// cpu_per_event_us: the process's CPU time for a whole session ÷ the events it logged.
//
// Measured once V8 has compiled the engine: in a fresh process the CPU time per event falls session
// after session (~40 → ~15 µs over the first ~15 sessions of 200 tasks here) while V8's optimising
// compiler, on helper threads whose time the process's CPU time includes, compiles the code those
// sessions run. That cost is paid once per process, so it is reported apart (`cpu_per_event_cold_us`:
// the first session after the modules are loaded), and the figure is the median of the sessions after
// WARM_SESSIONS of the same size.

const WARM_SESSIONS = SMOKE ? 1 : 15;
const CPU_REPS = SMOKE ? 1 : Math.max(REPS, 5);

async function cpuPerEvent(): Promise<void> {
  const tasks: Shape = Array.from({ length: SIZES.cpuTasks }, (_, i) => ({ id: `t${i}`, dependsOn: [] }));
  const measure = async (make: Parameters<typeof runSession>[1], inMemory = false) => {
    const perEvent = async () => {
      const c0 = process.cpuUsage();
      const { handle, workspace } = await runSession(tasks, make, 8, inMemory);
      const c = process.cpuUsage(c0);
      rm(workspace);
      return (c.user + c.system) / handle.state.eventCount;
    };
    await runSession(tasks.slice(0, 5), make, 8, inMemory).then((r) => rm(r.workspace)); // the modules loaded
    const cold = await perEvent();
    for (let i = 1; i < WARM_SESSIONS; i++) await perEvent();
    const runs: number[] = [];
    for (let r = 0; r < CPU_REPS; r++) runs.push(await perEvent());
    return { cold, warm: median(runs) };
  };
  const engine = await measure(() => new InstantProvider(tasks), true);
  const disk = await measure(() => new InstantProvider(tasks));
  const sdk = await measure(() => sdkProvider({ tasks, latency: 0 }));
  const after = `median of ${CPU_REPS} sessions after ${WARM_SESSIONS} of the same size`;
  figure(
    'cpu_per_event_us',
    `Engine CPU per logged event (${SIZES.cpuTasks} tasks; provider and file store in memory; the log, blobs, summary, snapshot and report on disk; ${after})`,
    engine.warm,
    'µs',
    { max: 20 },
    `with the Node file store (path checks, atomic writes of the agents' files): ${disk.warm.toFixed(0)} µs`,
  );
  figure('cpu_per_event_cold_us', "The same, the first such session of a fresh process, after one of 5 tasks that loads the modules (V8 compiling the engine's code, on helper threads the process's CPU time includes)", engine.cold, 'µs', null);
  figure('cpu_per_event_sdk_us', `CPU per logged event through the OpenAI SDK (the fake server in its own process; ${after}; the first: ${sdk.cold.toFixed(0)} µs)`, sdk.warm, 'µs', null);
}

// ---------------------------------------------------------------------------------------------
// A long session's log, appended through the engine's own listeners (the live fold, summary, snapshot).

function longSession(n: number, tasks = 50, files = 500): EventBody[] {
  const spec = Array.from({ length: tasks }, (_, i) => ({ id: `t${i}`, title: `Task ${i}`, description: 'Build part of the app', role: 'dev', dependsOn: [] }));
  const head: EventBody[] = [
    { type: 'session.started', sessionId: 'bench', goal: 'A long session', config: { orchestrator: { provider: 'p', model: 'm' }, roles: { dev: { provider: 'p', model: 'm' } }, maxConcurrency: 4 } },
    ...(['setup', 'planning'] as const).flatMap((phase): EventBody[] => [{ type: 'phase.started', phase }, { type: 'phase.ended', phase, outcome: 'ok' }]),
    { type: 'plan.accepted', rationale: 'split by feature', tasks: spec },
    // As a real session: the orchestrator's decision per task, then (in the middle) provider switches and escalations with its decisions.
    ...spec.map((t): EventBody => ({ type: 'decision', kind: 'assign', taskId: t.id, summary: `${t.id} → dev`, rationale: 'the dev role builds the app; its route is the cheapest with tools' })),
    { type: 'phase.started', phase: 'development' },
    ...spec.flatMap((t, i): EventBody[] => [
      { type: 'agent.spawned', agentId: `dev-${i}`, role: 'dev', provider: 'p', model: 'm', taskId: t.id },
      { type: 'task.started', taskId: t.id, agentId: `dev-${i}`, role: 'dev', provider: 'p', model: 'm' },
    ]),
  ];
  const tail: EventBody[] = [
    ...spec.map((t, i): EventBody => ({ type: 'task.completed', taskId: t.id, agentId: `dev-${i}`, summary: `Task ${i} done` })),
    { type: 'phase.ended', phase: 'development', outcome: 'ok' },
    ...(['integration', 'validation', 'report'] as const).flatMap((phase): EventBody[] => [{ type: 'phase.started', phase }, { type: 'phase.ended', phase, outcome: phase === 'validation' ? 'skipped' : 'ok' }]),
    { type: 'session.ended', status: 'completed' },
  ];
  const middle: EventBody[] = [];
  for (let i = 0; middle.length < n - head.length - tail.length; i++) {
    const t = i % tasks;
    const agentId = `dev-${t}`;
    const taskId = `t${t}`;
    const p = `src/part${i % files}.js`;
    middle.push(
      { type: 'llm.request', callId: `c${i}`, agentId, taskId, provider: 'p', model: 'm', trace: `task/${taskId}#${i}`, attempt: 1, reservedUsd: 0.01 },
      { type: 'llm.response', callId: `c${i}`, agentId, taskId, provider: 'p', model: 'm', latencyMs: 900, usage: { input: 1200, output: 300, cachedInput: 400 }, costUsd: 0.0042, stopReason: 'tool_calls', toolCalls: ['write_file'] },
      { type: 'tool.called', agentId, taskId, tool: 'write_file', summary: `write ${p} (1,204 bytes)` },
      { type: 'file.writing', agentId, taskId, path: p, change: 'modified', beforeSha: 'a'.repeat(64), afterSha: 'b'.repeat(64), bytes: 1204, provider: 'p', model: 'm', role: 'dev' },
      { type: 'file.written', agentId, taskId, path: p, change: 'modified', beforeSha: 'a'.repeat(64), afterSha: 'b'.repeat(64), bytes: 1204, provider: 'p', model: 'm', role: 'dev' },
    );
    if (i % 10 === 0) middle.push({ type: 'agent.text', agentId, text: 'I will now write the module that handles the routes, then its tests, and check the contract with the front end.' });
    if (i % 40 === 39) middle.push({ type: 'provider.switched', taskId, agentId, from: { provider: 'p', model: 'm' }, to: { provider: 'q', model: 'm' }, reason: 'rate limited (429) after 3 attempts' });
    if (i % 100 === 99) {
      middle.push(
        { type: 'task.escalated', taskId, reason: 'the tests still fail after 3 turns' },
        { type: 'decision', kind: 'fix', taskId, summary: `fix ${taskId} in place`, rationale: 'the failing test names the missing route; the orchestrator adds it' },
      );
    }
  }
  return [...head, ...middle.slice(0, n - head.length - tail.length), ...tail];
}

/**
 * Writes a long session into `workspace` through the engine's log and listeners; returns appends per
 * second. `killed`: its first `n` events only (no phase end after development began: the process was
 * killed), so that the last snapshot is as far behind as it gets.
 */
function writeLongSession(workspace: string, n: number, killed = false): { perSecond: number; dir: string } {
  const dir = sessionDir(workspace, 'bench');
  const log = EventLog.open(dir, undefined, new Redactor([SECRET]));
  const state = initialState();
  followLog(log, state);
  const bodies = killed ? longSession(n + 1_000).slice(0, n) : longSession(n);
  const t0 = performance.now();
  for (const b of bodies) log.emit(b);
  const ms = performance.now() - t0;
  log.close();
  return { perSecond: bodies.length / (ms / 1000), dir };
}

/** The same lines written with one plain write each: the ceiling an append can reach on this disk. */
function plainWrites(n: number): number {
  const dir = tmp('plain');
  const fd = fs.openSync(path.join(dir, 'x.jsonl'), 'a');
  const line = JSON.stringify({ type: 'llm.response', callId: 'c1', agentId: 'dev-1', taskId: 't1', provider: 'p', model: 'm', latencyMs: 900, usage: { input: 1200, output: 300 }, costUsd: 0.0042, stopReason: 'tool_calls', toolCalls: ['write_file'], v: 1, seq: 1, ts: 1 }) + '\n';
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fs.writeSync(fd, line);
  const ms = performance.now() - t0;
  fs.closeSync(fd);
  rm(dir);
  return n / (ms / 1000);
}

async function logFigures(): Promise<void> {
  const n = SIZES.events;
  const rates: number[] = [];
  const opens: number[] = [];
  const doneOpens: number[] = [];
  let tail = 0;
  const fulls: number[] = [];
  const reports: number[] = [];
  const activations: number[] = [];
  const panelOpens: number[] = [];
  let panelBytes = 0;
  for (let r = 0; r < REPS; r++) {
    const workspace = tmp('log');
    const { perSecond, dir } = writeLongSession(workspace, n);
    rates.push(perSecond);
    let t0 = performance.now();
    const done = openSession(dir);
    doneOpens.push(performance.now() - t0);
    if (done.state.eventCount !== n) throw new Error(`opened ${done.state.eventCount} of ${n} events`);
    const killedWs = tmp('killed');
    // Killed one event short of n: the snapshot is as far behind as it can be (SNAPSHOT_EVERY - 1 events).
    const killedDir = writeLongSession(killedWs, n - 1, true).dir;
    t0 = performance.now();
    const killed = openSession(killedDir);
    opens.push(performance.now() - t0);
    if (killed.state.eventCount !== n - 1) throw new Error(`opened ${killed.state.eventCount} of ${n - 1} events`);
    tail = n - 1 - readSnapshotSeq(killedDir);
    rm(killedWs);
    t0 = performance.now();
    const all = readEvents(path.join(dir, 'events.jsonl')).events;
    foldEvents(all);
    fulls.push(performance.now() - t0);
    t0 = performance.now();
    rebuildReport(dir);
    reports.push(performance.now() - t0);
    const opened = openPanel(workspace, dir);
    activations.push(opened.focusMs);
    panelOpens.push(opened.panelMs);
    panelBytes = opened.bytes;
    rm(workspace);
  }
  figure('append_per_s', `Log appends per second with the engine's listeners (redaction, live fold, summary, snapshot; ${n.toLocaleString('en')} events)`, median(rates), '/s', { min: 50_000 }, `a plain write of the same line: ${Math.round(plainWrites(n)).toLocaleString('en')}/s`);
  figure(
    'fold_100k_ms',
    `Open a ${n.toLocaleString('en')}-event session → its state (snapshot + the log's tail)`,
    median(opens),
    'ms',
    { max: 200 },
    `a session killed mid-development, its snapshot ${tail.toLocaleString('en')} events behind (a snapshot is written every ${SNAPSHOT_EVERY.toLocaleString('en')} events and when the session ends); a completed session: ${median(doneOpens).toFixed(1)} ms; parsing and folding the whole log instead: ${median(fulls).toFixed(0)} ms`,
  );
  figure('report_100k_ms', `Rebuild the report of a ${n.toLocaleString('en')}-event session (ensemble report, a review decision)`, median(reports), 'ms', { max: 200 });
  figure(
    'session_lookup_ms',
    `Activation's work on sessions with a ${n.toLocaleString('en')}-event session in the workspace`,
    median(activations),
    'ms',
    { max: 30 },
    'timed without VS Code: activate() itself reads no log (SessionFocus looks the newest session up lazily); this is that lookup, from summary.json, which the panel triggers when it first shows',
  );
  figure(
    'panel_open_ms',
    `The panel's first message for that session (its state: snapshot + the log's tail, serialised; the session list; the Changes tree's files)`,
    median(panelOpens),
    'ms',
    { max: 200 },
    `the message holds the folded state and its seq, not the events: ${Math.round(panelBytes / 1024).toLocaleString('en')} KB; an agent's transcript is read when the panel opens it`,
  );
}

/** The seq the session's snapshot covers. */
function readSnapshotSeq(dir: string): number {
  return (JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as { seq: number }).seq;
}

/** What the extension runs on sessions: the focus's lazy lookup of the newest session, then the panel's first message (src/extension.ts → focus, feed, review tree). */
function openPanel(workspace: string, dir: string): { focusMs: number; panelMs: number; bytes: number } {
  let t0 = performance.now();
  const newest = listSessions([workspace], 1)[0]; // SessionFocus: the newest session
  const focusMs = performance.now() - t0;
  if (!newest) throw new Error('no session listed');
  t0 = performance.now();
  const opened = openSession(dir); // PanelFeed.snapshot: the session's state (its snapshot + the log's tail)
  const sessions = listSessions([workspace]); // PanelFeed.sessions
  // What postMessage serialises: the state and the seq it covers, never the log.
  const bytes = JSON.stringify({ type: 'snapshot', sessionId: newest.sessionId, state: opened.state, seq: opened.seq, sessions }).length;
  const files = reviewSession(workspace, newest.sessionId, new NodeFileStore(workspace)).files(); // ReviewTree.getChildren
  if (!opened.seq || !files.length) throw new Error('nothing read');
  return { focusMs, panelMs: performance.now() - t0, bytes };
}

// ---------------------------------------------------------------------------------------------
// review_keep_all_ms: Keep All on a session that changed many files.

async function keepAll(): Promise<void> {
  const runs: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const workspace = tmp('review');
    const dir = sessionDir(workspace, 'bench');
    const log = EventLog.open(dir);
    const state = initialState();
    followLog(log, state);
    for (const b of longSession(SIZES.reviewEvents, 20, SIZES.reviewFiles)) log.emit(b);
    log.close();
    if (state.fileOrder.length !== SIZES.reviewFiles) throw new Error(`${state.fileOrder.length} files`);
    const t0 = performance.now();
    const out = await reviewSession(workspace, 'bench', new NodeFileStore(workspace)).keepAll();
    runs.push(performance.now() - t0);
    if (out.length !== SIZES.reviewFiles || !out.every((o) => o.ok)) throw new Error('keep all failed');
    rm(workspace);
  }
  figure('review_keep_all_ms', `Keep All on ${SIZES.reviewFiles} changed files (a ${SIZES.reviewEvents.toLocaleString('en')}-event session)`, median(runs), 'ms', { max: 500 });
}

// ---------------------------------------------------------------------------------------------
// cancel_ms: from cancel() to the session's end, with every agent waiting on a model (real SDK).

async function cancel(): Promise<void> {
  const tasks: Shape = Array.from({ length: SIZES.cancelTasks }, (_, i) => ({ id: `t${i}`, dependsOn: [] }));
  const runs: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const workspace = tmp('cancel');
    const server = await sdkProvider({ tasks, latency: 0, hang: true });
    const provider = server.provider;
    const handle = startSession({ goal: 'bench', config: config(8), deps: { workspace, store: new NodeFileStore(workspace), runner: new NodeCommandRunner(), resolve: () => provider } });
    let requests = 0;
    await new Promise<void>((resolve) => {
      const sub = handle.log.onDidAppend((e) => {
        if (e.type === 'llm.request' && e.taskId && ++requests === tasks.length) {
          sub.dispose();
          setTimeout(resolve, 50); // the requests are on the wire
        }
      });
    });
    const t0 = performance.now();
    handle.cancel();
    const state = await handle.done;
    runs.push(performance.now() - t0);
    if (state.status !== 'cancelled') throw new Error(`ended ${state.status}`);
    await server.close();
    rm(workspace);
  }
  figure('cancel_ms', `Cancel with ${SIZES.cancelTasks} requests in flight → session ended (requests aborted, report written; real SDK)`, median(runs), 'ms', { max: 1000 });
}

// ---------------------------------------------------------------------------------------------
// prompt_overhead_tokens: what a task's first request carries besides its own task, late in a session.

async function promptOverhead(): Promise<void> {
  const n = SIZES.promptTasks;
  // A chain: each task depends on the one before and the session's files grow by one per task.
  const tasks: Shape = Array.from({ length: n }, (_, i) => ({ id: `t${i}`, dependsOn: i ? [`t${i - 1}`] : [] }));
  const provider = new InstantProvider(tasks, true);
  const { workspace } = await runSession(tasks, () => provider, 4);
  const first = (id: string) => provider.requests.find((q) => q.trace === `task/${id}#1`)!;
  const tokens = (q: ChatRequest) => estimateTokens(q.system + JSON.stringify(q.tools) + q.messages.map((m) => m.content).join('\n'));
  const a = tokens(first('t0'));
  const z = tokens(first(`t${n - 1}`));
  rm(workspace);
  figure(
    'prompt_overhead_tokens',
    `Tokens of task ${n}'s first request in a ${n}-task chain (system + tools + context; ~chars/3)`,
    z,
    'tokens',
    { max: Math.round(a * 1.5) },
    `task 1's: ${a} tokens; goal: at most 1.5× task 1's, i.e. a request's context does not grow with the session`,
  );
}

// ---------------------------------------------------------------------------------------------
// compaction_peak_ratio / compaction_tokens_saved (issue 21): a 60-turn task through the real OpenAI SDK
// against the wire-exact fake, which refuses a prompt over its window as OpenAI does. Each turn the
// model says a few sentences and reads a 12 KB file whole, reads a range of one, writes a 3 KB file or
// lists the folder; the engine compacts the conversation to fit. The same task run with no window
// (nothing compacted) says what compaction saved. Prompt tokens are those the provider counted (usage).

const COMPACTION_TURNS = 60;
const COMPACTION_WINDOW = 24_000;

function longTaskAnswer(req: FakeRequest): FakeReply {
  const [conv, turn] = (req.trace ?? '').split('#');
  if (conv!.startsWith('summary/')) return { kind: 'reply', text: `Notes so far: read the modules up to turn ${turn}; each exports pure helpers f<n>_<i>(a, b); wrote out/n<k>.js for each pair read. Remaining: the other modules, then finish.` };
  const n = Number(turn);
  const say = `Turn ${n}: ${'I compare this module with the ones read before and note what the next step needs. '.repeat(4)}`;
  const k = Math.ceil(n / 4);
  const calls = [
    { name: 'read_file', arguments: { path: `src/m${k}.js` } },
    { name: 'read_file', arguments: { path: `src/m${k + 1}.js`, startLine: 1, endLine: 60 } },
    { name: 'write_file', arguments: { path: `out/n${k}.js`, content: benchModule(1000 + k, 3 * 1024) } },
    { name: 'list_files', arguments: { path: 'src' } },
  ];
  if (n >= COMPACTION_TURNS) return { kind: 'reply', toolCalls: [{ name: 'finish', arguments: { summary: `compared ${k} modules` } }] };
  return { kind: 'reply', text: say, toolCalls: [calls[(n - 1) % 4]!] };
}

/** A module of `bytes` characters. */
function benchModule(n: number, bytes = 12 * 1024): string {
  const lines: string[] = [`// module ${n}`];
  for (let i = 0; lines.join('\n').length < bytes; i++) lines.push(`export function f${n}_${i}(a, b) { return a * ${i} + b - ${n}; } // helper ${i} of module ${n}`);
  return lines.join('\n').slice(0, bytes);
}

async function compactionRun(window: number | undefined): Promise<{ status: string; prompts: number[]; summaryPrompts: number[]; events: EnsembleEvent[] }> {
  const workspace = tmp('compaction');
  fs.mkdirSync(path.join(workspace, 'src'));
  for (let i = 1; i <= COMPACTION_TURNS / 4 + 2; i++) fs.writeFileSync(path.join(workspace, 'src', `m${i}.js`), benchModule(i));
  const fake = await startFakeServer('openai', longTaskAnswer);
  fake.setContextWindow(window);
  const provider = createProvider({ id: 'fake', kind: 'openai-compatible', apiKey: SECRET, baseUrl: fake.baseUrl });
  const cfg = config(1, { roles: { dev: { provider: 'fake', model: 'm', contextWindow: window ?? 100_000_000 } }, maxTurns: COMPACTION_TURNS + 20 });
  const plan = { rationale: 'bench', tasks: [{ id: 'long', title: 'A long task', description: 'Compare every module and write notes.', role: 'dev', dependsOn: [] }] };
  const handle = startSession({ goal: 'bench', config: cfg, plan, deps: { workspace, store: new NodeFileStore(workspace), runner: new NodeCommandRunner(), resolve: () => provider, secrets: [SECRET] } });
  await handle.done;
  await fake.close();
  const events = handle.log.readAll();
  rm(workspace);
  const traces = new Map(events.flatMap((e) => (e.type === 'llm.request' ? [[e.callId, e.trace] as const] : [])));
  const prompts: number[] = [];
  const summaryPrompts: number[] = [];
  for (const e of events) {
    if (e.type !== 'llm.response') continue;
    const tokens = e.usage.input + (e.usage.cachedInput ?? 0) + (e.usage.cacheWrite ?? 0);
    (traces.get(e.callId)?.startsWith('summary/') ? summaryPrompts : prompts).push(tokens);
  }
  return { status: handle.state.tasks.long?.status ?? 'missing', prompts, summaryPrompts, events };
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

async function compaction(): Promise<void> {
  const compacted = await compactionRun(COMPACTION_WINDOW);
  const whole = await compactionRun(undefined);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const kinds = compacted.events.flatMap((e) => (e.type === 'context.compacted' ? [e.how] : []));
  const refusals = compacted.events.filter((e) => e.type === 'llm.error' && e.code === 'context_overflow').length;
  const switches = compacted.events.filter((e) => e.type === 'provider.switched' || e.type === 'task.escalated').length;
  const ok = compacted.status === 'completed' && whole.status === 'completed';
  const why = ok ? '' : `the task did not complete (compacted: ${compacted.status}, uncompacted: ${whole.status}); `;
  const peak = Math.max(...compacted.prompts);
  figure(
    'compaction_peak_ratio',
    `A ${COMPACTION_TURNS}-turn task (each turn: the model's words and a 12 KB read, a range, a 3 KB write or a listing) through the real OpenAI SDK, on a model with a ${COMPACTION_WINDOW.toLocaleString('en')}-token window: the largest prompt the provider counted ÷ the window`,
    ok ? peak / COMPACTION_WINDOW : null,
    '×',
    { max: 0.9 },
    `${why}${count(kinds.length, 'compaction')} (${count(kinds.filter((k) => k === 'elided').length, 'elision')}, ${count(kinds.filter((k) => k === 'summarised').length, 'summary', 'summaries')}), ${count(refusals, 'refusal')} by the provider, ${count(switches, 'switch or escalation', 'switches or escalations')}; uncompacted, the same task's largest prompt is ${(Math.max(...whole.prompts) / COMPACTION_WINDOW).toFixed(1)}× the window`,
  );
  const spent = sum(compacted.prompts) + sum(compacted.summaryPrompts);
  figure(
    'compaction_tokens_saved',
    'Prompt tokens compaction saved over that task: the same task with no window (nothing compacted) less the compacted one, its summary calls included',
    ok ? sum(whole.prompts) - spent : null,
    'tokens',
    null,
    `${why}uncompacted ${sum(whole.prompts).toLocaleString('en')} prompt tokens over ${whole.prompts.length} requests; compacted ${spent.toLocaleString('en')} over ${compacted.prompts.length} (of which ${sum(compacted.summaryPrompts).toLocaleString('en')} in ${count(compacted.summaryPrompts.length, 'summary call')})`,
  );
}

// ---------------------------------------------------------------------------------------------
// scale_1000_rss_mb: the peak RSS of a 1,000-task session through the SDK, in a process of its own.

async function scaleChild(n: number): Promise<void> {
  const tasks: Shape = Array.from({ length: n }, (_, i) => ({ id: `t${i}`, dependsOn: i >= 10 ? [`t${i - 10}`] : [] }));
  const t0 = performance.now();
  const { handle, workspace } = await runSession(tasks, () => sdkProvider({ tasks, latency: 0 }), 8);
  const ms = performance.now() - t0;
  rm(workspace);
  (globalThis as { gc?: () => void }).gc?.();
  const retainedMb = process.memoryUsage().heapUsed / 2 ** 20;
  process.stdout.write(JSON.stringify({ rssMb: process.resourceUsage().maxRSS / 1024, retainedMb, ms, events: handle.state.eventCount, status: handle.state.status }) + '\n');
}

function scale(): void {
  const run = (n: number) => {
    const out = execFileSync(process.execPath, ['--expose-gc', ...process.execArgv, __filename, '--child', 'scale', '--tasks', String(n)], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20 });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { rssMb: number; retainedMb: number; ms: number; events: number; status: string };
    if (r.status !== 'completed') throw new Error(`the ${n}-task session ended ${r.status}`);
    return r;
  };
  const n = SIZES.scaleTasks;
  const small = run(Math.max(1, Math.round(n / 10)));
  const r = run(n);
  figure(
    'scale_1000_rss_mb',
    `Peak RSS of a ${n.toLocaleString('en')}-task session through the SDK (its own process, the engine bundled as it ships; the fake provider in another)`,
    r.rssMb,
    'MB',
    { max: 200 },
    `${r.events.toLocaleString('en')} events in ${(r.ms / 1000).toFixed(1)} s; heap left after the session and a GC: ${r.retainedMb.toFixed(0)} MB; a ${Math.round(n / 10)}-task session: peak ${small.rssMb.toFixed(0)} MB, heap left ${small.retainedMb.toFixed(0)} MB`,
  );
}

// ---------------------------------------------------------------------------------------------
// repo_*: a session on a generated git repository the size of a user's (scripts/bench-repo.ts), wired
// as the CLI wires it (nodeWorkspace: the store, the runner, the git + watcher change tracker), its
// model answering at once in this process: what the user waits for beyond the model and the command.

interface RepoRun {
  startMs: number;
  /** From startSession to each of the first events, in ms: where the start's time goes. */
  startSteps: Record<string, number>;
  /** Per command: wall time from the tool call to its result, beyond the command's own run. */
  overheadMs: number[];
  integrationMs: number;
}

/** The file the repository session writes (removed after, also from a repository given with --repo-dirs). */
const ADDED = 'ensemble-bench-added.ts';

/** One task whose agent runs `node -e 1` `commands` times, writes a file, and finishes. */
async function repoSession(workspace: string, commands: number): Promise<RepoRun> {
  let firstRequest = 0;
  const plan = { rationale: 'bench', tasks: [{ id: 't1', title: 't1', description: 'run and write', role: 'dev', dependsOn: [] }] };
  const provider: ChatProvider = {
    id: 'fake',
    async *chat(req: ChatRequest): AsyncIterable<ChatChunk> {
      firstRequest ||= performance.now();
      const [conv, turn] = (req.trace ?? '').split('#');
      const calls = conv === 'plan' ? [{ name: 'submit_plan', arguments: plan }] : conv !== 'task/t1' ? [{ name: 'finish', arguments: { summary: 'reviewed' } }] : turn === '1' ? [...Array.from({ length: commands }, () => ({ name: 'run_command', arguments: { command: 'node -e 1' } })), { name: 'write_file', arguments: { path: ADDED, content: "export const added = () => fetch('/api/ensemble-bench-items');\n" } }] : [{ name: 'finish', arguments: { summary: 'done' } }];
      let i = 0;
      for (const c of calls) yield { type: 'tool_call', call: { id: `c${i++}`, ...c } };
      yield { type: 'usage', usage: { input: 100, output: 10 } };
      yield { type: 'end', stopReason: 'tool_calls', latencyMs: 0 };
    },
  };
  const t0 = performance.now();
  const handle = startSession({ goal: 'bench', config: config(4, { commands: { run: 'always' } }), deps: { ...nodeWorkspace(workspace), resolve: () => provider, secrets: [SECRET] } });
  const state = await handle.done;
  if (state.status !== 'completed') throw new Error(`the repository session ended ${state.status}: ${state.error}`);
  const { events } = readEvents(path.join(handle.dir, 'events.jsonl'));
  const called = events.filter((e) => e.type === 'tool.called' && e.tool === 'run_command');
  const results = events.filter((e) => e.type === 'tool.result' && e.tool === 'run_command');
  const ran = events.filter((e): e is EventOf<'command.ran'> => e.type === 'command.ran');
  const phase = (name: string, type: 'phase.started' | 'phase.ended') => events.find((e) => e.type === type && 'phase' in e && e.phase === name)!.ts;
  const t0Epoch = Date.now() - (performance.now() - t0);
  const at = (type: string) => (events.find((e) => e.type === type)?.ts ?? NaN) - t0Epoch;
  fs.rmSync(handle.dir, { recursive: true, force: true });
  fs.rmSync(path.join(workspace, ADDED), { force: true });
  return {
    startMs: firstRequest - t0,
    startSteps: { 'session.started': at('session.started'), 'rules.loaded': at('rules.loaded'), 'sandbox.checked': at('sandbox.checked'), 'pricing.loaded': at('pricing.loaded'), 'llm.request': at('llm.request') },
    overheadMs: ran.map((r, i) => results[i]!.ts - called[i]!.ts - r.durationMs),
    integrationMs: phase('integration', 'phase.ended') - phase('integration', 'phase.started'),
  };
}

async function repoFigures(): Promise<void> {
  const given = values['repo-dirs']?.split(',').map((d) => path.resolve(d));
  const trackedIn = (dir: string) => execFileSync('git', ['ls-files', '-z'], { cwd: dir, maxBuffer: 1 << 28 }).toString().split('\0').filter(Boolean).length;
  const dirs = given ?? [undefined, undefined];
  const sizes = given ? given.map(trackedIn) : [SMOKE ? 30 : 3_000, SMOKE ? 300 : 30_000];
  const [small, big] = sizes as [number, number];
  const runs: Record<number, RepoRun[]> = {};
  for (let i = 0; i < 2; i++) {
    const files = sizes[i]!;
    const dir = dirs[i] ?? tmp(`repo${files}`);
    if (!given) makeRepo(dir, files);
    runs[files] = [];
    for (let r = 0; r < REPS; r++) runs[files]!.push(await repoSession(dir, 5));
    if (!given) rm(dir);
  }
  const start = (n: number) => median(runs[n]!.map((r) => r.startMs));
  const overhead = (n: number) => median(runs[n]!.flatMap((r) => r.overheadMs.slice(1))); // the first waits for the tracker to open: reported apart
  const firstOverhead = (n: number) => median(runs[n]!.map((r) => r.overheadMs[0]!));
  const integration = (n: number) => median(runs[n]!.map((r) => r.integrationMs));
  const size = given ? `${big.toLocaleString('en')}-file git repository (${given[1]})` : `${big.toLocaleString('en')}-file git repository (generated: scripts/bench-repo.ts)`;
  const steps = (n: number) => Object.entries(runs[n]![Math.floor(runs[n]!.length / 2)]!.startSteps).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
  figure('repo_start_ms', `Session start → first model request, ${size}`, start(big), 'ms', { max: 300 }, `${small.toLocaleString('en')} files: ${start(small).toFixed(0)} ms; ms from the start to each of the first events: ${steps(big)} (at ${small.toLocaleString('en')}: ${steps(small)})`);
  figure(
    'repo_command_overhead_ms',
    `A run_command's time beyond the command's own (\`node -e 1\`), ${size}: finding what it changed, the log, the tool result`,
    overhead(big),
    'ms',
    { max: Math.min(200, Math.max(2 * overhead(small), 20)) },
    `${small.toLocaleString('en')} files: ${overhead(small).toFixed(0)} ms (goal: at most 200 ms and 2× that); a session's first command also waits for git's look and the watcher to start: ${firstOverhead(big).toFixed(0)} ms (${firstOverhead(small).toFixed(0)} ms at ${small.toLocaleString('en')})`,
  );
  figure('repo_integration_ms', `Integration phase, ${size}: the session's file calls a route nothing defines, so the workspace is searched for it (listed, then ripgrep), and the orchestrator reviews the finding (answering at once)`, integration(big), 'ms', { max: 1000 }, `${small.toLocaleString('en')} files: ${integration(small).toFixed(0)} ms`);
}

// ---------------------------------------------------------------------------------------------
// repo_search_ms: search_files for a literal over a generated git repository (scripts/bench-repo.ts),
// as an agent's first search: a new store and ripgrep each time (the listing included), the true
// total from git grep. Without ripgrep, and list_files' answer, in the note.

async function repoSearch(): Promise<void> {
  const files = SMOKE ? 300 : 30_000;
  const dir = tmp('search');
  makeRepo(dir, files);
  const grep = execFileSync('git', ['grep', '-I', '-c', '-F', NEEDLE], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
  const truth = grep.split('\n').filter(Boolean).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(':') + 1)), 0);
  const search = async (rg: boolean, store = new NodeFileStore(dir)) => {
    const t0 = performance.now();
    const r = await searchFiles(store, { pattern: NEEDLE }, { search: rg ? new RipgrepSearch(dir) : undefined });
    return { ms: performance.now() - t0, found: Number(/^([\d,]+) match/.exec(r.summary ?? '')?.[1]?.replace(/,/g, '') ?? NaN) };
  };
  const runs: { ms: number; found: number }[] = [];
  for (let r = 0; r < Math.max(REPS, 3); r++) runs.push(await search(true));
  const store = new NodeFileStore(dir);
  await search(true, store);
  const again = await search(true, store);
  const reading = await search(false);
  const t0 = performance.now();
  const listing = await listFilesIn(store, {});
  const listMs = performance.now() - t0;
  rm(dir);
  const found = runs.map((r) => r.found);
  figure(
    'repo_search_ms',
    `search_files for a literal over a ${files.toLocaleString('en')}-file git repository (generated: scripts/bench-repo.ts), ripgrep, the listing included`,
    Math.round(median(runs.map((r) => r.ms))),
    'ms',
    { max: 1500 },
    `matching lines found / true total (git grep -I -c): ${found[0]!.toLocaleString('en')} / ${truth.toLocaleString('en')}${found.every((f) => f === truth) ? '' : ' (MISMATCH)'}; runs ${runs.map((r) => r.ms.toFixed(0)).join(', ')} ms (the first: a fresh process); the same store again: ${again.ms.toFixed(0)} ms; without ripgrep (the engine reads every file): ${reading.ms.toFixed(0)} ms, ${reading.found.toLocaleString('en')} found; list_files of the root (its structure): ${listMs.toFixed(0)} ms, ${listing.result.split('\n').length} lines`,
  );
}

// ---------------------------------------------------------------------------------------------
// best_of_3_overhead_ms: scripts/bench-best-of.ts.

/** How long the orchestrator takes to plan in the race that follows a planning (a real model's plan takes longer). */
const PLANNING_MS = 5_000;

async function bestOf(): Promise<void> {
  // --repo-dirs SMALL,…: the race in SMALL, a repository of yours, instead of a generated one.
  const given = values['repo-dirs']?.split(',').map((d) => path.resolve(d))[0];
  const dir = given ?? tmp('bestof');
  if (!given) {
    makeRepo(dir, SMOKE ? 30 : 3_000);
    execFileSync('git', ['gc', '-q'], { cwd: dir }); // packed, as a user's repository is
  }
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: dir, maxBuffer: 1 << 28 }).toString().split('\0').filter(Boolean).length;
  const what = given ? `${files.toLocaleString('en')}-file git repository (${given})` : `generated, packed ${files.toLocaleString('en')}-file git repository (scripts/bench-repo.ts)`;
  const cfg = config(4, {
    orchestrator: { provider: 'orch', model: 'o' },
    providers: Object.fromEntries(['orch', 'pa', 'pb', 'pc'].map((id) => [id, { kind: 'openai-compatible' }])),
    roles: { dev: { provider: 'pa', model: 'm-a' } },
  });
  const reps = Math.max(REPS, 3);
  const runs = [];
  const checkouts: number[] = [];
  // The first race of a session whose orchestrator plans for a while (a real model's plan takes seconds): its copies were started before.
  const planningMs = SMOKE ? 50 : PLANNING_MS;
  for (let r = 0; r < reps; r++) {
    checkouts.push(await plainCheckouts(dir, os.tmpdir()));
    runs.push(await bestOfRun(dir, cfg, SMOKE ? 5 : 200, undefined, planningMs));
  }
  // The same on a file system in memory, where one is (Linux's /dev/shm): the disk's share apart.
  const shm = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/ensemble-bench-') : undefined;
  const inMemory = [];
  if (shm) for (let r = 0; r < reps; r++) inMemory.push(await bestOfRun(dir, cfg, SMOKE ? 5 : 200, shm, planningMs));
  if (shm) rm(shm);
  if (!given) rm(dir);
  const mid = runs.slice().sort((a, b) => a.overheadMs - b.overheadMs)[Math.floor(runs.length / 2)]!;
  figure(
    'best_of_3_overhead_ms',
    `A task done best of 3 on a ${what}, copies in the system's temporary folder (${os.tmpdir()}): the race's wall time beyond its slowest candidate alone (the same task as an ordinary one, plus its check); each model turn takes 200–300 ms`,
    Math.round(median(runs.map((r) => r.overheadMs))),
    'ms',
    { max: 500 },
    `copies: ${mid.copy}, each made in ${mid.copyMs.join(', ')} ms (while its model answered its first turn); race ${mid.raceMs} ms, slowest candidate alone ${mid.slowestMs} ms; runs ${runs.map((r) => r.overheadMs).join(', ')} ms. git alone checking out the three worktrees at once there: ${checkouts.join(', ')} ms (the file system's share); a second best-of task in the same session (its copies the first's, brought to its state): ${Math.round(median(runs.map((r) => r.secondOverheadMs)))} ms beyond its slowest candidate alone, copies ready in ${mid.secondCopyMs.join(', ')} ms; a first race after a plan that took ${planningMs.toLocaleString('en')} ms (its copies started before the plan was asked for, as a role's bestOf does): ${Math.round(median(runs.map((r) => r.planned!.overheadMs)))} ms beyond its slowest candidate alone (runs ${runs.map((r) => r.planned!.overheadMs).join(', ')}), copies ready in ${mid.planned!.copyMs.join(', ')} ms${inMemory.length ? `; with the copies in memory (/dev/shm): ${Math.round(median(inMemory.map((r) => r.overheadMs)))} ms (runs ${inMemory.map((r) => r.overheadMs).join(', ')}), a first race after the plan ${Math.round(median(inMemory.map((r) => r.planned!.overheadMs)))} ms` : ''}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Bundles: the production build's sizes.

const ACTIVATION_RUNS = SMOKE ? 3 : 9;

function bundles(): void {
  const out = tmp('dist');
  const built = spawnSync(process.execPath, ['scripts/build.mjs', '--production', '--out', out], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('the production build failed');
  const kb = (f: string) => fs.statSync(path.join(out, f)).size / 1024;
  figure('extension_bundle_kb', 'dist/extension.js, production build (what loading and activating the extension parses)', kb('extension.js'), 'KB', { max: 1536 }, `dist/runtime.js, required when a session first starts (the engine, the SDKs, zod): ${Math.round(kb('runtime.js')).toLocaleString('en')} KB`);
  figure('webview_bundle_kb', 'dist/webview.js, production build', kb('webview.js'), 'KB', { max: 300 });
  activation(out);
  rm(out);
  const allowed = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n').filter((l) => l.startsWith('!'));
  if (allowed.some((l) => /^!media\/(\*|panel\.png)/.test(l))) throw new Error('.vscodeignore lets the screenshot into the .vsix');
}

/**
 * activation_ms: the production dist/extension.js loaded and activated in a fresh Node process with a
 * stub `vscode` (scripts/activation.js), before any session exists; median of ACTIVATION_RUNS processes.
 */
function activation(out: string): void {
  const runs: { loadMs: number; activateMs: number; loaded: string[] }[] = [];
  for (let i = 0; i < ACTIVATION_RUNS; i++) {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'activation.js'), path.join(out, 'extension.js')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`activation failed: ${r.stderr}`);
    runs.push(JSON.parse(r.stdout) as (typeof runs)[number]);
  }
  const total = runs.map((r) => r.loadMs + r.activateMs);
  const loaded = [...new Set(runs.flatMap((r) => r.loaded))].sort();
  figure(
    'activation_ms',
    `Load dist/extension.js and call activate(): a fresh Node process, a stub vscode module, no session yet (median of ${ACTIVATION_RUNS})`,
    median(total),
    'ms',
    { max: 50 },
    `load ${median(runs.map((r) => r.loadMs)).toFixed(1)} ms + activate() ${median(runs.map((r) => r.activateMs)).toFixed(1)} ms; runs ${total.map((x) => x.toFixed(0)).join(', ')} ms; files of dist/ loaded: ${loaded.join(', ')} (the session runtime is required when a session starts); node:fs, path and crypto preloaded, as the extension host has them`,
  );
}

// ---------------------------------------------------------------------------------------------
// The panel in headless Chromium (scripts/bench-panel.ts): the production bundle, the real protocol.

async function panel(): Promise<void> {
  const n = SMOKE ? 300 : 10_000;
  const rate = 100; // events per second while the session runs
  const liveCount = SMOKE ? 30 : 2_000;
  const first = `Panel: first render of a ${n.toLocaleString('en')}-event session (its snapshot message: deserialised, folded state shown, laid out)`;
  const p95 = `Panel: p95 time to apply a batch of events and redraw (${rate} events/s in feed.ts's batches)`;
  if (!fs.existsSync(CHROMIUM)) {
    const note = `skipped: ${CHROMIUM} is absent (bash test/e2e/setup.sh installs it)`;
    figure('panel_10k_first_render_ms', first, null, 'ms', { max: 300 }, note);
    figure('panel_p95_ms', p95, null, 'ms', { max: 50 }, note);
    return;
  }
  const out = tmp('panel');
  const workspace = tmp('panel-ws');
  try {
    const built = spawnSync(process.execPath, ['scripts/build.mjs', '--production', '--out', out], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('the production build failed');
    // A session of n events so far that goes on: its log written through the engine, the snapshot
    // feed.ts sends for it (the running session's state; openSession folds the same log), then the rest.
    const dir = sessionDir(workspace, 'bench');
    const log = EventLog.open(dir, undefined, new Redactor([SECRET]));
    followLog(log, initialState());
    const bodies = longSession(n + liveCount + 1_000);
    for (const b of bodies.slice(0, n)) log.emit(b);
    const opened = openSession(dir);
    const sessions = listSessions([workspace]).map((x) => ({ ...x.summary, live: true }));
    const live = bodies.slice(n, n + liveCount).map((b) => log.emit(b));
    log.close();
    const flushMs = 100; // PanelFeed's default
    const r = await benchPanel({ out, root: ROOT, snapshot: { type: 'snapshot', sessionId: 'bench', state: opened.state, seq: opened.seq, sessions }, live, perSecond: rate, flushMs });
    const sorted = [...r.batchMs].sort((a, b) => a - b);
    const pct = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
    const st = opened.state;
    const lists = `${st.fileOrder.length} changed files, ${st.decisions.length} decisions (one per task, one per escalation), ${st.switches.length + st.escalations.length + st.refusals.length + st.providerAlerts.length} provider switches and escalations`;
    figure('panel_10k_first_render_ms', first, r.firstRenderMs, 'ms', { max: 300 }, `headless Chromium (${CHROMIUM}), a 400×900 page, the production dist/webview.js; the session has ${lists}`);
    figure('panel_p95_ms', p95, pct(0.95), 'ms', { max: 50 }, `${r.batchMs.length} batches of ${r.eventsPerBatch} events on top of the ${n.toLocaleString('en')}-event snapshot, in headless Chromium; median ${pct(0.5).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms; handler + the panel's frame + the layout it causes`);
  } finally {
    rm(out);
    rm(workspace);
  }
}

// ---------------------------------------------------------------------------------------------

const STEPS: [string, () => unknown][] = [
  ['schedule', scheduleRatio],
  ['cpu', cpuPerEvent],
  ['log', logFigures],
  ['review', keepAll],
  ['cancel', cancel],
  ['prompt', promptOverhead],
  ['compaction', compaction],
  ['scale', scale],
  ['repo', repoFigures],
  ['search', repoSearch],
  ['bestof', bestOf],
  ['bundles', bundles],
  ['panel', panel],
];

async function main(): Promise<void> {
  if (values.child === 'scale') return scaleChild(Number(values.tasks));
  if (values.child === 'fake') return fakeChild();
  if (values.child === 'floor') return floorChild();
  const only = values.only?.split(',');
  for (const [name, step] of STEPS) {
    if (only && !only.includes(name)) continue;
    if (!values.json) process.stderr.write(`… ${name}\n`);
    await step();
  }
  const machine = `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'} × ${os.cpus().length}, ${os.platform()} ${os.release()}, ${Math.round(os.totalmem() / 2 ** 30)} GB`;
  if (values.json) {
    process.stdout.write(JSON.stringify({ machine, node: process.version, reps: REPS, smoke: SMOKE, date: new Date().toISOString(), figures }, null, 2) + '\n');
    return;
  }
  console.log(`Machine: ${machine}; Node ${process.version}; median of ${REPS} repetition${REPS === 1 ? '' : 's'}${SMOKE ? ' (SMOKE: tiny sizes, values mean nothing)' : ''}\n`);
  const rows = figures.map((f) => [f.id, f.value === null ? 'n/a' : `${f.value.toLocaleString('en')} ${f.unit}`, f.goal ? `${f.goal} ${f.unit}` : '—', f.pass === null ? '—' : f.pass ? 'PASS' : 'MISS']);
  const widths = [0, 1, 2, 3].map((i) => Math.max(['figure', 'value', 'goal', ''][i]!.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(line(['figure', 'value', 'goal', '']));
  for (const r of rows) console.log(line(r));
  console.log('');
  for (const f of figures) console.log(`${f.id}: ${f.label}${f.note ? ` — ${f.note}` : ''}`);
}

/** From the TypeScript source: bundles the benchmark as the product is bundled, and runs that. */
function runBundled(): number {
  const out = path.join(ROOT, 'out', 'bench');
  const built = spawnSync(process.execPath, ['scripts/build.mjs', '--production', '--bench', '--out', out], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('the benchmark could not be bundled');
  const r = spawnSync(process.execPath, [path.join(out, 'bench.js'), ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ENSEMBLE_BENCH_ROOT: ROOT } });
  return r.status ?? 1;
}

if (__filename.endsWith('.ts')) {
  process.exitCode = runBundled();
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
