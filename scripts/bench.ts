// Benchmarks, printing figures and asserting nothing:
// - how close the scheduler's wall time comes to the plan's critical path when every provider
//   answers in a fixed time (the real engine and OpenAI SDK against the local fake server);
// - how fast the shared reducer folds a long log.
//   npm run bench [-- --latency 150 --concurrency 8]

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveConfig } from '../src/core/config';
import { NodeFileStore } from '../src/node/file-store';
import { startSession } from '../src/core/session/session';
import { criticalPath } from '../src/core/session/plan';
import type { EnsembleEvent, TaskSpec } from '../src/core/events';
import { foldEvents } from '../src/core/fold/state';
import { startFakeServer } from '../src/fakes';
import type { FakeReply, FakeRequest } from '../src/fakes/script';
import { createProvider } from '../src/providers';
import { NodeCommandRunner } from '../src/node/command-runner';

const { values } = parseArgs({ options: { latency: { type: 'string', default: '120' }, concurrency: { type: 'string', default: '8' } } });
const LATENCY = Number(values.latency);
const TURNS = 2; // write_file, then finish

type Shape = { name: string; tasks: Pick<TaskSpec, 'id' | 'dependsOn'>[] };

function shapes(): Shape[] {
  const chain = Array.from({ length: 5 }, (_, i) => ({ id: `c${i}`, dependsOn: i ? [`c${i - 1}`] : [] }));
  const wide = Array.from({ length: 8 }, (_, i) => ({ id: `w${i}`, dependsOn: [] }));
  const diamond = [{ id: 'top', dependsOn: [] }, { id: 'left', dependsOn: ['top'] }, { id: 'right', dependsOn: ['top'] }, { id: 'bottom', dependsOn: ['left', 'right'] }];
  // A fixed pseudo-random layered DAG of 16 tasks (seeded, so runs compare).
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const layered: Shape['tasks'] = [];
  for (let i = 0; i < 16; i++) {
    const deps = layered.filter(() => rnd() < 0.25).slice(-3).map((t) => t.id);
    layered.push({ id: `r${i}`, dependsOn: deps });
  }
  return [{ name: 'chain of 5', tasks: chain }, { name: 'fan-out of 8', tasks: wide }, { name: 'diamond', tasks: diamond }, { name: 'random DAG of 16', tasks: layered }];
}

async function measure(shape: Shape, concurrency: number): Promise<{ wallMs: number; criticalMs: number; events: number }> {
  const plan = { rationale: 'bench', tasks: shape.tasks.map((t) => ({ ...t, title: t.id, description: t.id, role: 'dev' })) };
  const handler = (req: FakeRequest): FakeReply => {
    const [conv, turn] = (req.trace ?? '').split('#');
    if (conv === 'plan') return { kind: 'reply', toolCalls: [{ name: 'submit_plan', arguments: plan }], usage: { input: 100, output: 100 } };
    const id = conv!.slice('task/'.length);
    return turn === '1'
      ? { kind: 'reply', delayMs: LATENCY, toolCalls: [{ name: 'write_file', arguments: { path: `${id}.txt`, content: id } }], usage: { input: 100, output: 20 } }
      : { kind: 'reply', delayMs: LATENCY, toolCalls: [{ name: 'finish', arguments: { summary: id } }], usage: { input: 120, output: 10 } };
  };
  const server = await startFakeServer('openai', handler);
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-bench-'));
  try {
    const config = resolveConfig({
      orchestrator: { provider: 'fake', model: 'm' },
      roles: { dev: { provider: 'fake', model: 'm' } },
      providers: { fake: { kind: 'openai-compatible', maxConcurrency: concurrency } },
      maxConcurrency: concurrency,
      validation: { runTests: 'never' },
    });
    const provider = createProvider({ id: 'fake', kind: 'openai-compatible', apiKey: 'bench', baseUrl: server.baseUrl });
    const handle = startSession({ goal: 'bench', config, deps: { workspace, store: new NodeFileStore(workspace), runner: new NodeCommandRunner(), resolve: () => provider } });
    const state = await handle.done;
    const dev = state.phases.find((p) => p.name === 'development')!;
    return { wallMs: dev.endedAt! - dev.startedAt, criticalMs: criticalPath(shape.tasks) * TURNS * LATENCY, events: state.eventCount };
  } finally {
    await server.close();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

/** The reducer every view shares: how fast it folds a long log (the panel folds each batch with it). */
function foldThroughput(): void {
  const events: EnsembleEvent[] = [];
  let seq = 0;
  const add = (body: Record<string, unknown>) => events.push({ ...body, v: 1, seq: ++seq, ts: seq } as unknown as EnsembleEvent);
  add({ type: 'session.started', sessionId: 's', goal: 'g', config: { orchestrator: { provider: 'p', model: 'm' }, roles: {}, maxConcurrency: 4 } });
  add({ type: 'plan.accepted', rationale: 'r', tasks: Array.from({ length: 50 }, (_, i) => ({ id: `t${i}`, title: 't', description: 'd', role: 'dev', dependsOn: [] })) });
  for (let i = 0; events.length < 100_000; i++) {
    const taskId = `t${i % 50}`;
    add({ type: 'llm.request', callId: `c${i}`, agentId: `a${i % 50}`, taskId, provider: 'p', model: 'm', trace: 'x', attempt: 1 });
    add({ type: 'llm.response', callId: `c${i}`, agentId: `a${i % 50}`, taskId, provider: 'p', model: 'm', latencyMs: 100, usage: { input: 1000, output: 200 }, costUsd: 0.001, stopReason: 'tool_calls', toolCalls: ['write_file'] });
    add({ type: 'file.written', agentId: `a${i % 50}`, taskId, path: `src/f${i % 500}.js`, change: 'modified', beforeSha: 'a', afterSha: 'b', bytes: 100 });
  }
  const t0 = performance.now();
  const state = foldEvents(events);
  const ms = performance.now() - t0;
  console.log(`\nFold: ${events.length} events in ${ms.toFixed(0)} ms (${Math.round(events.length / ms)} events/ms; ${state.fileOrder.length} files, ${Object.keys(state.tasks).length} tasks)`);
}

async function main(): Promise<void> {
  const concurrency = Number(values.concurrency);
  console.log(`Scheduler benchmark: fixed latency ${LATENCY} ms per answer, ${TURNS} turns per task, concurrency ${concurrency}`);
  console.log('shape'.padEnd(20), 'tasks'.padStart(5), 'critical path'.padStart(14), 'wall time'.padStart(10), 'overhead'.padStart(9));
  for (const shape of shapes()) {
    const r = await measure(shape, concurrency);
    const over = ((r.wallMs / r.criticalMs - 1) * 100).toFixed(1);
    console.log(shape.name.padEnd(20), String(shape.tasks.length).padStart(5), `${r.criticalMs} ms`.padStart(14), `${r.wallMs} ms`.padStart(10), `${over}%`.padStart(9));
  }
  foldThroughput();
}

void main();
