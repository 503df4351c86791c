// One writer per workspace: `.ensemble/lock` names the session that runs there (its id, the command
// that started it, its process and since when). A session takes it before it opens its log and gives
// it back when it ends (completed, failed, cancelled, or on an error), so a second `run`, `resume`,
// `demo` or `plan` — from another terminal or from VS Code — stops at once and names the running one,
// and the same session cannot be resumed twice at once.
//
// The file is created whole and atomically: our record is written to a file of our own first, then
// hard-linked to `lock`, which fails when `lock` exists (link, like O_EXCL, is atomic on local
// filesystems and NFS alike). A lock whose process is gone (a crash, `kill -9`, the machine restarted)
// is taken over, by one contender at a time: the taker holds `lock.takeover` (created the same way),
// checks that `lock` is still the very record it found stale, removes it and links its own. A contender
// that arrives meanwhile finds either the stale record (and waits for the takeover) or the new holder
// (alive: it stops); so of any number racing for a stale lock, exactly one gets it.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ENSEMBLE_DIR } from './log';

export interface LockHolder {
  /** The session that holds the workspace. */
  sessionId: string;
  /** What started it: `ensemble run`, `ensemble resume <id>`, `VS Code: Start Orchestration`… */
  command: string;
  pid: number;
  host: string;
  /** When it took the lock (ms since the epoch). */
  startedAt: number;
  /** The process's start time as the kernel counts it (Linux), so that a reused pid is not taken for the holder. */
  procStart?: string;
  /** Unique to this taking of the lock: tells one record from another with the same pid. */
  nonce: string;
}

/** Whether the process that wrote `holder` still runs (true when that cannot be known, e.g. another host). */
export type Liveness = (holder: LockHolder) => boolean;

export const LOCK_FILE = 'lock';

export function lockFile(workspace: string): string {
  return path.join(workspace, ENSEMBLE_DIR, LOCK_FILE);
}

/** The workspace is held by another session (or by this same session, resumed elsewhere). */
export class WorkspaceBusyError extends Error {
  constructor(
    readonly workspace: string,
    readonly holder: LockHolder,
    /** The session asked for is the one running. */
    readonly sameSession: boolean,
  ) {
    const who = `\`${holder.command}\` (pid ${holder.pid}${holder.host === os.hostname() ? '' : ` on ${holder.host}`}) since ${timeText(holder.startedAt)}`;
    super(
      sameSession
        ? `Session ${holder.sessionId} is already running in ${workspace}: ${who}. It cannot run twice at once; wait for it to end, or cancel it there.`
        : `Another Ensemble session is running in ${workspace}: session ${holder.sessionId}, ${who}. Two sessions in one workspace would write over each other's files: wait for it to end, or cancel it there.${holder.host === os.hostname() ? '' : ` If it no longer runs on ${holder.host}, delete ${lockFile(workspace)}.`}`,
    );
    this.name = 'WorkspaceBusyError';
  }
}

/** `YYYY-MM-DD HH:MM:SS` in local time, and how long ago. */
function timeText(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const ago = Math.max(0, Math.round((Date.now() - ms) / 60_000));
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} (${ago < 1 ? 'less than a minute' : ago === 1 ? '1 minute' : ago < 120 ? `${ago} minutes` : `${Math.round(ago / 60)} hours`} ago)`;
}

/** The start time of process `pid` in clock ticks since boot (Linux's /proc/<pid>/stat, field 22); undefined elsewhere. */
function procStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (the command name, in parentheses) may hold spaces: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The real check: the pid exists (EPERM: it does, as another user's) and, where the kernel says, it is the same process. */
export const processLiveness: Liveness = (h) => {
  if (h.host !== os.hostname()) return true; // cannot be checked from here
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (h.procStart === undefined) return true;
  const now = procStart(h.pid);
  return now === undefined || now === h.procStart;
};

function parse(raw: string): LockHolder | undefined {
  try {
    const h = JSON.parse(raw) as LockHolder;
    return h && typeof h.pid === 'number' && typeof h.nonce === 'string' && typeof h.sessionId === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

function readRaw(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Links `from` to `to` unless `to` exists: true when it was created. */
function link(from: string, to: string): boolean {
  try {
    fs.linkSync(from, to);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
  }
  // A filesystem without hard links (FAT, some network shares): created with O_EXCL instead, whole an
  // instant later (a record read half-written is not taken for a stale lock while it is that young).
  try {
    fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** How long a lock file that holds no record is taken for one being written, before it counts as stale. */
const BEING_WRITTEN_MS = 5000;

function young(file: string): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs < BEING_WRITTEN_MS;
  } catch {
    return false;
  }
}

/** Removes `file` if it still holds the record `nonce` names. */
function removeIfOurs(file: string, nonce: string): void {
  const raw = readRaw(file);
  if (raw !== undefined && parse(raw)?.nonce === nonce) fs.rmSync(file, { force: true });
}

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** A takeover guard whose taker died mid-takeover is moved away (and put back if it was not that one after all). */
function breakDeadGuard(guard: string, alive: Liveness): void {
  const raw = readRaw(guard);
  if (raw === undefined) return;
  const h = parse(raw);
  if (h && alive(h)) return; // a takeover under way: wait for it
  const aside = `${guard}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(guard, aside);
  } catch {
    return; // moved by another contender
  }
  if (readRaw(aside) !== raw) link(aside, guard); // a live taker's: put back
  fs.rmSync(aside, { force: true });
}

/** Locks held by this process, released if it exits without releasing them (a second Ctrl-C). */
const held = new Map<string, string>();
let exitHook = false;

export interface WorkspaceLock {
  readonly file: string;
  readonly holder: LockHolder;
  /** The stale holder whose lock was taken over, if there was one. */
  readonly tookOver?: LockHolder;
  /** Gives the workspace back (idempotent; leaves alone a lock that is no longer ours). */
  release(): void;
}

/**
 * Takes the workspace for session `sessionId`, started by `command`; throws WorkspaceBusyError naming
 * the running session when another live process holds it. `alive` is for tests.
 */
export function acquireWorkspaceLock(workspace: string, who: { sessionId: string; command: string }, alive: Liveness = processLiveness): WorkspaceLock {
  const file = lockFile(workspace);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const me: LockHolder = {
    sessionId: who.sessionId,
    command: who.command,
    pid: process.pid,
    host: os.hostname(),
    startedAt: Date.now(),
    procStart: procStart(process.pid),
    nonce: randomBytes(8).toString('hex'),
  };
  const mine = `${file}.${process.pid}.${me.nonce}`;
  fs.writeFileSync(mine, JSON.stringify(me) + '\n', { flag: 'wx' });
  let tookOver: LockHolder | undefined;
  try {
    for (let attempt = 0; attempt < 2000; attempt++) {
      if (link(mine, file)) {
        held.set(file, me.nonce);
        if (!exitHook) {
          exitHook = true;
          process.once('exit', () => {
            for (const [f, nonce] of held) removeIfOurs(f, nonce);
          });
        }
        return {
          file,
          holder: me,
          tookOver,
          release: () => {
            if (held.get(file) !== me.nonce) return;
            held.delete(file);
            removeIfOurs(file, me.nonce);
          },
        };
      }
      const found = readRaw(file);
      if (found === undefined) continue; // released meanwhile
      const holder = parse(found);
      if (holder && alive(holder)) throw new WorkspaceBusyError(workspace, holder, holder.sessionId === who.sessionId);
      if (!holder && young(file)) {
        pause(5);
        continue;
      }
      // Stale (its process is gone) or not a lock record at all: taken over, one contender at a time.
      const guard = `${file}.takeover`;
      if (!link(mine, guard)) {
        breakDeadGuard(guard, alive);
        pause(2);
        continue;
      }
      try {
        if (readRaw(file) === found) {
          fs.rmSync(file, { force: true });
          tookOver = holder;
        }
      } finally {
        removeIfOurs(guard, me.nonce);
      }
    }
    throw new Error(`Could not take the workspace lock ${file}: other Ensemble sessions kept changing it.`);
  } finally {
    fs.rmSync(mine, { force: true });
  }
}

/** Who holds the workspace now, if a live process does (a peek: `acquireWorkspaceLock` decides). */
export function workspaceHolder(workspace: string, alive: Liveness = processLiveness): LockHolder | undefined {
  let raw: string | undefined;
  try {
    raw = readRaw(lockFile(workspace));
  } catch {
    return undefined; // unreadable here: taking the lock will say what is wrong
  }
  const h = raw === undefined ? undefined : parse(raw);
  return h && alive(h) ? h : undefined;
}
