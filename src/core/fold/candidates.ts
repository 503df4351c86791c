// Best of several, as the reducer folds it: a task's candidates (each a model doing the task in its own
// copy of the workspace), what each did and cost, the measured verdict and the candidate applied. The
// verdict's rule lives here too (`judge`), so the engine that applies it and every view that explains it
// read one definition.

import type { CandidateCheck, CandidateFile, CandidateScore, EventOf } from '../events';
import { emptyFigures, type ProviderFigures } from './figures';
import { knownCost } from './money';
import type { SessionState, TaskState } from './state';

/** `cancelled`: the session or the task was stopped while it worked; `interrupted`: its run ended without a word (a kill, another failure). */
export type CandidateStatus = 'running' | 'finished' | 'gave_up' | 'failed' | 'cancelled' | 'interrupted';

export interface CandidateState {
  candidateId: string;
  agentId: string;
  provider: string;
  model: string;
  /** How its copy was made (`git-worktree`, `copy`) and how long that took; absent until it is there. */
  copy?: string;
  copyMs?: number;
  status: CandidateStatus;
  startedAt: number;
  endedAt?: number;
  wallMs?: number;
  summary?: string;
  error?: string;
  check?: CandidateCheck;
  files: CandidateFile[];
  added: number;
  removed: number;
  /** Its model calls (tokens, dollars). */
  figures: ProviderFigures;
}

/** One race of a task's candidates (a rerun starts another round). */
export interface RaceState {
  round: number;
  candidates: CandidateState[];
  verdict?: { winner: string | null; ranking: CandidateScore[]; reason: string };
  /** The candidate applied (null: none); absent while the user is asked (`candidateApproval: "ask"`). */
  chosen?: { candidateId: string | null; by: 'auto' | 'user'; reason: string };
}

/** The candidate's check passed: its agent finished and the check exited 0 in time. */
export function checkPassed(c: Pick<CandidateState, 'status' | 'check'>): boolean {
  return c.status === 'finished' && !!c.check && c.check.exitCode === 0 && !c.check.timedOut;
}

/** The figures the verdict uses for one candidate. */
export function scoreOf(c: CandidateState): CandidateScore {
  return { candidateId: c.candidateId, passed: checkPassed(c), costUsd: knownCost(c.figures), lines: c.added + c.removed, files: c.files.length };
}

/** An unknown cost is counted as dearer than any known one. */
const dollars = (x: number | null) => (x === null ? Number.POSITIVE_INFINITY : x);

/**
 * The measured verdict on a race whose candidates have all finished: those whose check passed, then the
 * lowest cost, then the smaller change (lines, then files), then the order the candidates were given.
 * `reason` says in a sentence what decided it, naming any tie.
 */
export function judge(race: Pick<RaceState, 'candidates'>): { winner: string | null; ranking: CandidateScore[]; reason: string } {
  const scores = race.candidates.map(scoreOf);
  const order = new Map(scores.map((s, i) => [s.candidateId, i]));
  const ranking = [...scores].sort(
    (a, b) =>
      Number(b.passed) - Number(a.passed) ||
      dollars(a.costUsd) - dollars(b.costUsd) ||
      a.lines - b.lines ||
      a.files - b.files ||
      order.get(a.candidateId)! - order.get(b.candidateId)!,
  );
  const best = ranking[0];
  if (!best || !best.passed) return { winner: null, ranking, reason: `no candidate passed the check (${scores.length} tried)` };
  const passed = ranking.filter((s) => s.passed);
  if (passed.length === 1) return { winner: best.candidateId, ranking, reason: 'the only candidate whose check passed' };
  const next = passed[1]!;
  const sameCost = dollars(next.costUsd) === dollars(best.costUsd);
  const sameLines = sameCost && next.lines === best.lines;
  const sameFiles = sameLines && next.files === best.files;
  const tied = passed.filter((s) => dollars(s.costUsd) === dollars(best.costUsd) && s.lines === best.lines && s.files === best.files).map((s) => s.candidateId);
  const reason = !sameCost
    ? `passed, cheapest of ${passed.length} that passed`
    : !sameLines
      ? `passed, as cheap as ${next.candidateId}, smaller change (${best.lines} lines against ${next.lines})`
      : !sameFiles
        ? `passed, as cheap as ${next.candidateId}, same lines, fewer files (${best.files} against ${next.files})`
        : `passed; tied with ${tied.filter((x) => x !== best.candidateId).join(', ')} on cost and change, first in the order given`;
  return { winner: best.candidateId, ranking, reason };
}

type CandidateEvent = EventOf<'candidate.started' | 'candidate.copied' | 'candidate.finished' | 'candidate.judged' | 'candidate.chosen'>;

/** Applies one candidate event to the state, in place. */
export function applyCandidate(s: SessionState, e: CandidateEvent): void {
  const t = s.tasks[e.taskId];
  if (!t) return;
  switch (e.type) {
    case 'candidate.started': {
      if (!t.race || t.race.round !== e.round) t.race = { round: e.round, candidates: [] };
      t.race.candidates.push({
        candidateId: e.candidateId,
        agentId: e.agentId,
        provider: e.provider,
        model: e.model,
        status: 'running',
        startedAt: e.ts,
        files: [],
        added: 0,
        removed: 0,
        figures: emptyFigures(),
      });
      s.candidateAgents[e.agentId] = { taskId: e.taskId, candidateId: e.candidateId };
      break;
    }
    case 'candidate.copied': {
      const c = candidate(t, e.round, e.candidateId);
      if (c) Object.assign(c, { copy: e.copy, copyMs: e.ms });
      break;
    }
    case 'candidate.finished': {
      const c = candidate(t, e.round, e.candidateId);
      if (!c) break;
      Object.assign(c, {
        status: e.outcome,
        endedAt: e.ts,
        wallMs: e.wallMs,
        summary: e.summary,
        error: e.error,
        check: e.check,
        files: e.files,
        added: e.files.reduce((n, f) => n + f.added, 0),
        removed: e.files.reduce((n, f) => n + f.removed, 0),
      });
      break;
    }
    case 'candidate.judged':
      if (t.race?.round === e.round) t.race.verdict = { winner: e.winner, ranking: e.ranking, reason: e.reason };
      break;
    case 'candidate.chosen':
      if (t.race?.round === e.round) t.race.chosen = { candidateId: e.candidateId, by: e.by, reason: e.reason };
      break;
  }
}

function candidate(t: TaskState, round: number, id: string): CandidateState | undefined {
  return t.race?.round === round ? t.race.candidates.find((c) => c.candidateId === id) : undefined;
}

/** The session's run ended: candidates still working are settled (a resume races the task again, in a new round). */
export function settleCandidates(s: SessionState, cancelled: boolean): void {
  for (const id of s.taskOrder)
    for (const c of s.tasks[id]!.race?.candidates ?? []) if (c.status === 'running') c.status = cancelled ? 'cancelled' : 'interrupted';
}

/** The race waits for the user to pick the candidate to apply. */
export function awaitingChoice(t: Pick<TaskState, 'race'>): boolean {
  return !!t.race?.verdict && !t.race.chosen;
}
