// The session's guarded view of the workspace. Every agent read and write goes through here:
// - a write keeps the file's previous bytes (blob) so the review can diff and revert it exactly;
// - no silent overwrite: if the file changed on disk since the session last saw it (the user edited
//   it), the write is refused as a `file.refused` conflict and the user's version stays;
// - paths that escape the workspace or touch .ensemble/.git are refused and recorded.

import type { EnsembleEvent, EventSink } from '../events';
import type { FileEntry, FileStore } from '../ports';
import { BlobStore, sha256 } from './blobs';
import { PathError } from '../node-files';

export interface WriteContext {
  agentId: string;
  taskId?: string;
  role?: string;
  provider?: string;
  model?: string;
}

export type WriteOutcome = { ok: true; change: 'created' | 'modified'; bytes: number } | { ok: false; reason: 'outside_workspace' | 'conflict' | 'protected' | 'invalid'; message: string };

export class SessionFiles {
  /** path → sha the session last saw on disk (null: known absent). */
  private readonly seen = new Map<string, string | null>();
  /** Serialises writes to one path (parallel agents may race on a file). */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: FileStore,
    private readonly blobs: BlobStore,
    private readonly sink: EventSink,
  ) {}

  /** Rebuilds what the session has seen from an earlier run's events (resume). */
  restore(events: readonly EnsembleEvent[]): void {
    for (const e of events) {
      if (e.type === 'file.written') this.seen.set(e.path, e.afterSha);
      else if (e.type === 'file.deleted') this.seen.set(e.path, null);
      else if (e.type === 'review.reverted') this.seen.delete(e.path);
    }
  }

  async list(dir?: string): Promise<FileEntry[]> {
    return this.store.list(dir);
  }

  /** Reads a file as text and remembers its hash; undefined when it does not exist. */
  async read(path: string): Promise<string | undefined> {
    const data = await this.store.read(path);
    if (!this.seen.has(path)) this.seen.set(path, data === undefined ? null : sha256(data));
    return data === undefined ? undefined : Buffer.from(data).toString('utf8');
  }

  write(path: string, content: string, ctx: WriteContext): Promise<WriteOutcome> {
    const prev = this.locks.get(path) ?? Promise.resolve();
    const next = prev.then(
      () => this.writeNow(path, content, ctx),
      () => this.writeNow(path, content, ctx),
    );
    this.locks.set(path, next);
    return next;
  }

  private async writeNow(path: string, content: string, ctx: WriteContext): Promise<WriteOutcome> {
    let before: Uint8Array | undefined;
    try {
      before = await this.store.read(path);
    } catch (e) {
      return this.refuse(path, e, ctx);
    }
    const beforeSha = before === undefined ? null : sha256(before);
    const known = this.seen.get(path);
    if (known !== undefined && known !== beforeSha) {
      const message = `Refused to write ${path}: it changed on disk since this session last saw it (someone edited it). The version on disk was kept; read it again before changing it.`;
      this.sink.emit({ type: 'file.refused', agentId: ctx.agentId, taskId: ctx.taskId, path, reason: 'conflict', message });
      this.seen.delete(path); // the agent may read the new version and try again
      return { ok: false, reason: 'conflict', message };
    }
    if (before !== undefined) this.blobs.put(before);
    const afterSha = this.blobs.put(content);
    try {
      await this.store.write(path, content);
    } catch (e) {
      return this.refuse(path, e, ctx);
    }
    this.seen.set(path, afterSha);
    const change = beforeSha === null ? 'created' : 'modified';
    const bytes = Buffer.byteLength(content);
    this.sink.emit({ type: 'file.written', agentId: ctx.agentId, taskId: ctx.taskId, path, change, beforeSha, afterSha, bytes, role: ctx.role, provider: ctx.provider, model: ctx.model });
    return { ok: true, change, bytes };
  }

  private refuse(path: string, e: unknown, ctx: WriteContext): WriteOutcome {
    if (!(e instanceof PathError)) throw e;
    this.sink.emit({ type: 'file.refused', agentId: ctx.agentId, taskId: ctx.taskId, path, reason: e.reason, message: e.message });
    return { ok: false, reason: e.reason, message: e.message };
  }
}
