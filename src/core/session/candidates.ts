// Best of several (issue 25): a task that names candidates (its own, its role's `bestOf`, or
// `--best-of N`) is done by each of them at once, each in a private copy of the workspace as it was
// when the task started (the WorkspaceCopier port: a git worktree of the current state, or a copy).
// Each finished candidate's check runs in its copy; the measured verdict (fold/candidates.ts `judge`:
// passed, then cost, then the smaller change) picks the one whose changes are applied to the workspace,
// through the session's guard — a conflict with the user's edit is refused, never overwritten — and
// they become the task's changes in the review. None passes: the task is escalated with each
// candidate's check summarised. The copies are removed at the end, also after a cancel; a crashed run's
// are swept at the next start.

import { diffLines } from 'diff';
import type { CandidateCheck, CandidateFile, CandidateResultBody, EventBody, EventSink, ModelRef, TaskSpec } from '../events';
import type { CandidateQuestion, TextSearch, WorkspaceCopy } from '../ports';
import type { CommandTool } from './commands';
import { candidatesFor, MIN_CANDIDATES } from '../config';
import { judge, type TaskState } from '../fold/state';
import { SessionFiles } from '../store/workspace';
import { childEnv, tail } from '../quality/validation';
import { runAgent, type AgentOutcome } from './agent';
import type { SessionContext } from './context';
import { agentSystem } from './prompts';
import { AGENT_TOOLS } from './tools';
import { Semaphore } from './semaphore';
import { BudgetExhaustedError } from '../money/budget';
import { TaskStoppedError } from './steering';

/** The most characters of its check's output a candidate's result keeps (its last 40 lines, as the validation's). */
const CHECK_TAIL_CHARS = 8000;

/** What decides a task's candidates (a plan's task, or its state). */
type RaceAsk = Pick<TaskSpec, 'role' | 'check' | 'candidates'>;

/** The candidates asked for task `t` (undefined: none), split into those whose provider has a key here and those dropped. */
export function usableCandidates(ctx: Pick<SessionContext, 'config' | 'resolve'>, t: RaceAsk): { refs: ModelRef[]; dropped: ModelRef[] } | undefined {
  const all = candidatesFor(t, ctx.config);
  if (!all) return undefined;
  const refs = all.filter((r) => ctx.resolve(r.provider));
  return { refs, dropped: all.filter((r) => !refs.includes(r)) };
}

/** How many of the session's concurrency slots a task takes: one per candidate (capped by the limit), else one. */
export function slotsOf(ctx: Pick<SessionContext, 'config' | 'resolve' | 'copies'>, t: RaceAsk): number {
  const c = ctx.copies ? usableCandidates(ctx, t) : undefined;
  return c && c.refs.length >= MIN_CANDIDATES ? Math.min(c.refs.length, ctx.config.maxConcurrency) : 1;
}

/**
 * Starts making the copies that races among `tasks` will need (WorkspaceCopier.prepare: as many as the
 * largest race runs at once), so that a race's copies are brought to its state (O(change)) rather than
 * checked out whole when its task starts. Called as soon as races can be foreseen: before planning when
 * the configuration asks for them (`foreseenRaces`), when a plan is proposed, when development starts.
 */
export function prepareRaces(ctx: Pick<SessionContext, 'config' | 'resolve' | 'copies'>, tasks: readonly RaceAsk[]): void {
  const most = Math.max(1, ...tasks.map((t) => slotsOf(ctx, t)));
  if (most > 1) ctx.copies?.prepare?.(most);
}

/** Before there is a plan: a task with a check for each role, which races exactly when the configuration asks for it (a role's `bestOf`, or `bestOf`). */
export function foreseenRaces(ctx: Pick<SessionContext, 'config'>): RaceAsk[] {
  return Object.keys(ctx.config.roles).map((role) => ({ role, check: 'its check' }));
}

/** A copy's folder name: `<session>/<task>.<round>.<n>`, the task id made safe for a file name. */
function copyName(sessionId: string, taskId: string, round: number, n: number): string {
  return `${sessionId}/${taskId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60)}.${round}.${n}`;
}

/**
 * A candidate's events as the log takes them: everything but its file events, which describe its copy,
 * not the workspace (its change is summed up in `candidate.finished`, the winner's applied as the task's).
 */
function candidateSink(sink: EventSink): EventSink {
  return {
    emit: (body: EventBody) => {
      if (body.type === 'file.writing' || body.type === 'file.written' || body.type === 'file.changed' || body.type === 'file.deleted')
        return { ...body, v: 0, seq: -1, ts: 0 } as ReturnType<EventSink['emit']>;
      return sink.emit(body);
    },
  };
}

const isBinary = (b: Uint8Array) => b.subarray(0, 8000).includes(0);

/** Lines added and removed from `before` to `after` (0 and 0 when either is binary). */
export function lineStats(before: Uint8Array | undefined, after: Uint8Array | undefined): { added: number; removed: number } {
  if ((before && isBinary(before)) || (after && isBinary(after))) return { added: 0, removed: 0 };
  let added = 0;
  let removed = 0;
  for (const part of diffLines(before ? Buffer.from(before).toString('utf8') : '', after ? Buffer.from(after).toString('utf8') : '')) {
    if (part.added) added += part.count ?? 0;
    else if (part.removed) removed += part.count ?? 0;
  }
  return { added, removed };
}

/** The end of a check's output, as much as a candidate's result keeps. */
function checkTail(text: string): string {
  return tail(text).slice(-CHECK_TAIL_CHARS);
}

/** Whether `e` ends the race for every candidate (the session's cancel, the user's Stop Task, the budget) rather than one candidate. */
function endsRace(ctx: SessionContext, e: unknown, signal: AbortSignal): boolean {
  return signal.aborted || ctx.signal.aborted || e instanceof BudgetExhaustedError || e instanceof TaskStoppedError || ctx.budget.isExhausted;
}

interface Run {
  ref: ModelRef;
  /** When it started (the clock's ms), for its wall time. */
  started?: number;
  candidateId: string;
  agentId: string;
  copy?: WorkspaceCopy;
  result?: CandidateResultBody;
}

/**
 * Runs task `t` as a race of `refs` (two or more) under `signal` (the task's: Stop Task and the
 * session's cancel abort it). Resolves what became of it: `applied` (the chosen candidate's changes are
 * in the workspace; `refused` names the files a conflict kept), or `none` with the reason (no candidate
 * passed, or the user chose none) for the caller to escalate or skip.
 */
export async function runRace(
  ctx: SessionContext,
  t: TaskState,
  refs: ModelRef[],
  signal: AbortSignal,
  prompt: string,
): Promise<{ kind: 'applied'; agentId: string; summary: string; refused: string[] } | { kind: 'none'; reason: string; byUser: boolean }> {
  const role = ctx.config.roles[t.role]!;
  const round = (t.race?.round ?? 0) + 1;
  const runs: Run[] = refs.map((ref, i) => ({ ref, candidateId: `${t.id}#${i + 1}`, agentId: ctx.nextAgentId(t.role) }));
  // The workspace's clock before any copy is made: a file whose change time is earlier is as the candidates found it.
  const takenAt = (await ctx.store.clock?.().catch(() => undefined)) ?? Date.now();
  for (const r of runs) ctx.sink.emit({ type: 'agent.spawned', agentId: r.agentId, role: t.role, provider: r.ref.provider, model: r.ref.model, taskId: t.id });
  ctx.sink.emit({ type: 'task.started', taskId: t.id, agentId: runs[0]!.agentId, role: t.role, provider: runs[0]!.ref.provider, model: runs[0]!.ref.model });
  const slots = new Semaphore(Math.min(runs.length, ctx.config.maxConcurrency));
  const sink = candidateSink(ctx.sink);
  let fatal: unknown;
  try {
    await Promise.all(
      runs.map(async (r, i) => {
        const release = await slots.acquire(signal);
        try {
          await runCandidate(ctx, t, r, round, i, { signal, sink, prompt, role });
        } catch (e) {
          const ends = endsRace(ctx, e, signal);
          if (ends) fatal ??= e;
          const error = e instanceof Error ? e.message : String(e);
          r.result = {
            taskId: t.id,
            candidateId: r.candidateId,
            agentId: r.agentId,
            outcome: ends && !(e instanceof BudgetExhaustedError) ? 'cancelled' : 'failed',
            error,
            wallMs: r.started === undefined ? 0 : ctx.clock.now() - r.started,
            files: [],
          };
          if (!ctx.signal.aborted || !ends) {
            ctx.sink.emit({ type: 'candidate.finished', round, ...r.result });
            ctx.sink.emit({ type: 'agent.ended', agentId: r.agentId, status: 'FAILED', summary: error });
          }
        } finally {
          release();
        }
      }),
    ).catch((e: unknown) => (fatal ??= e)); // the semaphore's wait rejects when the task is stopped
    if (fatal !== undefined) throw fatal;
    // Every candidate has finished: the verdict, from the fold (the figures every view shows).
    const race = ctx.state.tasks[t.id]!.race!;
    const verdict = judge(race);
    ctx.sink.emit({ type: 'candidate.judged', taskId: t.id, round, ...verdict });
    const chosen = await choose(ctx, t, round, verdict, signal);
    ctx.sink.emit({ type: 'candidate.chosen', taskId: t.id, round, ...chosen });
    if (!chosen.candidateId) return { kind: 'none', reason: chosen.by === 'user' ? chosen.reason : summariseFailures(runs), byUser: chosen.by === 'user' };
    const winner = runs.find((r) => r.candidateId === chosen.candidateId)!;
    const refused = await applyWinner(ctx, t, winner, takenAt);
    return { kind: 'applied', agentId: winner.agentId, summary: winner.result?.summary ?? t.title, refused };
  } finally {
    await Promise.all(runs.map((r) => r.copy?.remove().catch(() => undefined)));
  }
}

async function runCandidate(
  ctx: SessionContext,
  t: TaskState,
  r: Run,
  round: number,
  i: number,
  o: { signal: AbortSignal; sink: EventSink; prompt: string; role: SessionContext['config']['roles'][string] },
): Promise<void> {
  const started = (r.started = ctx.clock.now());
  ctx.sink.emit({
    type: 'candidate.started',
    taskId: t.id,
    round,
    candidateId: r.candidateId,
    agentId: r.agentId,
    provider: r.ref.provider,
    model: r.ref.model,
  });
  // The copy is made while the model thinks about its first turn: its tools wait for it (and for the
  // mark its change is counted from); a copy that cannot be made stops the candidate with the reason.
  const own = new AbortController();
  const stop = () => own.abort(o.signal.reason);
  o.signal.addEventListener('abort', stop, { once: true });
  const ready = (async () => {
    const copy = await ctx.copies!.create(copyName(ctx.sessionId, t.id, round, i + 1), o.signal);
    r.copy = copy;
    ctx.sink.emit({ type: 'candidate.copied', taskId: t.id, round, candidateId: r.candidateId, copy: copy.kind, ms: ctx.clock.now() - started });
    const start = await copy.tracker.mark();
    // The copy's own guard: nobody else writes there, so no baseline; its commands confined to the copy.
    const files = new SessionFiles(copy.store, ctx.blobs, o.sink, undefined, copy.tracker);
    const runner = ctx.runner.forFolder(copy.root);
    const commands = ctx.commands?.inCopy({ runner, store: copy.store, files, workspace: copy.root });
    return { copy, start, files, runner, commands };
  })();
  ready.catch((e: unknown) => own.abort(e));
  const offered = !!ctx.commands?.offered;
  let outcome: AgentOutcome;
  try {
    outcome = await runAgent(
      {
        agentId: r.agentId,
        taskId: t.id,
        role: t.role,
        routes: [r.ref],
        system: agentSystem(t.role, o.role, ctx.rules, { runCommand: offered }),
        messages: [{ role: 'user', content: o.prompt }],
        tools: offered ? [...AGENT_TOOLS, 'run_command'] : AGENT_TOOLS,
        maxTurns: ctx.config.maxTurns,
        maxOutputTokens: ctx.config.maxOutputTokens,
        trace: `task/${t.id}/${r.candidateId.slice(t.id.length + 1)}${round > 1 ? `.r${round}` : ''}`,
      },
      {
        caller: ctx.caller,
        windows: ctx.windows,
        files: later<SessionFiles>(
          ready.then((x) => x.files),
          { reader: later<SessionFiles['reader']>(ready.then((x) => x.files.reader)) },
        ),
        sink: o.sink,
        commands: offered
          ? later<CommandTool>(
              ready.then((x) => x.commands!),
              { offered },
            )
          : undefined,
        inbox: ctx.steering,
        signal: own.signal,
        search: later<TextSearch>(ready.then((x) => x.copy.search ?? { search: async () => undefined })),
      },
    );
  } finally {
    o.signal.removeEventListener('abort', stop);
  }
  const { copy, start, runner, commands } = await ready;
  // Its change as the agent left it: what the check then writes (a coverage report, a cache) is not part of it.
  const { changes } = await copy.tracker.since(start);
  const out: CandidateFile[] = [];
  for (const c of changes) {
    const after = c.change === 'deleted' ? undefined : await copy.store.read(c.path).catch(() => undefined);
    if (c.change !== 'deleted' && after === undefined) continue; // gone again since
    const { added, removed } = lineStats(c.before, after);
    out.push({
      path: c.path,
      change: c.change,
      beforeSha: c.before ? ctx.blobs.put(c.before) : null,
      beforeKnown: c.change === 'created' || !!c.before,
      afterSha: after ? ctx.blobs.put(after) : null,
      added,
      removed,
    });
  }
  let check: CandidateCheck | undefined;
  if (outcome.kind === 'finished' && t.check) {
    const who = { agentId: r.agentId, taskId: t.id, role: t.role, provider: r.ref.provider, model: r.ref.model };
    const run = commands
      ? await commands.runCheck(t.check, who, o.signal)
      : await runner.run({
          command: t.check,
          shell: true,
          cwd: copy.root,
          env: childEnv(process.env),
          timeoutMs: ctx.config.commands.timeoutMs,
          signal: o.signal,
        });
    if ('denied' in run) check = { command: t.check, exitCode: null, timedOut: false, durationMs: 0, outputTail: `not run: ${run.denied}` };
    else {
      if (run.cancelled) throw o.signal.reason ?? new Error('cancelled');
      check = { command: t.check, exitCode: run.exitCode, timedOut: run.timedOut, durationMs: run.durationMs, outputTail: checkTail(run.output) };
    }
  }
  r.result = {
    taskId: t.id,
    candidateId: r.candidateId,
    agentId: r.agentId,
    outcome: outcome.kind === 'finished' ? 'finished' : outcome.kind === 'gave_up' ? 'gave_up' : 'finished',
    ...(outcome.kind === 'finished' || outcome.kind === 'decided' ? { summary: outcome.summary } : { error: outcome.reason }),
    ...(check ? { check } : {}),
    wallMs: ctx.clock.now() - started,
    files: out,
  };
  ctx.sink.emit({ type: 'candidate.finished', round, ...r.result });
  ctx.sink.emit({
    type: 'agent.ended',
    agentId: r.agentId,
    status: outcome.kind === 'gave_up' ? 'FAILED' : 'COMPLETED',
    summary: r.result.summary ?? r.result.error ?? '',
  });
}

/** The candidate to apply: the verdict's, or the user's pick when `candidateApproval` is "ask" and someone can be asked. */
async function choose(
  ctx: SessionContext,
  t: TaskState,
  round: number,
  verdict: ReturnType<typeof judge>,
  signal: AbortSignal,
): Promise<{ candidateId: string | null; by: 'auto' | 'user'; reason: string }> {
  const auto = { candidateId: verdict.winner, by: 'auto' as const, reason: verdict.reason };
  if (ctx.config.candidateApproval !== 'ask' || !ctx.chooseCandidate) return auto;
  const race = ctx.state.tasks[t.id]!.race!;
  const q: CandidateQuestion = {
    taskId: t.id,
    title: t.title,
    round,
    recommended: verdict.winner,
    reason: verdict.reason,
    candidates: verdict.ranking.map((s) => {
      const c = race.candidates.find((x) => x.candidateId === s.candidateId)!;
      return { candidateId: s.candidateId, provider: c.provider, model: c.model, passed: s.passed, costUsd: s.costUsd, files: s.files, lines: s.lines };
    }),
  };
  const pick = await new Promise<string | null>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    ctx.chooseCandidate!(q, signal)
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
  if (pick === null) return { candidateId: null, by: 'user', reason: 'you chose to apply none of the candidates' };
  if (!race.candidates.some((c) => c.candidateId === pick && c.status === 'finished'))
    throw new Error(`There is no finished candidate "${pick}" of task ${t.id} to apply.`);
  return {
    candidateId: pick,
    by: 'user',
    reason:
      pick === verdict.winner ? `you chose the verdict's candidate (${verdict.reason})` : `you chose it over ${verdict.winner ?? 'none'} (${verdict.reason})`,
  };
}

/** Applies the winner's files to the workspace through the session's guard; resolves the paths a conflict kept. */
async function applyWinner(ctx: SessionContext, t: TaskState, w: Run, takenAt: number): Promise<string[]> {
  const refused: string[] = [];
  const who = { agentId: w.agentId, taskId: t.id, role: t.role, provider: w.ref.provider, model: w.ref.model };
  for (const f of w.result?.files ?? []) {
    const before = f.beforeSha ? ctx.blobs.get(f.beforeSha) : undefined;
    const base = f.change === 'created' ? { bytes: null } : before ? { bytes: before } : { since: takenAt };
    const after = f.afterSha ? (ctx.blobs.get(f.afterSha) ?? null) : null;
    if (f.afterSha && !after) {
      refused.push(f.path);
      continue;
    }
    const r = await ctx.files.apply(f.path, base, after, who);
    if (!r.ok) refused.push(f.path);
  }
  return refused;
}

/** Why no candidate passed, each one in a line with the end of its check's output. */
function summariseFailures(runs: Run[]): string {
  const lines = runs.map((r) => {
    const x = r.result;
    const who = `${r.candidateId} (${r.ref.provider}/${r.ref.model})`;
    if (!x) return `- ${who}: did not finish`;
    if (x.outcome !== 'finished') return `- ${who}: ${x.outcome === 'gave_up' ? 'gave up' : 'failed'}: ${x.error ?? ''}`;
    if (!x.check) return `- ${who}: finished, but no check was run`;
    const last = x.check.outputTail.split('\n').slice(-3).join(' / ').slice(0, 300);
    return `- ${who}: check \`${x.check.command}\` ${x.check.timedOut ? 'timed out' : `exited ${x.check.exitCode ?? 'without a code'}`}${last ? `: ${last}` : ''}`;
  });
  return `no candidate passed the check:\n${lines.join('\n')}`;
}

/**
 * `value` as an object whose methods wait for it (the candidate's copy, while it is being made);
 * `now`: the members known at once.
 */
function later<T extends object>(value: Promise<T>, now: Partial<T> = {}): T {
  return new Proxy(now as T, {
    get: (target, prop) =>
      prop in target
        ? Reflect.get(target, prop)
        : (...args: unknown[]) => value.then((v) => (Reflect.get(v, prop) as (...a: unknown[]) => unknown).apply(v, args)),
  });
}

/** Whether task `t` runs as a race here, and the note to log when it was asked for but cannot be. */
export function raceFor(ctx: SessionContext, t: TaskState): { refs: ModelRef[] } | { note: string } | undefined {
  const c = usableCandidates(ctx, t);
  if (!c) return undefined;
  if (!ctx.copies) return { note: 'no copies of the workspace can be made here, so its role does it alone' };
  if (c.refs.length < MIN_CANDIDATES)
    return {
      note: `only ${c.refs.length} of its candidates has a provider with a key (${c.dropped.map((r) => r.provider).join(', ')} has none), so its role does it alone`,
    };
  return { refs: c.refs };
}
