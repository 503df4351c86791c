// The sessions of a workspace (`.ensemble/sessions/<id>/`), for the CLI and the extension alike: list
// them newest first, summarise one, find the resumable ones, find one by id or folder, rebuild its
// report. Listing reads each session's summary.json (a few figures the engine writes when the
// session ends) and never a log, unless the summary is missing (a session still running, an
// older one, a crash) or stale (the log's size is not the one it records): then
// the log is folded once (from its state snapshot and the tail, see snapshot.ts) and the summary
// written back. The log stays the truth; a summary or a snapshot only caches its fold.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENSEMBLE_DIR, sessionDir, sessionsDir, type EventLog } from './log';
import { openSession, SNAPSHOT_EVERY, writeSnapshot } from './state-snapshot';
import type { EventType } from '../events';
import type { Disposable } from '../emitter';
import { applyEvent, type SessionState } from '../fold/state';
import { isResumable, summarise, type SessionSummary } from '../fold/summary';
import { buildReport, renderMarkdown, type ReportJson } from '../fold/report';
import { Redactor } from '../redact';

const LOG_FILE = 'events.jsonl';
const SUMMARY_FILE = 'summary.json';
/** Bumped when the summary's shape changes: an older summary is then rebuilt from its log. */
const SUMMARY_VERSION = 1;

/** summary.json: the summary, and how much of the log it covers. */
interface StoredSummary extends SessionSummary {
  v: number;
  logBytes: number;
  events: number;
}

export interface ListedSession {
  /** The folder the session worked in. */
  workspace: string;
  sessionId: string;
  /** The session's folder (its log, blobs, report, summary). */
  dir: string;
  summary: SessionSummary;
}

const logFile = (dir: string) => path.join(dir, LOG_FILE);

/** The workspace a session folder (`<workspace>/.ensemble/sessions/<id>`) belongs to; undefined for a folder elsewhere. */
export function workspaceOf(dir: string): string | undefined {
  const sessions = path.dirname(path.resolve(dir));
  const ensemble = path.dirname(sessions);
  return path.basename(sessions) === 'sessions' && path.basename(ensemble) === ENSEMBLE_DIR ? path.dirname(ensemble) : undefined;
}

/** The session `idOrDir` names: a session folder (with its log), or the id of one in `workspace`. */
export function findSession(workspace: string, idOrDir: string): { dir: string; workspace: string } | undefined {
  if (fs.existsSync(logFile(idOrDir))) {
    const ws = workspaceOf(idOrDir);
    return ws === undefined ? undefined : { dir: path.resolve(idOrDir), workspace: ws };
  }
  // An id, never a path: `..` or a separator could reach outside the sessions folder.
  if (!/^[\w.-]+$/.test(idOrDir) || idOrDir.startsWith('.')) return undefined;
  const dir = sessionDir(workspace, idOrDir);
  return fs.existsSync(logFile(dir)) ? { dir, workspace } : undefined;
}

/** The fold of the log in `dir`, through its state snapshot when that matches the log (a damaged or truncated line is skipped and counted). */
export function foldSession(dir: string): { state: SessionState; skipped: number; logBytes: number } {
  const { state, skipped, size } = openSession(dir);
  return { state, skipped, logBytes: size };
}

/**
 * Writes summary.json for `state`, the fold of the log in `dir` up to `logBytes` (default: the whole
 * log now, for a caller that folds every event as it is appended). A summary that cannot be written
 * (a read-only folder, a full disk) is skipped: it is only a cache of the log.
 */
export function writeSummary(dir: string, state: SessionState, logBytes?: number): SessionSummary | undefined {
  const summary = summarise(state);
  if (!summary) return undefined;
  try {
    const stored: StoredSummary = { v: SUMMARY_VERSION, logBytes: logBytes ?? fs.statSync(logFile(dir)).size, events: state.eventCount, ...summary };
    const file = path.join(dir, SUMMARY_FILE);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(stored, null, 2) + '\n');
    fs.renameSync(tmp, file); // a reader never sees half a summary
  } catch {
    // the next listing folds the log instead
  }
  return summary;
}

function readStored(dir: string): StoredSummary | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(dir, SUMMARY_FILE), 'utf8')) as StoredSummary;
    return s && s.v === SUMMARY_VERSION && typeof s.logBytes === 'number' && typeof s.sessionId === 'string' ? s : undefined;
  } catch {
    return undefined; // absent or damaged: rebuilt from the log
  }
}

/** The summary of the session in `dir`: its summary.json when it covers the whole log, else the log folded (and the summary written back). */
export function sessionSummary(dir: string): SessionSummary | undefined {
  let size: number;
  try {
    size = fs.statSync(logFile(dir)).size;
  } catch {
    return undefined;
  }
  const stored = readStored(dir);
  if (stored?.logBytes === size) {
    const { v: _v, logBytes: _bytes, events: _events, ...summary } = stored;
    return summary;
  }
  try {
    const { state, logBytes } = foldSession(dir);
    return writeSummary(dir, state, logBytes);
  } catch {
    return undefined; // the log vanished or cannot be read
  }
}

/** The sessions of these workspaces, newest first (at most `limit`). */
export function listSessions(workspaces: string | readonly string[], limit = 50): ListedSession[] {
  const out: ListedSession[] = [];
  for (const workspace of new Set(typeof workspaces === 'string' ? [workspaces] : workspaces)) {
    let names: string[];
    try {
      names = fs.readdirSync(sessionsDir(workspace));
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = sessionDir(workspace, name);
      const summary = sessionSummary(dir);
      if (summary?.sessionId === name) out.push({ workspace, sessionId: name, dir, summary });
    }
  }
  out.sort((a, b) => (b.summary.startedAt ?? 0) - (a.summary.startedAt ?? 0) || b.sessionId.localeCompare(a.sessionId));
  return out.slice(0, limit);
}

/** The sessions of `workspace` that can be resumed (not completed, not scripted replays), newest first. */
export function resumableSessions(workspace: string): ListedSession[] {
  return listSessions(workspace).filter((s) => isResumable(s.summary));
}

/**
 * Writes report.json and report.md next to the log; returns their paths. Redacted again here: the
 * log of a session run by an older version (re-folded by `ensemble report`) may hold a key.
 */
export function writeReportFiles(dir: string, state: SessionState, redactor: Redactor = new Redactor()): string[] {
  const report = redactor.value(buildReport(state));
  const json = path.join(dir, 'report.json');
  const md = path.join(dir, 'report.md');
  writeWhole(json, JSON.stringify(report, null, 2) + '\n');
  writeWhole(md, redactor.text(renderMarkdown(report)));
  return [json, md];
}

/** Writes `file` whole or not at all (a full disk leaves no half report behind). */
function writeWhole(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Folds the session's log again and rewrites its report files and its summary (an interrupted session, an older log, a review decision). */
export function rebuildReport(dir: string, redactor?: Redactor): { state: SessionState; report: ReportJson; skipped: number } {
  const { state, skipped, logBytes } = foldSession(dir);
  writeReportFiles(dir, state, redactor);
  writeSummary(dir, state, logBytes);
  return { state, report: buildReport(state), skipped };
}

/**
 * The session's last event (its report's): after it, summary.json and the state snapshot are written,
 * so that listing an ended session reads no log and opening it folds nothing. Not before: a summary
 * counts only while it covers the whole log, so one written mid-session (at a phase end) was stale at
 * the next event, and listing a session that is running or was killed folds it anyway (from its
 * snapshot, which every SNAPSHOT_EVERY events bounds the tail of; a snapshot per phase end cost more
 * than folding its few events).
 */
const SESSION_END: ReadonlySet<EventType> = new Set(['report.written', 'report.failed']);

/**
 * Keeps `state` the fold of `log` as events are appended, and its summary and state snapshot on disk
 * at the session's end, the snapshot also every SNAPSHOT_EVERY events (so that opening the session
 * later folds at most that many).
 */
export function followLog(log: EventLog, state: SessionState): Disposable {
  const dir = path.dirname(log.file);
  let since = 0;
  return log.onDidAppend((e) => {
    applyEvent(state, e);
    const end = SESSION_END.has(e.type);
    if (end) writeSummary(dir, state, log.bytes);
    if (end || ++since >= SNAPSHOT_EVERY) {
      since = 0;
      writeSnapshot(dir, state, e.seq, log.bytes);
    }
  });
}
