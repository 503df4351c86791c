// The session's guarded view of the workspace. Every agent read and write goes through here:
// - a write keeps the file's previous bytes (blob) so the review can diff and revert it exactly;
// - no silent overwrite: a write is refused as a `file.refused` conflict, and the user's version
//   stays, when the file on disk is not what the session last saw (read or wrote) or, for a file it
//   never saw, not what was there when the session started or resumed (the baseline); when a file
//   appeared since then; or when the editor holds unsaved changes to it (`isDirty`);
// - paths the FileStore refuses (src/core/paths.ts) and any other failure are a tool error the model
//   can act on, never a session failure.

import type { EnsembleEvent, EventOf, EventSink } from '../events';
import { WriteConflictError, type ChangeMark, type ChangeTracker, type FileEntry, type FileStat, type FileStore } from '../ports';
import { BlobStore, sha256 } from './blobs';
import { normaliseFilePath, PathError, type PathRefusal } from '../paths';
import { ScanTracker } from './workspace-snapshot';
import { REDACTED } from '../redact';

export interface WriteContext {
  agentId: string;
  taskId?: string;
  role?: string;
  provider?: string;
  model?: string;
}

/**
 * `failed`: not a refusal of the path but an I/O failure (permissions, a full disk); `rejected`: the
 * change itself could not apply (an edit whose text is not in the file). Nothing was changed.
 */
export type WriteOutcome =
  { ok: true; change: 'created' | 'modified'; bytes: number } | { ok: false; reason: PathRefusal | 'conflict' | 'failed' | 'rejected'; message: string };

/**
 * A change computed from the file's current content (undefined: it does not exist), inside the write's
 * lock and after its conflict check: the new content, or why it cannot apply.
 */
export type Change = (current: Uint8Array | undefined) => { ok: true; content: string } | { ok: false; message: string };

/** Whether an editor holds unsaved changes to a workspace-relative path (the VS Code binding answers). */
export type DirtyCheck = (path: string) => boolean | Promise<boolean>;

/**
 * What the workspace looked like when the session started or resumed: the file system's clock then (a
 * file whose change time is not earlier changed since), or, for a store without a clock, every file's
 * size and modification time.
 */
type Baseline = { since: number } | { files: Map<string, { size: number; mtimeMs?: number }> };

/** The workspace before a command (the tracker's mark), and how many writes the session had made by then. */
export type CommandSnapshot = { mark: ChangeMark; writes: number };

export class SessionFiles {
  /** path → sha the session last saw on disk (null: known absent). */
  private readonly seen = new Map<string, string | null>();
  /** What each file looked like when the session started or resumed; undefined until `begin`. */
  private baseline: Baseline | undefined;
  /** Writes logged as begun (`file.writing`) in an earlier run, whose end was never logged. */
  private pending: EventOf<'file.writing'>[] = [];
  /** Serialises writes to one path (parallel agents may race on a file). */
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Counts the session's own writes; `writtenAt` holds the count at each path's last write. */
  private writes = 0;
  private readonly writtenAt = new Map<string, number>();

  constructor(
    private readonly store: FileStore,
    private readonly blobs: BlobStore,
    private readonly sink: EventSink,
    private readonly isDirty?: DirtyCheck,
    /** Finds what a command changed (default: two listings of the store compared). */
    private readonly tracker: ChangeTracker = new ScanTracker(store),
  ) {}

  /** How this session finds what a command changed (`git+watch`, `scan`…). */
  get trackerKind(): string {
    return this.tracker.kind;
  }

  /** Stops watching the workspace (the session ended). */
  close(): void {
    this.tracker.close?.();
  }

  /** Rebuilds what the session has seen from an earlier run's events (resume): its own writes count as its own. */
  restore(events: readonly EnsembleEvent[]): void {
    const open = new Map<string, EventOf<'file.writing'>>();
    for (const e of events) {
      if (e.type === 'file.writing') open.set(e.path, e);
      else if (e.type === 'file.written') {
        this.seen.set(e.path, e.afterSha);
        open.delete(e.path);
      } else if (e.type === 'file.deleted') this.seen.set(e.path, null);
      else if (e.type === 'file.changed') this.seen.set(e.path, e.afterSha);
      else if (e.type === 'review.reverted') this.seen.delete(e.path);
    }
    this.pending = [...open.values()];
  }

  /**
   * Called when the session starts or resumes, before any agent runs: records the baseline (the file
   * system's clock: one probe, whatever the workspace's size; a store without a clock lists every file's
   * size and modification time), and settles writes an earlier run was killed in the middle of (the
   * file on disk says whether the write landed; if it did, it is logged).
   */
  async begin(): Promise<void> {
    for (const w of this.pending) {
      const disk = await this.store.read(w.path).catch(() => undefined);
      if (disk === undefined || sha256(disk) !== w.afterSha) continue; // it never landed: the file is as before
      const { type: _intent, v: _v, seq: _seq, ts: _ts, ...body } = w;
      this.sink.emit({ ...body, type: 'file.written' });
      this.seen.set(w.path, w.afterSha);
    }
    this.pending = [];
    const since = await this.store.clock?.().catch(() => undefined);
    if (since !== undefined) this.baseline = { since };
    else {
      const entries = await this.store.list('.', { limit: Number.POSITIVE_INFINITY });
      this.baseline = { files: new Map(entries.map((e) => [e.path, { size: e.size ?? -1, mtimeMs: e.mtimeMs }])) };
    }
  }

  async list(dir?: string, opts?: { limit?: number }): Promise<FileEntry[]> {
    return this.store.list(dir, opts);
  }

  /**
   * The workspace for looking only (search_files): its reads do not count as the session having seen a
   * file, so a later write of a file only searched is guarded as one never read.
   */
  get reader(): Pick<FileStore, 'list' | 'read' | 'stat'> {
    return { list: (dir, opts) => this.store.list(dir, opts), read: (p) => this.store.read(p), stat: (p) => this.store.stat(p) };
  }

  /** Reads a file as text and remembers its hash; undefined when it does not exist. */
  async read(path: string): Promise<string | undefined> {
    const p = normaliseFilePath(path);
    const data = await this.store.read(p);
    if (!this.seen.has(p)) this.seen.set(p, data === undefined ? null : sha256(data));
    return data === undefined ? undefined : Buffer.from(data).toString('utf8');
  }

  write(path: string, content: string, ctx: WriteContext): Promise<WriteOutcome> {
    return this.update(path, () => ({ ok: true, content }), ctx);
  }

  /**
   * Changes a file with `change`, computed from its content at the moment of writing, under the same
   * guard as `write` (a conflict is refused before `change` runs). The edit_file tool goes through here.
   */
  update(path: string, change: Change, ctx: WriteContext): Promise<WriteOutcome> {
    return this.serialised(path, ctx, (p) => this.writeNow(p, change, ctx));
  }

  /** Runs `work` on the normalised path once the writes to it before have ended (a path the rules refuse is refused at once). */
  private serialised<T>(path: string, ctx: WriteContext, work: (p: string) => Promise<T>): Promise<T | WriteOutcome> {
    let p: string;
    try {
      p = normaliseFilePath(path);
    } catch (e) {
      return Promise.resolve(this.refuse(path, e, ctx));
    }
    const prev = this.locks.get(p) ?? Promise.resolve();
    const next = prev.then(
      () => work(p),
      () => work(p),
    );
    this.locks.set(p, next);
    return next;
  }

  private async writeNow(path: string, produce: Change, ctx: WriteContext): Promise<WriteOutcome> {
    try {
      const before = await this.store.read(path);
      const beforeSha = before === undefined ? null : sha256(before);
      const conflict = await this.conflict(path, beforeSha);
      if (conflict) return this.conflicted(path, ctx, `Refused to write ${path}: ${conflict}`);
      const produced = produce(before);
      if (!produced.ok) return { ok: false, reason: 'rejected', message: produced.message };
      const content = produced.content;
      // What models are sent is redacted: a model writing back a file it read would put the placeholder
      // where the user's secret is. More placeholders than the file holds now: refused, the file kept.
      if (count(content, REDACTED) > (before === undefined ? 0 : count(Buffer.from(before).toString('utf8'), REDACTED))) {
        return {
          ok: false,
          reason: 'rejected',
          message: `Refused to write ${path}: the new content holds ${REDACTED}, the placeholder for a secret you were not shown. Writing it would replace the secret in the file. Change the file with edit_file around the lines that hold ${REDACTED}, leaving them as they are.`,
        };
      }
      return await this.land(path, before, content, ctx, (message) => this.conflicted(path, ctx, message));
    } catch (e) {
      return this.refuse(path, e, ctx);
    }
  }

  /** Refuses a write as a conflict (`file.refused`): the version on disk is kept, and the session forgets what it saw of the file. */
  private conflicted(path: string, ctx: WriteContext, message: string): WriteOutcome {
    this.sink.emit({ type: 'file.refused', agentId: ctx.agentId, taskId: ctx.taskId, path, reason: 'conflict', message });
    this.seen.delete(path); // the agent may read the new version and try again
    return { ok: false, reason: 'conflict', message };
  }

  /**
   * Writes `content` over `before` (undefined: absent) once the guard let it: both kept as blobs, the
   * write logged as begun (`file.writing`: a run killed between the write and its record is settled on
   * resume), then replaced only if the file still holds `before` — a save landing meanwhile is kept, not
   * lost, and `onConflict` says so — then logged as done (`file.written`).
   */
  private async land(
    path: string,
    before: Uint8Array | undefined,
    content: Uint8Array | string,
    ctx: WriteContext,
    onConflict: (message: string) => WriteOutcome,
  ): Promise<WriteOutcome> {
    const beforeSha = before === undefined ? null : this.blobs.put(before);
    const afterSha = this.blobs.put(content);
    const change = beforeSha === null ? 'created' : 'modified';
    const bytes = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
    const body = {
      agentId: ctx.agentId,
      taskId: ctx.taskId,
      path,
      change,
      beforeSha,
      afterSha,
      bytes,
      role: ctx.role,
      provider: ctx.provider,
      model: ctx.model,
    } as const;
    this.sink.emit({ type: 'file.writing', ...body });
    try {
      await this.store.write(path, content, { expect: before ?? null });
    } catch (e) {
      if (!(e instanceof WriteConflictError)) throw e;
      return onConflict(
        `Refused to write ${path}: it changed on disk while it was being written (someone saved it). The version on disk was kept; read it again before changing it.`,
      );
    }
    this.seen.set(path, afterSha);
    this.writtenAt.set(path, ++this.writes);
    this.sink.emit({ type: 'file.written', ...body });
    return { ok: true, change, bytes };
  }

  /**
   * Applies one file of a candidate's change (best of several) to the workspace, under the same guard as
   * every write, serialised with them: refused as a `file.refused` conflict, the user's version kept, when
   * an editor holds unsaved changes to it or when the workspace's file is not what the candidate started
   * from — its bytes (`base.bytes`, null: absent), or, when those were not kept, unchanged since the
   * copy was made (`base.since`, the file system's clock then). `after` null deletes the file. Logged as
   * the task's `file.written` / `file.deleted`, so the review can diff and revert it byte for byte.
   */
  apply(
    path: string,
    base: { bytes: Uint8Array | null } | { since: number },
    after: Uint8Array | null,
    ctx: WriteContext,
  ): Promise<WriteOutcome | { ok: true; change: 'deleted' }> {
    return this.serialised(path, ctx, (p) => this.applyNow(p, base, after, ctx));
  }

  private async applyNow(
    path: string,
    base: { bytes: Uint8Array | null } | { since: number },
    after: Uint8Array | null,
    ctx: WriteContext,
  ): Promise<WriteOutcome | { ok: true; change: 'deleted' }> {
    const refused = (why: string): WriteOutcome =>
      this.conflicted(path, ctx, `Refused to apply the candidate's change to ${path}: ${why} The version in the workspace was kept.`);
    try {
      if (await this.isDirty?.(path)) return refused('it is open in the editor with unsaved changes.');
      const current = await this.store.read(path);
      if ('bytes' in base) {
        const same = current === undefined || base.bytes === null ? current === undefined && base.bytes === null : Buffer.from(current).equals(base.bytes);
        if (!same) return refused('it changed in the workspace since the candidates started from it (someone edited it).');
      } else {
        const st = await this.store.stat(path);
        const changedAt = st?.ctimeMs ?? st?.mtimeMs;
        if (st && (changedAt === undefined || changedAt >= base.since))
          return refused('it changed in the workspace since the candidates started from it (someone edited it), or Ensemble cannot tell that it did not.');
      }
      if (after === null) {
        if (current === undefined) return { ok: true, change: 'deleted' };
        const beforeSha = this.blobs.put(current);
        await this.store.remove(path);
        this.seen.set(path, null);
        this.writtenAt.set(path, ++this.writes);
        this.sink.emit({ type: 'file.deleted', agentId: ctx.agentId, taskId: ctx.taskId, path, beforeSha });
        return { ok: true, change: 'deleted' };
      }
      return await this.land(path, current, after, ctx, () => refused('it changed on disk while it was being written (someone saved it).'));
    } catch (e) {
      return this.refuse(path, e, ctx);
    }
  }

  /** The workspace before a command runs (the tracker's mark), to be settled after it. */
  async beforeCommand(): Promise<CommandSnapshot> {
    return { mark: await this.tracker.mark(), writes: this.writes };
  }

  /**
   * After a command ran: records each file it created, changed or deleted as a `file.changed` of the
   * task (with the bytes before and after in the blobs where the session has them), and adopts the new
   * content as what the session last saw, so that the agent's next write is not a conflict (also for a
   * file it rewrote with the same bytes). A file the session itself wrote meanwhile (a parallel agent)
   * is that write's, not the command's.
   */
  async afterCommand(
    before: CommandSnapshot,
    ctx: WriteContext & { commandId: string },
  ): Promise<{ path: string; change: 'created' | 'modified' | 'deleted' }[]> {
    const { changes, touched } = await this.tracker.since(before.mark);
    const out: { path: string; change: 'created' | 'modified' | 'deleted' }[] = [];
    for (const { path, change, before: was, beforeKnown } of changes) {
      const data = change === 'deleted' ? undefined : await this.store.read(path).catch(() => undefined);
      const afterSha = data === undefined ? null : sha256(data);
      if ((this.writtenAt.get(path) ?? 0) > before.writes && afterSha === this.seen.get(path)) continue;
      if (data !== undefined) this.blobs.put(data);
      const beforeSha = was !== undefined ? this.blobs.put(was) : null;
      this.sink.emit({
        type: 'file.changed',
        agentId: ctx.agentId,
        taskId: ctx.taskId,
        commandId: ctx.commandId,
        path,
        change,
        beforeSha,
        beforeKnown,
        afterSha,
        role: ctx.role,
        provider: ctx.provider,
        model: ctx.model,
      });
      this.seen.set(path, afterSha);
      out.push({ path, change });
    }
    for (const path of touched) {
      const data = await this.store.read(path).catch(() => undefined);
      if (data !== undefined) this.seen.set(path, sha256(data));
    }
    return out;
  }

  /** Why writing over the file now would lose someone's work (and what to do); undefined when it would not. */
  private async conflict(path: string, diskSha: string | null): Promise<string | undefined> {
    const reread = 'The version on disk was kept; read it again before changing it.';
    if (await this.isDirty?.(path))
      return 'it is open in the editor with unsaved changes, which were kept. Leave this file alone and mention the change you wanted in your summary.';
    const known = this.seen.get(path);
    if (known !== undefined) return known === diskSha ? undefined : `it changed on disk since this session last saw it (someone edited it). ${reread}`;
    if (diskSha === null || !this.baseline) return undefined; // absent, or no baseline was taken (a bare SessionFiles)
    const now: FileStat | undefined = await this.store.stat(path);
    if ('since' in this.baseline) {
      const changedAt = now?.ctimeMs ?? now?.mtimeMs;
      if (changedAt === undefined || changedAt >= this.baseline.since)
        return `it was created or changed on disk since this session started (by someone else) and this session has not read it. ${reread}`;
      return undefined;
    }
    const base = this.baseline.files.get(path);
    if (!base)
      return `it was not in the workspace when this session started (someone created it since, or .gitignore hides it) and this session has not read it. ${reread}`;
    if (!now || now.size !== base.size || now.mtimeMs !== base.mtimeMs)
      return `it changed on disk since this session started (someone edited it) and this session has not read it. ${reread}`;
    return undefined;
  }

  /** A failed write as the model sees it: a PathError is a recorded refusal, anything else a failure. */
  private refuse(path: string, e: unknown, ctx: WriteContext): WriteOutcome {
    if (e instanceof PathError) {
      this.sink.emit({ type: 'file.refused', agentId: ctx.agentId, taskId: ctx.taskId, path, reason: e.reason, message: e.message });
      return { ok: false, reason: e.reason, message: e.message };
    }
    return { ok: false, reason: 'failed', message: e instanceof Error ? e.message : String(e) };
  }
}

/** How many times `needle` stands in `text`. */
function count(text: string, needle: string): number {
  let n = 0;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) n++;
  return n;
}
