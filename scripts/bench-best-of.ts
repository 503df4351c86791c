// best_of_3_overhead_ms: a task done best of three on a generated git repository (scripts/bench-repo.ts),
// wired as the CLI wires it (nodeWorkspace: copies as git worktrees, the git + watcher tracker of each
// copy, the sandbox). Each candidate's model answers after a set delay (a write, then finish, each turn
// waiting `delayMs`), and its check is `node -e 0`. The overhead is the race's wall time (task.started →
// task.completed) beyond its slowest candidate's own work (its agent's turns and its check): making the
// three copies, marking and diffing them, judging, applying the winner, removing the copies.

import * as path from 'node:path';
import type { EngineConfig } from '../src/core/config';
import type { EnsembleEvent, EventOf } from '../src/core/events';
import type { ChatChunk, ChatProvider, ChatRequest } from '../src/core/ports';
import { startSession } from '../src/core/session/session';
import { readEvents } from '../src/core/store/log';
import { nodeWorkspace } from '../src/node/workspace';

export interface BestOfRun {
  overheadMs: number;
  raceMs: number;
  slowestMs: number;
  /** ms each candidate's copy took to make (`candidate.copied`), while its model answered its first turn. */
  copyMs: number[];
  copy: string;
}

const CANDIDATES = [
  { provider: 'pa', model: 'm-a' },
  { provider: 'pb', model: 'm-b' },
  { provider: 'pc', model: 'm-c' },
];

/** One best-of-3 task in `workspace` (a git repository); `config` gives the providers pa, pb, pc. */
export async function bestOfRun(workspace: string, config: EngineConfig, delayMs: number): Promise<BestOfRun> {
  const plan = {
    rationale: 'bench',
    tasks: [{ id: 't1', title: 't1', description: 'write a file', role: 'dev', dependsOn: [], check: 'node -e 0', candidates: CANDIDATES }],
  };
  const provider = (id: string): ChatProvider => ({
    id,
    async *chat(req: ChatRequest, signal: AbortSignal): AsyncIterable<ChatChunk> {
      const [conv, turn] = (req.trace ?? '').split('#');
      const candidate = conv?.startsWith('task/t1/');
      if (candidate) await new Promise((r) => setTimeout(r, delayMs * (1 + CANDIDATES.findIndex((c) => c.provider === id) / 4)));
      if (signal.aborted) throw signal.reason;
      const calls = !candidate
        ? [{ name: 'finish', arguments: { summary: 'reviewed' } }]
        : turn === '1'
          ? [{ name: 'write_file', arguments: { path: `ensemble-bench-${id}.txt`, content: `written by ${id}\n` } }]
          : [{ name: 'finish', arguments: { summary: 'done' } }];
      let i = 0;
      for (const c of calls) yield { type: 'tool_call', call: { id: `c${i++}`, ...c } };
      yield { type: 'usage', usage: { input: 100, output: 10 } };
      yield { type: 'end', stopReason: 'tool_calls', latencyMs: 0 };
    },
  });
  const providers = Object.fromEntries(['orch', ...CANDIDATES.map((c) => c.provider)].map((id) => [id, provider(id)]));
  const handle = startSession({ goal: 'bench', config, deps: { ...nodeWorkspace(workspace), resolve: (id) => providers[id] }, plan });
  const state = await handle.done;
  if (state.status !== 'completed') throw new Error(`the best-of session ended ${state.status}: ${state.error}`);
  const { events } = readEvents(path.join(handle.dir, 'events.jsonl'));
  const of = <T extends EnsembleEvent['type']>(type: T) => events.filter((e): e is EventOf<T> => e.type === type && (!('taskId' in e) || e.taskId === 't1'));
  const started = of('task.started')[0]!.ts;
  const completed = of('task.completed')[0]!.ts;
  const work = of('candidate.started').map((c) => {
    const calls = events.filter((e) => (e.type === 'llm.request' || e.type === 'tool.result') && e.agentId === c.agentId);
    const finished = of('candidate.finished').find((f) => f.candidateId === c.candidateId)!;
    return calls.at(-1)!.ts - calls[0]!.ts + (finished.check?.durationMs ?? 0);
  });
  const slowestMs = Math.max(...work);
  return {
    overheadMs: completed - started - slowestMs,
    raceMs: completed - started,
    slowestMs,
    copyMs: of('candidate.copied').map((c) => c.ms),
    copy: of('candidate.copied')[0]!.copy,
  };
}
