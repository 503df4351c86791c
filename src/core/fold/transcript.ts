// What each agent did, in order, as a fold over the log: its prompt, the text it streamed, each tool
// call with its summary and result (a write names its blobs, never its contents), retries, provider
// switches, refusals, context compactions, the user's messages and how it ended. The panel keeps one of these beside the
// session state and shows only the selected agent's entries. Updated in place, O(1) per event; an
// entry that changes after it was added (text streaming on, a tool's result) bumps its `rev`.

import type { EnsembleEvent, ModelRef } from '../events';
import type { ProviderErrorCode } from '../ports';
import { changeText, checkText } from './narrate';

interface Base {
  seq: number;
  ts: number;
  /** Bumped whenever the entry changes after it was added (a renderer redraws it then). */
  rev: number;
}

/** A file the tool wrote: its blobs are in the session's store (open its diff from there). */
export interface WrittenFile {
  path: string;
  change: 'created' | 'modified';
  beforeSha: string | null;
  afterSha: string;
  bytes: number;
}

export type TranscriptEntry = Base &
  (
    | { kind: 'prompt'; text: string }
    | { kind: 'text'; text: string }
    | { kind: 'tool'; tool: string; summary: string; ok?: boolean; result?: string; error?: string; refused?: boolean; files: WrittenFile[] }
    | { kind: 'retry'; provider: string; model: string; code: ProviderErrorCode; message: string; inMs?: number; attempt?: number }
    | { kind: 'error'; provider: string; model: string; code: ProviderErrorCode; message: string }
    | { kind: 'refusal'; provider: string; model: string; words: string }
    | { kind: 'switch'; from: ModelRef; to: ModelRef; reason: string }
    /** The conversation compacted to fit the model's window (`summary`: the model's own words, when it summarised). */
    | {
        kind: 'compacted';
        how: 'elided' | 'summarised';
        messages: number;
        tokensBefore: number;
        tokensAfter: number;
        window: number;
        model: string;
        trigger: 'estimate' | 'provider';
        summary?: string;
      }
    | { kind: 'message'; text: string }
    /** The user stopped the agent's task; `decided` follows once the orchestrator decided what becomes of it. */
    | { kind: 'stopped' }
    | { kind: 'decided'; text: string }
    | { kind: 'end'; outcome: 'completed' | 'failed' | 'escalated'; text: string }
    /**
     * Best of several: the agent is one of its task's candidates. `finished`: how its run ended and what
     * its check said; `applied`: its changes were applied to the workspace, or not (another candidate's, or none).
     */
    | { kind: 'candidate'; step: 'started' | 'finished' | 'applied' | 'not_applied'; ok: boolean; text: string }
  );

export type TranscriptKind = TranscriptEntry['kind'];

export interface TranscriptState {
  /** agentId → its entries, in log order. */
  agents: Record<string, TranscriptEntry[]>;
  /** agentId → its tool call waiting for its result. */
  open: Record<string, Extract<TranscriptEntry, { kind: 'tool' }>>;
  /** taskId → the agent that works on it now (the last spawned for it). */
  current: Record<string, string>;
  /** Agents whose next text starts a new turn's entry (what one turn says is one entry, not glued to the last turn's). */
  newTurn: Record<string, boolean>;
  /** taskId → the agents working on it when the user stopped it, until the orchestrator decided. */
  stopped: Record<string, string[]>;
  /** taskId → its latest race: its round and, by agent, the candidate each agent is. */
  races: Record<string, { round: number; agents: Record<string, string> }>;
}

export function initialTranscript(): TranscriptState {
  return { agents: {}, open: {}, current: {}, newTurn: {}, stopped: {}, races: {} };
}

/** What the orchestrator did with a task the user stopped, told in the stopped agent's transcript. */
function decided(t: TranscriptState, e: EnsembleEvent, taskId: string, text: string): void {
  const agents = t.stopped[taskId];
  if (!agents) return;
  delete t.stopped[taskId];
  for (const agentId of agents) add(t, agentId, e, { kind: 'decided', text });
}

function entriesOf(t: TranscriptState, agentId: string): TranscriptEntry[] {
  let list = t.agents[agentId];
  if (!list) t.agents[agentId] = list = [];
  return list;
}

type NewEntry = { [K in TranscriptKind]: Omit<Extract<TranscriptEntry, { kind: K }>, 'seq' | 'ts' | 'rev'> }[TranscriptKind];

function add(t: TranscriptState, agentId: string, e: EnsembleEvent, entry: NewEntry): TranscriptEntry {
  const full = { ...entry, seq: e.seq, ts: e.ts, rev: 0 } as TranscriptEntry;
  entriesOf(t, agentId).push(full);
  return full;
}

/** Agent `agentId` is one of task `taskId`'s latest race's candidates. */
function isCandidate(t: TranscriptState, taskId: string, agentId: string | undefined): boolean {
  return !!agentId && t.races[taskId]?.agents[agentId] !== undefined;
}

function end(t: TranscriptState, agentId: string | undefined, e: EnsembleEvent, outcome: 'completed' | 'failed' | 'escalated', text: string): void {
  if (!agentId) return;
  delete t.open[agentId];
  add(t, agentId, e, { kind: 'end', outcome, text });
}

/** Applies one event, in place. */
export function applyTranscript(t: TranscriptState, e: EnsembleEvent): TranscriptState {
  switch (e.type) {
    case 'agent.spawned':
      entriesOf(t, e.agentId);
      t.current[e.taskId] = e.agentId;
      break;
    case 'agent.prompt':
      add(t, e.agentId, e, { kind: 'prompt', text: e.text });
      break;
    case 'agent.text': {
      const last = entriesOf(t, e.agentId).at(-1);
      const sameTurn = !t.newTurn[e.agentId];
      delete t.newTurn[e.agentId];
      if (last?.kind === 'text' && sameTurn) {
        last.text += e.text;
        last.rev++;
      } else add(t, e.agentId, e, { kind: 'text', text: e.text });
      break;
    }
    case 'agent.messaged':
      add(t, e.agentId, e, { kind: 'message', text: e.text });
      break;
    case 'llm.error':
      // The call the user's stop aborted: the transcript already says the task was stopped.
      if (e.code === 'aborted' && e.taskId && t.stopped[e.taskId]?.includes(e.agentId)) break;
      if (e.code === 'refusal') add(t, e.agentId, e, { kind: 'refusal', provider: e.provider, model: e.model, words: e.message });
      else if (e.retryable && e.code !== 'aborted')
        add(t, e.agentId, e, { kind: 'retry', provider: e.provider, model: e.model, code: e.code, message: e.message });
      else add(t, e.agentId, e, { kind: 'error', provider: e.provider, model: e.model, code: e.code, message: e.message });
      break;
    case 'llm.retrying': {
      const last = entriesOf(t, e.agentId).at(-1);
      if (last?.kind === 'retry' && last.inMs === undefined) {
        Object.assign(last, { inMs: e.inMs, attempt: e.attempt });
        last.rev++;
      }
      break;
    }
    case 'provider.switched':
      add(t, e.agentId, e, { kind: 'switch', from: e.from, to: e.to, reason: e.reason });
      break;
    case 'context.compacted':
      add(t, e.agentId, e, {
        kind: 'compacted',
        how: e.how,
        messages: e.messages,
        tokensBefore: e.tokensBefore,
        tokensAfter: e.tokensAfter,
        window: e.window,
        model: `${e.provider}/${e.model}`,
        trigger: e.trigger,
        ...(e.summary === undefined ? {} : { summary: e.summary }),
      });
      break;
    case 'tool.called':
      t.open[e.agentId] = add(t, e.agentId, e, { kind: 'tool', tool: e.tool, summary: e.summary, files: [] }) as Extract<TranscriptEntry, { kind: 'tool' }>;
      break;
    case 'file.written': {
      const open = t.open[e.agentId];
      if (open) {
        open.files.push({ path: e.path, change: e.change, beforeSha: e.beforeSha, afterSha: e.afterSha, bytes: e.bytes });
        open.rev++;
      }
      break;
    }
    case 'file.refused':
    case 'tool.failed': {
      const message = e.type === 'file.refused' ? e.message : e.error;
      const open = t.open[e.agentId];
      if (open) {
        Object.assign(open, { error: message, refused: open.refused || e.type === 'file.refused' });
        open.rev++;
      } else if (e.type === 'tool.failed') {
        // A call refused before it ran (an unknown tool, invalid arguments): no tool.called came.
        t.open[e.agentId] = add(t, e.agentId, e, { kind: 'tool', tool: e.tool, summary: '', error: message, files: [] }) as Extract<
          TranscriptEntry,
          { kind: 'tool' }
        >;
      }
      break;
    }
    case 'tool.result': {
      const open = t.open[e.agentId];
      if (open) {
        Object.assign(open, { ok: e.ok, result: e.summary });
        open.rev++;
      } else add(t, e.agentId, e, { kind: 'tool', tool: e.tool, summary: '', ok: e.ok, result: e.summary, files: [] });
      delete t.open[e.agentId];
      break;
    }
    case 'task.stopped': {
      const agentId = t.current[e.taskId];
      const stopped = (t.stopped[e.taskId] ??= []);
      if (agentId && !stopped.includes(agentId)) {
        delete t.open[agentId];
        add(t, agentId, e, { kind: 'stopped' });
        stopped.push(agentId);
      }
      break;
    }
    case 'task.completed':
      // A race's winner: its transcript already says it finished and that its changes were applied.
      if (!isCandidate(t, e.taskId, e.agentId)) end(t, e.agentId, e, 'completed', e.summary);
      decided(t, e, e.taskId, 'The orchestrator did the task itself.');
      break;
    case 'task.failed':
      end(t, e.agentId ?? t.current[e.taskId], e, 'failed', e.error);
      decided(t, e, e.taskId, `The orchestrator could not finish the task: ${e.error}`);
      break;
    case 'task.skipped':
      decided(t, e, e.taskId, `The orchestrator skipped the task: ${e.reason}`);
      break;
    case 'task.reassigned':
      decided(t, e, e.taskId, `The orchestrator gave the task to ${e.role}: ${e.reason}`);
      break;
    case 'task.escalated':
      // A stopped task goes to the orchestrator too; its agent did not give up: its transcript says it was stopped.
      if (t.stopped[e.taskId]?.includes(t.current[e.taskId] ?? '')) break;
      // A race none won: each candidate's transcript already says how it ended.
      if (isCandidate(t, e.taskId, t.current[e.taskId])) break;
      end(t, t.current[e.taskId], e, 'escalated', e.reason);
      break;
    case 'agent.ended':
      // A candidate's agent ends after its candidate.finished, which says how it ended.
      if (!Object.values(t.races).some((r) => r.agents[e.agentId] !== undefined))
        end(t, e.agentId, e, e.status === 'COMPLETED' ? 'completed' : 'failed', e.summary);
      break;
    case 'llm.request':
      t.newTurn[e.agentId] = true;
      break;
    case 'candidate.started': {
      const race = t.races[e.taskId];
      if (!race || race.round !== e.round) t.races[e.taskId] = { round: e.round, agents: { [e.agentId]: e.candidateId } };
      else race.agents[e.agentId] = e.candidateId;
      add(t, e.agentId, e, {
        kind: 'candidate',
        step: 'started',
        ok: true,
        text: `${e.candidateId}: one of the task's candidates, in its own copy of the workspace`,
      });
      break;
    }
    case 'candidate.copied':
      break; // the panel's candidates table says how the copy was made
    case 'candidate.finished': {
      delete t.open[e.agentId];
      const check = e.check ? `its check \`${e.check.command}\` ${checkText({ status: e.outcome, check: e.check })}` : 'its check did not run';
      const passed = e.outcome === 'finished' && !!e.check && e.check.exitCode === 0 && !e.check.timedOut;
      const added = e.files.reduce((n, f) => n + f.added, 0);
      const removed = e.files.reduce((n, f) => n + f.removed, 0);
      const said = e.outcome === 'finished' ? (e.summary ?? '') : `${e.outcome === 'gave_up' ? 'gave up' : 'failed'}: ${e.error ?? e.summary ?? ''}`;
      const why = said ? `${said} — ` : '';
      add(t, e.agentId, e, {
        kind: 'candidate',
        step: 'finished',
        ok: passed,
        text: `${why}${check}; ${changeText({ added, removed, files: e.files.length })}`,
      });
      break;
    }
    case 'candidate.chosen': {
      const race = t.races[e.taskId];
      if (!race || race.round !== e.round) break;
      const how = e.by === 'user' ? 'by you' : 'by the check and the price';
      for (const [agentId, candidateId] of Object.entries(race.agents)) {
        const applied = candidateId === e.candidateId;
        add(t, agentId, e, {
          kind: 'candidate',
          step: applied ? 'applied' : 'not_applied',
          ok: applied,
          text: applied
            ? `Its changes are applied to the workspace, chosen ${how}: ${e.reason}`
            : `${e.candidateId === null ? 'No candidate was applied' : `${e.candidateId} was applied instead`}, chosen ${how}: ${e.reason}`,
        });
      }
      break;
    }
    default:
      break; // every other event says nothing about one agent's conversation
  }
  return t;
}

/**
 * Whether `e` can change agent `agentId`'s transcript: its own events, and every agent spawn and task
 * event (a stopped or escalated task names no agent: it is its current agent's, known from the spawns),
 * and the choice of a race's candidate (it names none: each candidate's transcript says whether it was applied).
 * Folding only these gives that agent the same entries as folding the whole log.
 */
export function concernsAgent(e: EnsembleEvent, agentId: string): boolean {
  return ('agentId' in e && e.agentId === agentId) || e.type === 'agent.spawned' || e.type.startsWith('task.') || e.type === 'candidate.chosen';
}

export function foldTranscript(events: Iterable<EnsembleEvent>, t: TranscriptState = initialTranscript()): TranscriptState {
  for (const e of events) applyTranscript(t, e);
  return t;
}
