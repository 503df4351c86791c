// State snapshots: the fold of a session's log up to one of its lines, in `state.json` next to it, so
// that opening a long session reads the snapshot and the log's tail instead of parsing and folding
// every event. The engine writes one when the session ends and every SNAPSHOT_EVERY events (sessions.ts
// `followLog`). The log stays the single source of truth: a snapshot that does not match it — another
// snapshot or event version, a log shorter than it covers, a line at its end that is not the event it
// says it covers — is discarded, and the log folded again (and the snapshot rewritten).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { EVENT_VERSION, type EnsembleEvent } from '../events';
import { foldEvents, type SessionState } from '../fold/state';
import { lastEvent, readEventsFrom } from './log';

const SNAPSHOT_FILE = 'state.json';
/** Bumped when SessionState changes shape or a fold's meaning: an older snapshot is then rebuilt from its log (2: `compactions`; 3: the user's actions, settled tasks; 4: `models`, calls paid by a plan; 5: `mcp`; 6: races; 7: a task's `attempts` count its candidates' calls). */
export const SNAPSHOT_VERSION = 7;
/** A snapshot is also written after this many events, so that a tail never holds more. */
export const SNAPSHOT_EVERY = 5_000;

interface StoredSnapshot {
  v: number;
  /** EVENT_VERSION of the code that folded it. */
  events: number;
  /** The seq of the last event it covers, on the line that ends at `logBytes`. */
  seq: number;
  logBytes: number;
  /** Damaged lines skipped before `logBytes`. */
  skipped: number;
  state: SessionState;
}

export interface OpenedSession {
  state: SessionState;
  /** Damaged or truncated lines skipped. */
  skipped: number;
  /** Bytes of the log the state covers (read new events from here). */
  logBytes: number;
  /** The log's size when it was read: more than `logBytes` when it ends with a partial line (counted in `skipped`). */
  size: number;
  /** The seq of the last event folded (0: none). */
  seq: number;
  /** Whether a matching snapshot was used, or the whole log folded. */
  from: 'snapshot' | 'log';
}

const logFile = (dir: string) => path.join(dir, 'events.jsonl');
/** A partial last line (a crash mid-write) counts as one skipped line. */
const partial = (r: { end: number; size: number }) => (r.size > r.end ? 1 : 0);
const lastSeq = (events: EnsembleEvent[], or: number) => (events.length ? events[events.length - 1]!.seq : or);

/** Writes the snapshot of `state`, the fold of the log in `dir` through event `seq` at byte `logBytes`. Only a cache: a failure is ignored. */
export function writeSnapshot(dir: string, state: SessionState, seq: number, logBytes: number, skipped = 0): void {
  if (!state.sessionId) return;
  try {
    const stored: StoredSnapshot = { v: SNAPSHOT_VERSION, events: EVENT_VERSION, seq, logBytes, skipped, state };
    const file = path.join(dir, SNAPSHOT_FILE);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(stored));
    fs.renameSync(tmp, file); // a reader never sees half a snapshot
  } catch {
    // a read-only folder, a full disk: the next open folds the log
  }
}

function readSnapshot(dir: string): StoredSnapshot | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(dir, SNAPSHOT_FILE), 'utf8')) as StoredSnapshot;
    const ok =
      s &&
      s.v === SNAPSHOT_VERSION &&
      s.events === EVENT_VERSION &&
      Number.isInteger(s.seq) &&
      Number.isInteger(s.logBytes) &&
      s.logBytes > 0 &&
      typeof s.state === 'object' &&
      s.state !== null;
    return ok ? s : undefined;
  } catch {
    return undefined; // absent or damaged
  }
}

/** Whether the log's line ending at the snapshot's `logBytes` is the event it says it covers. */
function matches(file: string, s: StoredSnapshot): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    if (fs.fstatSync(fd).size < s.logBytes) return false;
    const { end, last } = lastEvent(fd, s.logBytes);
    return end === s.logBytes && last?.seq === s.seq;
  } finally {
    fs.closeSync(fd);
  }
}

/** The state of the session in `dir`: its snapshot plus the log's tail when they match, else the whole log folded (and the snapshot rewritten). */
export function openSession(dir: string): OpenedSession {
  const file = logFile(dir);
  const snap = readSnapshot(dir);
  if (snap && matches(file, snap)) {
    const tail = readEventsFrom(file, snap.logBytes);
    if (tail.events.every((e) => e.seq > snap.seq)) {
      const state = foldEvents(tail.events, snap.state);
      const opened: OpenedSession = {
        state,
        skipped: snap.skipped + tail.skipped + partial(tail),
        logBytes: tail.end,
        size: tail.size,
        seq: lastSeq(tail.events, snap.seq),
        from: 'snapshot',
      };
      if (tail.events.length >= SNAPSHOT_EVERY) writeSnapshot(dir, state, opened.seq, opened.logBytes, snap.skipped + tail.skipped);
      return opened;
    }
  }
  const all = readEventsFrom(file, 0);
  const opened: OpenedSession = {
    state: foldEvents(all.events),
    skipped: all.skipped + partial(all),
    logBytes: all.end,
    size: all.size,
    seq: lastSeq(all.events, 0),
    from: 'log',
  };
  writeSnapshot(dir, opened.state, opened.seq, opened.logBytes, all.skipped);
  return opened;
}

/** Folds onto `opened` what was appended to its log since (by anyone); a log that shrank is opened afresh. */
export function catchUp(dir: string, opened: OpenedSession): OpenedSession {
  const size = fs.statSync(logFile(dir)).size;
  if (size < opened.logBytes) return openSession(dir);
  if (size === opened.logBytes) return opened;
  const tail = readEventsFrom(logFile(dir), opened.logBytes);
  foldEvents(
    tail.events.filter((e) => e.seq > opened.seq),
    opened.state,
  );
  return { ...opened, skipped: opened.skipped + tail.skipped, logBytes: tail.end, size: tail.size, seq: lastSeq(tail.events, opened.seq) };
}
