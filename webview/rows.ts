// What the agents and tasks tables say, as plain data: pure functions of the fold (no DOM), so the
// words and figures on screen are tested in Node and read the same fold as the report.
import { costText, promptTokens } from '../src/core/fold/figures';
import { commandResult, finisherText } from '../src/core/fold/report';
import {
  attemptsText,
  awaitingChoice,
  checkPassed,
  isWorking,
  type CandidateState,
  type CandidateStatus,
  type RaceState,
  type AgentState,
  type CommandState,
  type PhaseState,
  type SessionState,
  type TaskState,
  type TimelineMark,
} from '../src/core/fold/state';
import { candidateStatusText, changeText, checkText, compactionText } from '../src/core/fold/narrate';
import type { TranscriptEntry } from '../src/core/fold/transcript';
import { duration, plural, tokens } from './format';

/** A phase's outcome as the timeline says it (`cancelled` when a user's cancel stopped it: a fold rule). */
export function phaseOutcome(p: PhaseState, st: SessionState, live: boolean): string {
  if (p.endedAt !== undefined) return p.outcome ?? 'ok';
  return live && st.currentPhase === p.name ? 'running' : 'interrupted';
}

export interface AgentRow {
  agentId: string;
  taskId: string;
  role: string;
  route: string;
  provider: string;
  model: string;
  status: string;
  /** CSS class of the status (agent-escalated is a warning, not an error). */
  statusClass: string;
  task: string;
  taskTitle: string;
  /** What a working agent is doing now ("editing src/app.js", "thinking"); '' once it stopped working. */
  step: string;
  /** Still working: it can be messaged and its task stopped (while the session runs). */
  working: boolean;
  /** The race candidate it is (best of several), e.g. `api#2`; '' for any other agent. */
  candidate: string;
}

/**
 * An agent that gave up is shown handing its task on, not as a failure: the task may still be done. An
 * orchestrator that decided what becomes of an escalated task (skip it, give it to another role) says so.
 */
function agentStatusText(a: AgentState): string {
  if (a.status === 'ESCALATED') return 'ESCALATED → orchestrator';
  if (a.status === 'COMPLETED' && a.decided) return `DECIDED: ${a.decided}`;
  return a.status;
}

/** Grouped by task, in the plan's order (agents without a task of the plan last, as they came). */
export function agentRows(st: SessionState): AgentRow[] {
  const order = new Map(st.taskOrder.map((id, i) => [id, i]));
  const agents = Object.values(st.agents)
    .map((a, i) => ({ a, i }))
    .sort((x, y) => (order.get(x.a.taskId) ?? order.size) - (order.get(y.a.taskId) ?? order.size) || x.i - y.i)
    .map((x) => x.a);
  return agents.map((a) => {
    const t = st.tasks[a.taskId];
    return {
      agentId: a.agentId,
      taskId: a.taskId,
      role: a.role,
      route: `${a.provider} / ${a.model}`,
      provider: a.provider,
      model: a.model,
      status: agentStatusText(a),
      statusClass: a.status === 'COMPLETED' && a.decided ? 'agent-decided' : `agent-${a.status.toLowerCase()}`,
      task: t ? `${t.title}${t.attempts > 1 ? ` (${attemptsText(t.attempts)})` : ''}` : a.taskId,
      taskTitle: t?.description ?? '',
      step: (isWorking(a) && a.step) || '',
      working: isWorking(a),
      candidate: st.candidateAgents?.[a.agentId]?.candidateId ?? '',
    };
  });
}

export interface TaskRow {
  id: string;
  title: string;
  /** The status (its CSS class), and in words. */
  status: string;
  statusText: string;
  /** Said under the status: "stopped by you" for a task the user stopped; '' otherwise. */
  statusNote: string;
  /** A task done best of several: "best of 3 · api#3 applied" (its race is under Candidates); '' otherwise. */
  race: string;
  /** Who finished it (role, reassigned role, or the orchestrator after escalation) and on which route; '—' until done. */
  finishedBy: string;
  cost: string;
  /** The cost split by who spent it: one line per role + route that made calls for the task. */
  spentBy: string[];
  /** The commands the task's agents asked to run, in order. */
  commands: CommandRow[];
}

export interface CommandRow {
  command: string;
  /** The decision and what came of it: `allowed · exit 0 in 1.2 s · 2 files changed`. */
  outcome: string;
  /** CSS class: command-ok, command-failed (a non-zero exit, a kill) or command-denied. */
  statusClass: string;
  /** Why it was decided so, and the last lines of its output. */
  detail: string;
}

export function commandRow(c: CommandState): CommandRow {
  const r = c.result;
  const decided = c.decision ? `${c.decision}${c.by === 'user' ? ` by the user${c.scope === 'session' ? ' for this session' : ''}` : ''}` : 'undecided';
  const result = commandResult({
    decision: c.decision ?? null,
    exitCode: r?.exitCode ?? null,
    timedOut: r?.timedOut ?? false,
    durationMs: r?.durationMs ?? null,
  });
  const files = r?.files.length ? ` · ${plural(r.files.length, 'file')} changed` : '';
  const tail = r?.outputTail.trimEnd().split('\n').slice(-8).join('\n');
  return {
    command: c.command,
    outcome: `${decided} · ${result}${files}`,
    statusClass: c.decision === 'denied' ? 'command-denied' : r && r.exitCode === 0 ? 'command-ok' : r ? 'command-failed' : 'command-pending',
    detail: [c.reason, tail].filter(Boolean).join('\n'),
  };
}

/** A task's status in words: one the user stopped says so ("skipped · stopped by you"). */
export function taskStatusText(t: Pick<TaskState, 'status' | 'stopped'>): string {
  return t.stopped ? `${t.status} · stopped by you` : t.status;
}

/** A race in a few words, under its task's title. */
function raceNote(race: RaceState | undefined): string {
  if (!race?.candidates.length) return '';
  const n = `best of ${race.candidates.length}`;
  if (race.chosen) return `${n} · ${race.chosen.candidateId === null ? 'none applied' : `${race.chosen.candidateId} applied`}`;
  if (race.verdict) return `${n} · waiting for your choice`;
  const running = race.candidates.filter((c) => c.status === 'running').length;
  return running ? `${n} · ${running} running` : `${n} · judging`;
}

export function taskRows(st: SessionState): TaskRow[] {
  return st.taskOrder.map((id) => {
    const t = st.tasks[id]!;
    return {
      id,
      title: t.title,
      status: t.status,
      statusText: taskStatusText(t),
      statusNote: t.stopped ? 'stopped by you' : '',
      race: raceNote(t.race),
      finishedBy: t.finishedBy ? finisherText(t.finishedBy) : '—',
      cost: costText(t.figures),
      commands: st.commandOrder
        .map((c) => st.commands[c]!)
        .filter((c) => c.taskId === id)
        .map(commandRow),
      spentBy: t.spentBy.map(
        (x) =>
          `${x.role} on ${x.provider}/${x.model}: ${costText(x.figures)} · ${plural(x.figures.calls, 'call')} · ${tokens(promptTokens(x.figures))} / ${tokens(x.figures.output)} tokens`,
      ),
    };
  });
}

/** One line of the timeline: a phase, or a resume or user action between the phases. */
export type TimelineRow = { kind: 'phase'; phase: PhaseState; outcome: string } | { kind: 'mark'; mark: TimelineMark };

/** The phases in order, with each mark after the phases that had started before it. */
export function timelineRows(st: SessionState, live: boolean): TimelineRow[] {
  const out: TimelineRow[] = [];
  let m = 0;
  const marks = st.timelineMarks;
  st.phases.forEach((p, i) => {
    for (; m < marks.length && marks[m]!.atPhase <= i; m++) out.push({ kind: 'mark', mark: marks[m]! });
    out.push({ kind: 'phase', phase: p, outcome: phaseOutcome(p, st, live) });
  });
  for (; m < marks.length; m++) out.push({ kind: 'mark', mark: marks[m]! });
  return out;
}

/** How a transcript entry is shown: a label, its text, a tone, and what can be done with it. */
export interface TranscriptRow {
  /** Stable across redraws: the entry's seq. */
  key: number;
  kind: TranscriptEntry['kind'];
  label: string;
  text: string;
  /** Longer text shown folded (the task prompt, a conversation's summary), under `detailLabel`. */
  detail?: string;
  detailLabel?: string;
  tone: 'normal' | 'error' | 'warn' | 'user' | 'muted';
  /** Files the call wrote, whose diff can be opened. */
  diffs: string[];
}

const ms = (n: number) => (n < 1000 ? `${n} ms` : `${Math.round(n / 100) / 10} s`);

export function transcriptRow(e: TranscriptEntry): TranscriptRow {
  const row = (label: string, text: string, tone: TranscriptRow['tone'] = 'normal', more: Partial<TranscriptRow> = {}): TranscriptRow => ({
    key: e.seq,
    kind: e.kind,
    label,
    text,
    tone,
    diffs: [],
    ...more,
  });
  switch (e.kind) {
    case 'prompt':
      return row('Task prompt', e.text.split('\n', 1)[0] ?? '', 'muted', { detail: e.text });
    case 'text':
      return row('Said', e.text);
    case 'tool': {
      const failed = e.ok === false || e.error !== undefined;
      const outcome = e.error ?? e.result ?? (e.ok === undefined ? 'running…' : '');
      return row(`${e.tool}${e.summary ? ` ${e.summary}` : ''}`, e.refused ? `refused: ${outcome}` : outcome, failed ? 'error' : 'normal', {
        diffs: e.files.map((f) => f.path),
      });
    }
    case 'retry':
      return row('Retry', `${e.provider}/${e.model}: ${e.message}${e.inMs === undefined ? '' : ` — attempt ${e.attempt} in ${ms(e.inMs)}`}`, 'warn');
    case 'error':
      return row(e.code === 'aborted' ? 'Aborted' : 'Model error', `${e.provider}/${e.model}: ${e.message}`, e.code === 'aborted' ? 'muted' : 'error');
    case 'refusal':
      return row('Refused', `${e.provider}/${e.model}: “${e.words}”`, 'error');
    case 'compacted':
      return row(
        e.how === 'summarised' ? 'Conversation summarised' : 'Context compacted',
        `${e.model}: ${compactionText(e)}`,
        'muted',
        e.summary ? { detail: e.summary, detailLabel: 'Show the summary' } : {},
      );
    case 'switch':
      return row('Provider switch', `${e.from.provider}/${e.from.model} → ${e.to.provider}/${e.to.model}: ${e.reason}`, 'warn');
    case 'message':
      return row('You', e.text, 'user');
    case 'stopped':
      return row('Stopped by you', 'The orchestrator decides what becomes of the task.', 'user');
    case 'decided':
      return row('Then', e.text, 'muted');
    case 'candidate': {
      const label = { started: 'Candidate', finished: 'Candidate finished', applied: 'Applied', not_applied: 'Not applied' }[e.step];
      return row(label, e.text, e.step === 'finished' && !e.ok ? 'warn' : e.step === 'not_applied' || e.step === 'started' ? 'muted' : 'normal');
    }
    case 'end':
      return row(
        e.outcome === 'completed' ? 'Finished' : e.outcome === 'escalated' ? 'Gave up: escalated to the orchestrator' : 'Failed',
        e.text,
        e.outcome === 'completed' ? 'normal' : e.outcome === 'escalated' ? 'warn' : 'error',
      );
  }
}

export function transcriptRows(entries: readonly TranscriptEntry[]): TranscriptRow[] {
  return entries.map(transcriptRow);
}

export type Incident = { seq: number; ts?: number; kind: 'escalated' | 'switched' | 'refused' | 'billing' | 'declined'; text: string; why: string };

/** Escalations, provider switches, refused writes and provider alerts, in log order. */
export function incidents(v: { state: SessionState }): Incident[] {
  const st = v.state;
  const out: Incident[] = [
    // A task the user stopped went to the orchestrator too, but nothing failed: the timeline shows the stop.
    ...st.escalations
      .filter((e) => !e.byUser)
      .map((e) => ({ seq: e.seq, ts: e.ts, kind: 'escalated' as const, text: `Task ${e.taskId} escalated to the orchestrator`, why: e.reason })),
    ...st.switches.map((w) => ({
      seq: w.seq,
      ts: w.ts,
      kind: 'switched' as const,
      text: `${w.taskId ? `Task ${w.taskId}: ` : 'Orchestrator: '}${w.from.provider}/${w.from.model} → ${w.to.provider}/${w.to.model}`,
      why: w.reason,
    })),
    ...st.refusals.map((r) => ({ seq: r.seq, kind: 'refused' as const, text: `Write to ${r.path} refused (${r.reason})`, why: r.message })),
    // A provider out of quota needs the user (billing); a model's refusal is shown with its words.
    ...st.providerAlerts.map((a) => ({
      seq: a.seq,
      ts: a.ts,
      kind: a.code === 'quota' ? ('billing' as const) : ('declined' as const),
      why: a.message,
      text: `${a.taskId ? `Task ${a.taskId}: ` : ''}${a.provider}/${a.model} ${a.code === 'quota' ? 'needs billing attention' : 'refused the request'}`,
    })),
  ];
  return out.sort((a, b) => a.seq - b.seq);
}

/** One candidate of a race, as the candidates table shows it (webview/races.ts). */
export interface CandidateRow {
  candidateId: string;
  agentId: string;
  provider: string;
  model: string;
  /** running (with the agent's current step), finished, gave up, failed, cancelled, interrupted. */
  status: string;
  statusClass: string;
  step: string;
  /** Why it gave up or failed; the check's command and output tail. */
  statusDetail: string;
  check: string;
  checkClass: 'ok' | 'failed' | 'none';
  checkDetail: string;
  cost: string;
  tokens: string;
  time: string;
  /** "+4 −0 in 2 files" ('—' while it runs), and its two halves as the table shows them. */
  change: string;
  lines: string;
  filesText: string;
  files: number;
  /** Its changes were applied; the verdict picked it (shown while the user chooses). */
  chosen: boolean;
  recommended: boolean;
}

/** A task's latest race: its candidates side by side and the verdict in one line. */
export interface RaceView {
  taskId: string;
  title: string;
  round: number;
  /** "best of 3 · 1 running", "chosen: api#3 gemini/gemini-2.5-flash — passed, cheapest of 2 that passed". */
  verdict: string;
  /** The verdict is in and the user is to choose (candidateApproval "ask"). */
  awaiting: boolean;
  /** none applied, or the race is still on: a muted line; chosen: normal. */
  tone: 'ok' | 'warn' | 'muted';
  candidates: CandidateRow[];
}

const CANDIDATE_STATUS_CLASS: Record<CandidateStatus, string> = {
  running: 'agent-active',
  finished: 'agent-completed',
  gave_up: 'agent-escalated',
  failed: 'agent-failed',
  cancelled: 'agent-cancelled',
  interrupted: 'agent-interrupted',
};

export function candidateRow(c: CandidateState, race: RaceState, st: SessionState): CandidateRow {
  const agent = st.agents[c.agentId];
  const k = c.check;
  const f = c.figures;
  return {
    candidateId: c.candidateId,
    agentId: c.agentId,
    provider: c.provider,
    model: c.model,
    status: candidateStatusText(c.status),
    statusClass: CANDIDATE_STATUS_CLASS[c.status],
    step: (c.status === 'running' && agent && isWorking(agent) && agent.step) || '',
    statusDetail: [c.error, c.summary].filter(Boolean).join('\n'),
    check: checkText(c),
    checkClass: !k ? 'none' : checkPassed(c) ? 'ok' : 'failed',
    checkDetail: k ? `${k.command} · ${duration(k.durationMs)}\n${k.outputTail.trimEnd().split('\n').slice(-8).join('\n')}` : '',
    cost: costText(f),
    tokens: `${tokens(promptTokens(f))} / ${tokens(f.output)}`,
    time: c.wallMs === undefined ? '—' : duration(c.wallMs),
    change: c.status === 'running' ? '—' : changeText({ added: c.added, removed: c.removed, files: c.files.length }),
    lines: c.status === 'running' ? '—' : c.files.length ? `+${c.added} −${c.removed}` : 'no change',
    filesText: c.status === 'running' || !c.files.length ? '' : plural(c.files.length, 'file'),
    files: c.files.length,
    chosen: !!race.chosen && race.chosen.candidateId === c.candidateId,
    recommended: !!race.verdict && !race.chosen && race.verdict.winner === c.candidateId,
  };
}

function verdictLine(race: RaceState): { text: string; tone: RaceView['tone'] } {
  const name = (id: string) => {
    const c = race.candidates.find((x) => x.candidateId === id);
    return c ? `${id} ${c.provider}/${c.model}` : id;
  };
  const n = race.candidates.length;
  if (!race.verdict) {
    const running = race.candidates.filter((c) => c.status === 'running').length;
    return { text: `Best of ${n}: ${running ? `${running} running, ${n - running} finished` : 'judging'}`, tone: 'muted' };
  }
  const v = race.verdict;
  const c = race.chosen;
  if (!c)
    return {
      text: v.winner ? `Recommended: ${name(v.winner)} — ${v.reason}. Waiting for your choice.` : `No candidate passed: ${v.reason}. Waiting for your choice.`,
      tone: 'warn',
    };
  if (c.candidateId === null) return { text: `None applied${c.by === 'user' ? ' (your choice)' : ''}: ${c.reason}`, tone: 'warn' };
  if (c.by === 'user')
    return {
      text: `Chosen by you: ${name(c.candidateId)}${v.winner && v.winner !== c.candidateId ? ` (the verdict: ${v.winner}, ${v.reason})` : ''}`,
      tone: 'ok',
    };
  return { text: `Chosen: ${name(c.candidateId)} — ${c.reason}`, tone: 'ok' };
}

/** The tasks with a race, in the plan's order. */
export function raceViews(st: SessionState): RaceView[] {
  return st.taskOrder.flatMap((id) => {
    const t = st.tasks[id]!;
    const race = t.race;
    if (!race?.candidates.length) return [];
    const { text, tone } = verdictLine(race);
    return [
      {
        taskId: id,
        title: t.title,
        round: race.round,
        verdict: text,
        awaiting: awaitingChoice(t),
        tone,
        candidates: race.candidates.map((c) => candidateRow(c, race, st)),
      },
    ];
  });
}
