// A full disk (ENOSPC) or an exhausted quota (EDQUOT) while the session writes its log, its blobs,
// its report or a workspace file. Nothing can go on usefully (every next write fails, and an agent
// cannot free space), so the session stops and says which disk and which folder, instead of turning it
// into tool errors a model retries, or a bare "failed".

import * as fs from 'node:fs';
import * as path from 'node:path';

const FULL = new Set(['ENOSPC', 'EDQUOT']);

/** ENOSPC or EDQUOT when `e` (or an error it wraps as its cause, like the file store's) says the disk is full. */
export function diskFullCode(e: unknown): 'ENOSPC' | 'EDQUOT' | undefined {
  for (let x = e, depth = 0; x && typeof x === 'object' && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && FULL.has(code)) return code as 'ENOSPC' | 'EDQUOT';
  }
  return undefined;
}

/** The folder a filesystem is mounted at: the highest folder above `p` on the same device. */
export function mountPointOf(p: string): string | undefined {
  try {
    let dir = path.resolve(p);
    while (!fs.existsSync(dir)) dir = path.dirname(dir);
    const dev = fs.statSync(dir).dev;
    for (;;) {
      const up = path.dirname(dir);
      if (up === dir || fs.statSync(up).dev !== dev) return dir;
      dir = up;
    }
  } catch {
    return undefined;
  }
}

/** Bytes free for this user on the filesystem holding `p` (undefined when the platform cannot say). */
export function freeBytes(p: string): number | undefined {
  try {
    const s = fs.statfsSync(p);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

const size = (n: number) =>
  n < 1024
    ? `${n} bytes`
    : n < 1024 ** 2
      ? `${(n / 1024).toFixed(0)} KB`
      : n < 1024 ** 3
        ? `${(n / 1024 ** 2).toFixed(1)} MB`
        : `${(n / 1024 ** 3).toFixed(1)} GB`;

export class DiskFullError extends Error {
  /** The filesystem's mount point, when it could be found. */
  readonly mount: string | undefined;

  constructor(
    /** The folder Ensemble was writing to (the session's folder, or the workspace for a file of it). */
    readonly folder: string,
    readonly code: 'ENOSPC' | 'EDQUOT',
    /** What was being written: "the event log", "src/app.js"… */
    readonly what: string,
  ) {
    const mount = mountPointOf(folder);
    const free = freeBytes(folder);
    const disk = `the disk${mount ? ` mounted at ${mount}` : ''}${free === undefined ? '' : ` (${size(free)} free)`}`;
    super(
      code === 'EDQUOT'
        ? `Your disk quota is exhausted on ${disk}: Ensemble could not write ${what} in ${folder} (EDQUOT), so the session stopped. Free some space or raise the quota, then resume the session.`
        : `The disk is full: Ensemble could not write ${what} in ${folder} (ENOSPC, ${disk}), so the session stopped. Free some space, then resume the session.`,
    );
    this.name = 'DiskFullError';
    this.mount = mount;
  }
}

/** `e` as a DiskFullError when it says the disk is full (it is returned as is when it already is one). */
export function diskFullError(e: unknown, folder: string, what: string): DiskFullError | undefined {
  if (e instanceof DiskFullError) return e;
  const code = diskFullCode(e);
  return code ? new DiskFullError(folder, code, what) : undefined;
}
