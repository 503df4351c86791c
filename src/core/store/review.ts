// The review of a session's changes, after (or between) runs: keep a change, or revert it to the
// exact bytes the file held before the session first touched it. Each decision is an event appended
// to the session's own log (`review.kept` / `review.reverted`), so the panel, the report and a later
// resume all see it; the report files are rewritten after each decision (once for Keep All / Revert All).
//
// A revert never loses the user's work silently: when the file on disk is no longer what the session
// left (the user edited it since), it is refused with a `conflict` outcome unless `force` is given.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnsembleEvent } from '../events';
import type { FileStore } from '../ports';
import { BlobStore, sha256 } from './blobs';
import { EventLog, sessionDir } from './log';
import { applyEvent, type FileState, type SessionState } from '../fold/state';
import { writeReportFiles, writeSummary } from './sessions';
import { catchUp, openSession, writeSnapshot, type OpenedSession } from './state-snapshot';

/** `failed`: the file could not be read or written (a path refused by the store, permissions, a full disk). */
/** `before_unknown`: a command changed the file and the session had no copy of it before, so there is nothing to restore. */
export type ReviewRefusal = 'conflict' | 'unknown_file' | 'already_reverted' | 'missing_blob' | 'before_unknown' | 'no_session' | 'failed';

export type ReviewOutcome =
  | { ok: true; path: string; action: 'kept' | 'reverted'; event?: EnsembleEvent; unchanged?: boolean }
  | { ok: false; path: string; reason: ReviewRefusal; message: string };

export interface FileReviewStatus {
  path: string;
  change: FileState['change'];
  review: FileState['review'];
  beforeSha: string | null;
  afterSha: string | null;
  /** Hash of the file on disk now (null: absent). */
  diskSha: string | null;
  /** The file on disk is no longer what the session left: a revert would lose those edits. */
  editedSince: boolean;
}

export interface SessionReview {
  readonly sessionId: string;
  readonly dir: string;
  /** The session as its log holds it now: the review's live fold, caught up with the log on each call (read it, never change it). */
  state(): SessionState;
  /** The changed files in the order the session first touched them. */
  files(): FileState[];
  status(path: string): Promise<FileReviewStatus | undefined>;
  /** The bytes before the session touched the file (empty for a file it created); undefined when unknown. */
  before(path: string): Uint8Array | undefined;
  keep(path: string): Promise<ReviewOutcome>;
  revert(path: string, opts?: { force?: boolean }): Promise<ReviewOutcome>;
  /** Keeps every file still pending. */
  keepAll(): Promise<ReviewOutcome[]>;
  /** Reverts every pending or kept file; files edited since are refused (conflict) unless `force`. */
  revertAll(opts?: { force?: boolean }): Promise<ReviewOutcome[]>;
}

/** Opens the review of session `sessionId` of `workspace` (its log under .ensemble/sessions); its files are read and written through `store`. */
export function reviewSession(workspace: string, sessionId: string, store: FileStore): SessionReview {
  const dir = sessionDir(workspace, sessionId);
  const logFile = path.join(dir, 'events.jsonl');
  if (!fs.existsSync(logFile)) throw new Error(`No session "${sessionId}" in ${workspace} (${logFile} is missing).`);
  const blobs = new BlobStore(dir);

  // One live fold for as long as the review is open: opened from the state snapshot and the log's
  // tail, caught up with what anyone appended since before each use, and each decision applied to it
  // as it is appended (never a re-read of the whole log per decision).
  let opened: OpenedSession | undefined;
  const state = (): SessionState => (opened = opened ? catchUp(dir, opened) : openSession(dir)).state;

  // Inside keepAll/revertAll the report, summary and snapshot are written once, after the last decision.
  let batch = false;
  const publish = () => {
    if (!opened) return;
    try {
      // the report files, the session's summary and its snapshot follow the decision
      writeReportFiles(dir, opened.state);
      writeSummary(dir, opened.state, opened.logBytes);
      writeSnapshot(dir, opened.state, opened.seq, opened.logBytes, opened.skipped);
    } catch {
      // A full disk: the decision is in the log, and `ensemble report` re-folds the report later.
    }
  };

  const record = (
    body: { type: 'review.kept'; path: string } | { type: 'review.reverted'; path: string; restoredSha: string | null; overwrittenSha?: string },
  ): EnsembleEvent => {
    const log = EventLog.open(dir);
    let event: EnsembleEvent;
    try {
      state(); // caught up with the log as it is now, before this decision is appended to it
      event = log.emit(body);
      applyEvent(opened!.state, event);
      opened = { ...opened!, logBytes: log.bytes, seq: event.seq };
    } finally {
      log.close();
    }
    if (!batch) publish();
    return event;
  };

  const batched = async <T>(work: () => Promise<T>): Promise<T> => {
    batch = true;
    try {
      return await work();
    } finally {
      batch = false;
      publish();
    }
  };

  const diskSha = async (p: string): Promise<string | null> => {
    const data = await store.read(p);
    return data === undefined ? null : sha256(data);
  };

  const status = async (p: string): Promise<FileReviewStatus | undefined> => {
    const f = state().files[p];
    if (!f) return undefined;
    const disk = await diskSha(p);
    const expected = f.review === 'reverted' ? f.beforeSha : f.afterSha;
    return { path: p, change: f.change, review: f.review, beforeSha: f.beforeSha, afterSha: f.afterSha, diskSha: disk, editedSince: disk !== expected };
  };

  const unknown = (p: string): ReviewOutcome => ({ ok: false, path: p, reason: 'unknown_file', message: `${p} was not changed by session ${sessionId}.` });

  const keep = async (p: string): Promise<ReviewOutcome> => {
    const f = state().files[p];
    if (!f) return unknown(p);
    if (f.review === 'reverted')
      return {
        ok: false,
        path: p,
        reason: 'already_reverted',
        message: `${p} was already reverted to its content before the session; there is no change left to keep.`,
      };
    if (f.review === 'kept') return { ok: true, path: p, action: 'kept', unchanged: true };
    return { ok: true, path: p, action: 'kept', event: record({ type: 'review.kept', path: p }) };
  };

  const revert = async (p: string, o: { force?: boolean } = {}): Promise<ReviewOutcome> => {
    try {
      return await revertNow(p, o);
    } catch (e) {
      // The path is refused now (e.g. a folder became a link into .git) or the disk failed: the file is left as it is.
      return { ok: false, path: p, reason: 'failed', message: `${p} was not reverted: ${e instanceof Error ? e.message : String(e)}` };
    }
  };

  const revertNow = async (p: string, o: { force?: boolean }): Promise<ReviewOutcome> => {
    const f = state().files[p];
    if (!f) return unknown(p);
    if (f.review === 'reverted') return { ok: false, path: p, reason: 'already_reverted', message: `${p} was already reverted.` };
    if (f.beforeUnknown)
      return {
        ok: false,
        path: p,
        reason: 'before_unknown',
        message: `${p} was changed by a command an agent ran, and Ensemble had no copy of it from before (it was too large, or beyond the copy limit), so it cannot be reverted. Keep it, or restore it yourself (e.g. with git).`,
      };
    const disk = await diskSha(p);
    if (disk !== f.afterSha && !o.force) {
      const what = disk === null ? 'deleted' : f.afterSha === null ? 're-created' : 'edited';
      return { ok: false, path: p, reason: 'conflict', message: `${p} was ${what} after Ensemble changed it. Reverting it would lose those changes.` };
    }
    // Forced over the user's edits: their version is kept in the blobs, so even that is not lost.
    let overwrittenSha: string | undefined;
    if (disk !== null && disk !== f.afterSha) {
      const current = await store.read(p);
      if (current !== undefined) overwrittenSha = blobs.put(current);
    }
    if (f.beforeSha === null) {
      await store.remove(p);
    } else {
      const bytes = blobs.get(f.beforeSha);
      if (bytes === undefined)
        return {
          ok: false,
          path: p,
          reason: 'missing_blob',
          message: `The content of ${p} before the session (blob ${f.beforeSha.slice(0, 12)}…) is missing from ${blobs.pack} or damaged; it cannot be restored.`,
        };
      await store.write(p, new Uint8Array(bytes));
    }
    return { ok: true, path: p, action: 'reverted', event: record({ type: 'review.reverted', path: p, restoredSha: f.beforeSha, overwrittenSha }) };
  };

  return {
    sessionId,
    dir,
    state,
    files: () => {
      const s = state();
      return s.fileOrder.map((p) => s.files[p]!);
    },
    status,
    before(p) {
      const f = state().files[p];
      if (!f || f.beforeUnknown) return undefined;
      if (f.beforeSha === null) return new Uint8Array(0);
      const b = blobs.get(f.beforeSha);
      return b === undefined ? undefined : new Uint8Array(b);
    },
    keep,
    revert,
    keepAll: () =>
      batched(async () => {
        const out: ReviewOutcome[] = [];
        const s = state();
        for (const p of [...s.fileOrder]) if (s.files[p]!.review === 'pending') out.push(await keep(p));
        return out;
      }),
    revertAll: (o = {}) =>
      batched(async () => {
        const s = state();
        const out: ReviewOutcome[] = [];
        for (const p of [...s.fileOrder]) if (s.files[p]!.review !== 'reverted') out.push(await revert(p, o));
        return out;
      }),
  };
}
