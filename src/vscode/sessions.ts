// The sessions of a workspace (`.ensemble/sessions/*`), summarised by folding each log. Summaries are
// cached by the log's size and modification time, so listing stays cheap as sessions accumulate.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readEvents, sessionsDir } from '../core/store/log';
import { foldEvents } from '../core/fold/state';
import { spending } from '../core/fold/spending';
import type { SessionSummary } from '../protocol';
import type { SessionRef } from './focus';

export interface ListedSession extends SessionRef {
  summary: SessionSummary;
  dir: string;
}

const cache = new Map<string, { key: string; summary: Omit<SessionSummary, 'live'> }>();

export function summarise(dir: string): Omit<SessionSummary, 'live'> | undefined {
  const file = path.join(dir, 'events.jsonl');
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return undefined;
  }
  const key = `${st.size}:${st.mtimeMs}`;
  const hit = cache.get(file);
  if (hit?.key === key) return hit.summary;
  const s = foldEvents(readEvents(file).events);
  if (!s.sessionId) return undefined;
  const spent = spending(s);
  const summary = {
    sessionId: s.sessionId,
    goal: s.goal ?? '',
    status: s.status,
    startedAt: s.startedAt ?? null,
    endedAt: s.endedAt ?? null,
    costUsd: spent.unpricedCalls > 0 ? null : spent.usd,
    scripted: s.scripted,
    files: s.fileOrder.length,
  };
  cache.set(file, { key, summary });
  return summary;
}

/** Sessions of these folders, newest first (at most `limit`). `liveId`: the one running now. */
export function listSessions(workspaces: readonly string[], liveId?: string, limit = 50): ListedSession[] {
  const out: ListedSession[] = [];
  for (const workspace of new Set(workspaces)) {
    const root = sessionsDir(workspace);
    let names: string[];
    try {
      names = fs.readdirSync(root);
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = path.join(root, name);
      const s = summarise(dir);
      if (s && s.sessionId === name) out.push({ workspace, sessionId: name, dir, summary: { ...s, live: s.sessionId === liveId } });
    }
  }
  out.sort((a, b) => (b.summary.startedAt ?? 0) - (a.summary.startedAt ?? 0) || b.sessionId.localeCompare(a.sessionId));
  return out.slice(0, limit);
}

/** The sessions of `workspace` that Resume Session can continue: not completed, not scripted replays. */
export function resumableSessions(workspace: string): ListedSession[] {
  return listSessions([workspace]).filter((s) => s.summary.status !== 'completed' && !s.summary.scripted);
}
