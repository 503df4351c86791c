// best_of_3_overhead_ms: a task done best of three on a generated git repository (scripts/bench-repo.ts),
// wired as the CLI wires it (nodeWorkspace: copies as git worktrees, the git + watcher tracker of each
// copy, the sandbox). Each candidate's model answers each turn after a set delay (a write, then finish;
// the third candidate is the slowest), and the check is `node -e 0`. The overhead is the race's wall
// time (task.started → task.completed) beyond what its slowest candidate takes alone: the same task done
// by that model as an ordinary task (no race, no copy) in the same workspace, plus its check's run. So
// it counts making the three copies (as far as the model's first turn does not hide it), marking and
// diffing them, judging, applying the winner and removing the copies.

import * as fs from 'node:fs';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type { EngineConfig } from '../src/core/config';
import type { EnsembleEvent, EventOf, TaskSpec } from '../src/core/events';
import type { ChatChunk, ChatProvider, ChatRequest } from '../src/core/ports';
import { startSession } from '../src/core/session/session';
import { readEvents } from '../src/core/store/log';
import { nodeWorkspace } from '../src/node/workspace';
import { NodeWorkspaceCopier } from '../src/node/copies';

/**
 * What git alone takes to check out three worktrees of `workspace` at once in `tmpRoot` (the file
 * system's share of a race): git's records of them made one at a time, as the copier makes them (two
 * `git worktree add` at once in one repository can trip over each other's bookkeeping), then the three
 * checkouts at once.
 */
export async function plainCheckouts(workspace: string, tmpRoot: string): Promise<number> {
  const dirs = [1, 2, 3].map((i) => path.join(tmpRoot, `ensemble-bench-checkout-${process.pid}-${i}`));
  const t0 = performance.now();
  for (const d of dirs) await run('git', ['worktree', 'add', '-q', '--no-checkout', '--detach', d, 'HEAD'], workspace);
  await Promise.all(dirs.map((d) => run('git', ['reset', '-q', '--hard'], d)));
  const ms = performance.now() - t0;
  for (const d of dirs) await run('git', ['worktree', 'remove', '-f', '-f', d], workspace);
  return Math.round(ms);
}

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => execFile(cmd, args, { cwd }, (e) => (e ? reject(e) : resolve())));
}

export interface BestOfRun {
  overheadMs: number;
  raceMs: number;
  slowestMs: number;
  /** ms each candidate's copy took to make (`candidate.copied`), while its model answered its first turn. */
  copyMs: number[];
  copy: string;
  /** The same for a second best-of task after the first in the same session (its copies are the first's, brought to the new state). */
  secondOverheadMs: number;
  secondCopyMs: number[];
  /**
   * With `planningMs`: the same race as the first task of a session whose orchestrator takes that long to
   * plan, the role asking for it (`bestOf`), so that its copies were started before the plan was asked for.
   */
  planned?: { planningMs: number; overheadMs: number; copyMs: number[] };
}

const CANDIDATES = [
  { provider: 'pa', model: 'm-a' },
  { provider: 'pb', model: 'm-b' },
  { provider: 'pc', model: 'm-c' },
];

/** One best-of-3 task in `workspace` (a git repository); `config` gives the providers pa, pb, pc. */
export async function bestOfRun(workspace: string, config: EngineConfig, delayMs: number, tmpRoot?: string, planningMs?: number): Promise<BestOfRun> {
  const task = { id: 't1', title: 't1', description: 'write a file', role: 'dev', dependsOn: [], check: 'node -e 0' };
  const race = await session(
    workspace,
    config,
    delayMs,
    [
      { ...task, candidates: CANDIDATES },
      { ...task, id: 't2', dependsOn: ['t1'], candidates: CANDIDATES },
    ],
    tmpRoot,
  );
  // The slowest candidate alone: its model doing the same task as an ordinary one.
  const slowest = CANDIDATES.at(-1)!;
  const alone = await session(workspace, { ...config, roles: { dev: { ...slowest } } }, delayMs, [task]);
  const of = <T extends EnsembleEvent['type']>(events: EnsembleEvent[], type: T, taskId = 't1') =>
    events.filter((e): e is EventOf<T> => e.type === type && (!('taskId' in e) || e.taskId === taskId));
  const wall = (events: EnsembleEvent[], taskId = 't1') => of(events, 'task.completed', taskId)[0]!.ts - of(events, 'task.started', taskId)[0]!.ts;
  const check = of(race, 'candidate.finished').find((f) => f.candidateId === 't1#3')!.check!.durationMs;
  const slowestMs = wall(alone) + check;
  let planned: BestOfRun['planned'];
  if (planningMs !== undefined) {
    const bestOf = { ...config, roles: { dev: { ...config.roles.dev!, bestOf: CANDIDATES } } };
    const events = await session(workspace, bestOf, delayMs, [task], tmpRoot, planningMs);
    planned = { planningMs, overheadMs: wall(events) - slowestMs, copyMs: of(events, 'candidate.copied').map((c) => c.ms) };
  }
  return {
    ...(planned ? { planned } : {}),
    overheadMs: wall(race) - slowestMs,
    raceMs: wall(race),
    slowestMs,
    copyMs: of(race, 'candidate.copied').map((c) => c.ms),
    copy: of(race, 'candidate.copied')[0]!.copy,
    secondOverheadMs: wall(race, 't2') - slowestMs,
    secondCopyMs: of(race, 'candidate.copied', 't2').map((c) => c.ms),
  };
}

/** A session running `tasks`: given as its plan, or (with `planningMs`) submitted by its orchestrator after that long. */
async function session(workspace: string, config: EngineConfig, delayMs: number, tasks: TaskSpec[], tmpRoot?: string, planningMs?: number): Promise<EnsembleEvent[]> {
  const plan = { rationale: 'bench', tasks };
  const provider = (id: string): ChatProvider => ({
    id,
    async *chat(req: ChatRequest, signal: AbortSignal): AsyncIterable<ChatChunk> {
      const [conv, turn] = (req.trace ?? '').split('#');
      const candidate = conv?.startsWith('task/');
      if (candidate) await new Promise((r) => setTimeout(r, delayMs * (1 + CANDIDATES.findIndex((c) => c.provider === id) / 4)));
      const planning = req.tools?.some((t) => t.name === 'submit_plan');
      if (planning) await new Promise((r) => setTimeout(r, planningMs));
      if (signal.aborted) throw signal.reason;
      const calls = planning
        ? [{ name: 'submit_plan', arguments: plan }]
        : !candidate
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
  const handle = startSession({
    goal: 'bench',
    config,
    deps: {
      ...nodeWorkspace(workspace),
      ...(tmpRoot ? { copies: new NodeWorkspaceCopier(workspace, { tmpRoot, reuse: true }) } : {}),
      resolve: (id) => providers[id],
    },
    ...(planningMs === undefined ? { plan } : {}),
  });
  const state = await handle.done;
  if (state.status !== 'completed') throw new Error(`the best-of session ended ${state.status}: ${state.error}`);
  const { events } = readEvents(path.join(handle.dir, 'events.jsonl'));
  fs.rmSync(handle.dir, { recursive: true, force: true });
  for (const c of CANDIDATES) fs.rmSync(path.join(workspace, `ensemble-bench-${c.provider}.txt`), { force: true });
  return events;
}
