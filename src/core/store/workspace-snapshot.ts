// What a command did to the workspace where nothing better than the FileStore port exists (a folder
// that is not a git repository, a store of the tests): the workspace's files (size and times, through
// the store's `list`) before and after it ran, compared. Before it runs, small files are also copied
// (in memory) so that a file the command changes can be reverted to its exact bytes; a file over the
// limits is not copied, and the review says a change to it cannot be reverted. Copies are kept from one
// command to the next while a file's size and times stay the same, so only what changed is read again.
// Listings skip what the store ignores (node_modules, .gitignore'd files, .git, .ensemble), so an
// `npm install` does not flood the review. This costs a listing of the workspace per command: the
// Node adapter (src/node/changes.ts) does better in a git repository.

import type { ChangeMark, ChangeTracker, FileChange, FileStore } from '../ports';

/** Files up to this size are copied before a command runs… */
export const MAX_COPY_BYTES = 1024 * 1024;
/** …up to this much in all (the first files in listing order get copies). */
export const MAX_COPY_TOTAL = 32 * 1024 * 1024;

interface Listed {
  size: number;
  mtimeMs?: number;
  ctimeMs?: number;
}

interface Copy extends Listed {
  bytes: Uint8Array;
}

/** Same size and times: the bytes copied then are the bytes now. */
export function sameFile(a: Listed, b: Listed): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}

/** Copies of files, reused while a file's size and times do not change, within the copy limits. */
export class CopyCache {
  private readonly copies = new Map<string, Copy>();

  /** The bytes of each file now (undefined: not copied), reading only those that changed since their last copy. */
  async take(read: (path: string) => Promise<Uint8Array | undefined>, files: Iterable<[string, Listed]>): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const keep = new Set<string>();
    let total = 0;
    for (const [p, f] of files) {
      if (f.size < 0 || f.size > MAX_COPY_BYTES || total + f.size > MAX_COPY_TOTAL) continue;
      let copy = this.copies.get(p);
      if (!copy || !sameFile(copy, f)) {
        const bytes = await read(p).catch(() => undefined); // unreadable now: no copy, the review says so
        if (bytes === undefined) continue;
        copy = { ...f, bytes };
        this.copies.set(p, copy);
      }
      out.set(p, copy.bytes);
      keep.add(p);
      total += copy.bytes.byteLength;
    }
    for (const p of this.copies.keys()) if (!keep.has(p)) this.copies.delete(p);
    return out;
  }
}

interface ScanMark extends ChangeMark {
  files: Map<string, Listed>;
  copies: Map<string, Uint8Array>;
}

async function listFiles(store: FileStore): Promise<Map<string, Listed>> {
  const entries = await store.list('.', { limit: Number.POSITIVE_INFINITY });
  return new Map(entries.filter((e) => e.type === 'file').map((e) => [e.path, { size: e.size ?? -1, mtimeMs: e.mtimeMs, ctimeMs: e.ctimeMs }]));
}

/** The ChangeTracker of any FileStore: two listings compared, small files copied before. */
export class ScanTracker implements ChangeTracker {
  readonly kind = 'scan';
  private readonly cache = new CopyCache();
  private marks = 0;

  constructor(private readonly store: FileStore) {}

  async mark(): Promise<ScanMark> {
    const files = await listFiles(this.store);
    const copies = await this.cache.take((p) => this.store.read(p), files);
    return { at: ++this.marks, files, copies };
  }

  async since(mark: ChangeMark): Promise<{ changes: FileChange[]; touched: string[] }> {
    const before = mark as ScanMark;
    const after = await listFiles(this.store);
    const changes: FileChange[] = [];
    const touched: string[] = [];
    const changed = (p: string, change: FileChange['change']) => {
      const copy = before.copies.get(p);
      changes.push({ path: p, change, before: copy, beforeKnown: change === 'created' || copy !== undefined });
    };
    for (const [p, a] of after) {
      const b = before.files.get(p);
      if (!b) changed(p, 'created');
      else if (b.size !== a.size || b.mtimeMs !== a.mtimeMs) {
        const copy = before.copies.get(p);
        const now = copy && a.size === copy.byteLength ? await this.store.read(p).catch(() => undefined) : undefined;
        if (copy && now && Buffer.from(now).equals(copy)) touched.push(p);
        else changed(p, 'modified');
      }
    }
    for (const p of before.files.keys()) if (!after.has(p)) changed(p, 'deleted');
    changes.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    return { changes, touched };
  }
}
