// What a command did to the workspace, without watching it: the workspace's files (size and
// modification time, through the FileStore's `list`, as the session baseline takes them) before and
// after it ran, compared. Before it runs, small files are also copied (in memory) so that a file the
// command changes can be reverted to its exact bytes; a file over the limits is not copied, and the
// review says a change to it cannot be reverted. Listings skip what the store ignores (node_modules,
// .gitignore'd files, .git, .ensemble), so an `npm install` does not flood the review.

import type { FileStore } from '../ports';

/** Files up to this size are copied before a command runs… */
export const MAX_COPY_BYTES = 1024 * 1024;
/** …up to this much in all (the first files in listing order get copies). */
export const MAX_COPY_TOTAL = 32 * 1024 * 1024;

export interface WorkspaceSnapshot {
  files: Map<string, { size: number; mtimeMs?: number }>;
  /** The bytes of the files that were copied. */
  copies: Map<string, Uint8Array>;
}

export async function takeSnapshot(store: FileStore, opts: { copy: boolean }): Promise<WorkspaceSnapshot> {
  const entries = await store.list('.', { limit: Number.POSITIVE_INFINITY });
  const files = new Map(entries.filter((e) => e.type === 'file').map((e) => [e.path, { size: e.size ?? -1, mtimeMs: e.mtimeMs }]));
  const copies = new Map<string, Uint8Array>();
  let total = 0;
  if (opts.copy) {
    for (const [p, f] of files) {
      if (f.size < 0 || f.size > MAX_COPY_BYTES || total + f.size > MAX_COPY_TOTAL) continue;
      const data = await store.read(p).catch(() => undefined); // unreadable now: no copy, the review says so
      if (data === undefined) continue;
      copies.set(p, data);
      total += data.byteLength;
    }
  }
  return { files, copies };
}

/** The paths that differ between two snapshots (by size or modification time), and how. */
export function changedPaths(before: WorkspaceSnapshot, after: WorkspaceSnapshot): { path: string; change: 'created' | 'modified' | 'deleted' }[] {
  const out: { path: string; change: 'created' | 'modified' | 'deleted' }[] = [];
  for (const [p, a] of after.files) {
    const b = before.files.get(p);
    if (!b) out.push({ path: p, change: 'created' });
    else if (b.size !== a.size || b.mtimeMs !== a.mtimeMs) out.push({ path: p, change: 'modified' });
  }
  for (const p of before.files.keys()) if (!after.files.has(p)) out.push({ path: p, change: 'deleted' });
  return out.sort((x, y) => x.path.localeCompare(y.path));
}
