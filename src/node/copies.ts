// The WorkspaceCopier port on Node: a private copy of the workspace for each candidate of a best-of-N
// task, outside the workspace (so that the user's watchers — tsc --watch, jest, VS Code — never see it):
// `<tmp>/ensemble-copies-<uid>/<12 hex of sha256(real workspace path)>/<session>/<task>.<n>`, folders of
// mode 0700.
//
// In a git repository: a detached `git worktree` of a commit of the current state. The state is taken
// without touching the user's index, HEAD, refs, stash or files: the index is copied to a temporary
// file, `git add -A` runs on that copy (git's stat cache: only the files that changed are read), then
// `write-tree` and `commit-tree` (with HEAD as its parent when there is one; no ref names it, git's gc
// removes it in time). Uncommitted changes and untracked files are in it; ignored files and `.ensemble`
// are not. Copies asked for together share one snapshot. No hook of the user's runs (`core.hooksPath`
// leads nowhere). git's record of each worktree is made and removed one at a time per repository (git
// is not safe there), the checkouts run in parallel. When the workspace is a folder inside the
// repository, the whole repository is checked out and the copy's root is that folder in it. Submodules
// are not checked out (their folders are empty in the copy); a nested repository that is not a
// submodule is not copied either.
//
// Elsewhere: the files the workspace's FileStore lists (not what .gitignore ignores, nor node_modules,
// .git, .ensemble, nor symbolic links) are cloned (copy-on-write where the file system can) or copied,
// a few at a time, keeping their mode. Never hard links: a command appending to one would change the
// user's file.
//
// In both, each node_modules folder at the workspace's top level and one or two levels down
// (packages/x/node_modules) is a symbolic link to the workspace's, not a copy (a command that installs
// packages in a copy changes the workspace's); the copy's tracker never reports it. Removing a copy
// removes its folder and git's record of its worktree (`git worktree remove`, which also works once the
// folder is gone); `sweep` does that for every copy of this workspace left by a cancelled, crashed or
// killed run. `git worktree prune` is never run: it would also forget the user's own worktrees whose
// folder is missing for a while (an unplugged disk).

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { WorkspaceCopier, WorkspaceCopy } from '../core/ports';
import { childEnv } from '../core/quality/validation';
import { nodeChangeTracker } from './changes';
import { NodeFileStore } from './file-store';
import { GitError, runGit } from './git';
import { RipgrepSearch } from './ripgrep';

/** Files copied at a time where there is no git (the thread pool has 4 threads by default). */
const COPY_POOL = 16;
/** A git call that takes longer than this is stopped (a checkout of a very large repository may take minutes). */
const GIT_TIMEOUT_MS = 10 * 60_000;
/** Folders looked into for a node_modules to link, at most (a workspace with thousands of top-level folders). */
const MAX_LINK_PROBES = 2000;
/** The commit's author and committer. */
const IDENTITY = {
  GIT_AUTHOR_NAME: 'Ensemble',
  GIT_AUTHOR_EMAIL: 'ensemble@localhost',
  GIT_COMMITTER_NAME: 'Ensemble',
  GIT_COMMITTER_EMAIL: 'ensemble@localhost',
};

export interface CopierOptions {
  /** The ripgrep program for the copies' search (see RipgrepOptions). */
  rgPath?: string;
  /** Where `ensemble-copies-<uid>` is made (default: the system's temporary folder); tests give their own. */
  tmpRoot?: string;
  /**
   * Keep a removed worktree until `close` and bring it to a later race's state (O(change)) instead of
   * checking one out whole again: what a session does (nodeWorkspace); off, `remove` removes at once.
   */
  reuse?: boolean;
}

/** git as every adapter runs it (git.ts), its output as text; a checkout of a very large repository may take minutes. */
async function git(cwd: string, args: string[], opts: { env?: Record<string, string>; signal?: AbortSignal } = {}): Promise<string> {
  return (await runGit(cwd, args, { ...opts, timeoutMs: GIT_TIMEOUT_MS })).toString('utf8');
}

/** Stops a parked worktree's wait to refresh its index (see settle), and waits for a refresh under way. */
async function unsettle(p: Parked): Promise<void> {
  p.settling.stop.abort();
  await p.settling.done;
}

/** Resolves `p`, or rejects with the signal's reason as soon as it aborts (`p` then goes on unawaited). */
function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Runs `work` alone among this process's changes to one repository's list of worktrees (keyed by its
 * common git folder). git itself is not safe there: a `worktree add` or `remove` reads every worktree's
 * record, and fails on one another command is writing ("failed to read .git/worktrees/<id>/commondir").
 * Only the bookkeeping is serialised; checkouts and deletions of files run in parallel.
 */
const worktreeLocks = new Map<string, Promise<void>>();
async function worktreeLock<T>(common: string, work: () => Promise<T>): Promise<T> {
  const before = worktreeLocks.get(common) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const chained = before.then(() => mine);
  worktreeLocks.set(common, chained);
  await before;
  try {
    return await work();
  } finally {
    release();
    if (worktreeLocks.get(common) === chained) worktreeLocks.delete(common);
  }
}

/** A snapshot in the making, and how many copies wait for it (when none does any more, it is stopped). */
interface SharedSnapshot {
  result: Promise<Snapshot>;
  waiting: number;
  stop: AbortController;
}

/** What the copies of one moment are made from. */
type Snapshot =
  { kind: 'git'; top: string; prefix: string; common: string; commit: string } | { kind: 'copy'; files: string[] } | { kind: 'error'; error: Error };

/** A folder name from one part of a copy's name: letters, digits, `.`, `_` and `-`; never `.` or `..`. */
function safePart(part: string): string {
  const s = part.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
  return s === '' || /^\.+$/.test(s) ? `_${s}` : s;
}

/** Makes `dir` (mode 0700) if missing; if it exists, it must be a folder of this user that nobody else may enter. */
async function privateDir(dir: string): Promise<void> {
  await fs.promises.mkdir(dir, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  const st = await fs.promises.lstat(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && (st.uid !== uid || (st.mode & 0o077) !== 0)))
    throw new Error(`${dir} is not a private folder of this user (a link, someone else's, or open to others): copies are not made there`);
}

/**
 * Deletes a folder and everything in it: `rm -rf` where there is one (several times faster than Node's
 * recursive fs.rm on thousands of files), else fs.rm.
 */
async function removeTree(dir: string): Promise<void> {
  if (process.platform !== 'win32') {
    const done = await new Promise<boolean>((resolve) => {
      const child = spawn('rm', ['-rf', '--', dir], { env: childEnv(process.env), stdio: 'ignore' });
      child.on('error', () => resolve(false));
      child.on('close', (code) => resolve(code === 0));
    });
    if (done) return;
  }
  await fs.promises.rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Runs `work` on every item, `limit` at a time; the first failure stops the rest and is thrown. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Links the workspace's node_modules folders (top level, and one and two levels down) into the copy
 * where the copy has the folder that holds it and nothing of that name yet.
 */
async function linkNodeModules(workspace: string, copy: string): Promise<void> {
  const dirs: string[] = [''];
  let probes = 0;
  const subfolders = async (rel: string): Promise<string[]> => {
    const entries = await fs.promises.readdir(path.join(workspace, rel), { withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules').map((e) => (rel ? `${rel}/${e.name}` : e.name));
  };
  for (const one of await subfolders('')) {
    dirs.push(one);
    if (++probes > MAX_LINK_PROBES) break;
    for (const two of await subfolders(one)) {
      dirs.push(two);
      if (++probes > MAX_LINK_PROBES) break;
    }
    if (probes > MAX_LINK_PROBES) break;
  }
  await pool(dirs, 8, async (rel) => {
    const target = path.join(workspace, rel, 'node_modules');
    if (!(await fs.promises.stat(target).catch(() => undefined))?.isDirectory()) return;
    const parent = path.join(copy, rel);
    if (!(await fs.promises.stat(parent).catch(() => undefined))?.isDirectory()) return; // not in the copy (ignored, or empty)
    const link = path.join(parent, 'node_modules');
    if (await fs.promises.lstat(link).catch(() => undefined)) return; // the repository tracks one: it is the copy's own
    await fs.promises.symlink(target, link, process.platform === 'win32' ? 'junction' : 'dir');
  });
}

/** The most worktrees kept between a session's races (the most candidates a task can have). */
const MAX_PARKED = 4;
/**
 * How long after a checkout a parked worktree's index is refreshed: git holds a file whose time is not
 * before its index's as "racily clean" and reads it whole at the next checkout (file times in seconds).
 */
const RACY_MS = 1100;

/** A worktree kept for a later race; `settling`: its index being refreshed meanwhile (see settle). */
interface Parked {
  dir: string;
  common: string;
  prefix: string;
  settling: { stop: AbortController; done: Promise<void> };
}

export class NodeWorkspaceCopier implements WorkspaceCopier {
  private readonly workspace: string;
  private readonly tmpRoot: string;
  private realWorkspace: string | undefined;
  /** The snapshot that copies asked for now share (made once for copies asked for in the same moment). */
  private queued: SharedSnapshot | undefined;
  /**
   * Worktrees of this session's earlier races, kept to be brought to a later race's state — a checkout
   * of what differs, O(change) — rather than checked out whole again (until `close`).
   */
  private readonly parked: Parked[] = [];
  /** Copies being made ahead (`prepare`), each settling once parked. */
  private readonly preparing = new Set<Promise<void>>();
  /** Stops the copies being made ahead when the session ends (a checkout of a large repository takes a while). */
  private readonly ahead = new AbortController();
  private closed = false;

  constructor(
    workspaceRoot: string,
    private readonly opts: CopierOptions = {},
  ) {
    this.workspace = path.resolve(workspaceRoot);
    this.tmpRoot = path.resolve(opts.tmpRoot ?? os.tmpdir());
  }

  /** `<tmp>/ensemble-copies-<uid>`: this user's (the temporary folder's real path: git records a worktree's real path). */
  private get userDir(): string {
    const uid = process.getuid?.() ?? safePart(os.userInfo().username);
    let tmp = this.tmpRoot;
    try {
      tmp = fs.realpathSync(tmp);
    } catch {
      // not made yet: create makes it
    }
    return path.join(tmp, `ensemble-copies-${uid}`);
  }

  /** The folder of this workspace's copies. */
  private get base(): string {
    this.realWorkspace ??= fs.realpathSync(this.workspace);
    return path.join(this.userDir, createHash('sha256').update(this.realWorkspace).digest('hex').slice(0, 12));
  }

  async create(name: string, signal?: AbortSignal, ahead = false): Promise<WorkspaceCopy> {
    signal?.throwIfAborted();
    const parts = name.split('/').filter(Boolean).map(safePart);
    if (!parts.length) throw new Error(`a copy needs a name (got ${JSON.stringify(name)})`);
    if (this.base.startsWith(this.realWorkspace! + path.sep))
      throw new Error(`the temporary folder ${this.tmpRoot} is inside the workspace: the candidates' copies cannot be made there`);
    // Asked for before the first await: copies asked for together (Promise.all) share one snapshot.
    const snapshot = this.snapshot();
    await fs.promises.mkdir(this.tmpRoot, { recursive: true });
    const base = this.base;
    await privateDir(this.userDir);
    await privateDir(base);
    let parent = base;
    for (const part of parts.slice(0, -1)) await privateDir((parent = path.join(parent, part)));
    // The copy's folder is claimed by making it: a name already taken (a retry) gets a suffix.
    const leaf = parts[parts.length - 1]!;
    let dir = '';
    for (let n = 1; ; n++) {
      dir = path.join(parent, n === 1 ? leaf : `${leaf}-${n}`);
      try {
        await fs.promises.mkdir(dir, { mode: 0o700 });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 1000) throw e;
      }
    }
    let common: string | undefined; // set once a worktree may exist
    try {
      const snap = await this.awaitSnapshot(snapshot, signal);
      if (snap.kind === 'error') throw snap.error;
      let root = dir;
      if (ahead && snap.kind !== 'git') throw new Error('only worktrees are made ahead (a plain copy is not kept between races)');
      if (snap.kind === 'git') {
        // Copies being made ahead (prepare) are waited for and brought to this state, not made a second time.
        while (!ahead && !this.parkedFor(snap) && this.preparing.size) await abortable(Promise.race(this.preparing), signal);
        const reused = await this.reuse(snap, signal);
        if (reused) {
          await fs.promises.rmdir(dir).catch(() => undefined); // the folder claimed for a new one
          return reused;
        }
        const repo = (common = snap.common);
        const failed = (e: unknown) => {
          throw e instanceof GitError ? new Error(`could not make a git worktree for the candidate: ${e.stderr}`) : e;
        };
        // git's record of the worktree (alone: see worktreeLock), then its files (in parallel with the others').
        // The record is not stopped half-way (it takes milliseconds): a stopped `worktree add` can leave a
        // part of it that no git command removes.
        await worktreeLock(repo, () => git(snap.top, ['worktree', 'add', '--detach', '--no-checkout', '--quiet', dir, snap.commit])).catch(failed);
        signal?.throwIfAborted();
        await git(dir, ['reset', '--hard', '--quiet', '--no-recurse-submodules'], { signal }).catch(failed);
        root = path.join(dir, snap.prefix);
        await fs.promises.mkdir(root, { recursive: true }); // a workspace folder with no file in it
      } else {
        await this.copyFiles(snap.files, dir, signal);
      }
      signal?.throwIfAborted();
      await linkNodeModules(this.realWorkspace!, root);
      signal?.throwIfAborted();
      return this.copy(root, dir, common);
    } catch (e) {
      await this.removeDir(dir, common);
      await fs.promises.rmdir(parent).catch(() => undefined); // the session's folder, unless another copy is in it
      throw signal?.aborted ? signal.reason : e;
    }
  }

  /**
   * A parked worktree of the same repository brought to `snap`'s commit: HEAD detached there with the
   * files that differ checked out, then everything else the last candidate left (untracked or ignored
   * files, but the node_modules links) removed — as a fresh checkout would be. Undefined when none is
   * parked, or when bringing it there fails (it is removed then, and a new one made).
   */
  private async reuse(snap: Extract<Snapshot, { kind: 'git' }>, signal?: AbortSignal): Promise<WorkspaceCopy | undefined> {
    const i = this.parked.findIndex((p) => this.matches(p, snap));
    if (i < 0) return undefined;
    const [p] = this.parked.splice(i, 1);
    try {
      await unsettle(p!);
      await git(p!.dir, ['checkout', '--quiet', '--force', '--detach', '--no-recurse-submodules', snap.commit], { signal });
      await git(p!.dir, ['clean', '-ffdxq', '-e', 'node_modules'], { signal });
      const root = path.join(p!.dir, snap.prefix);
      await fs.promises.mkdir(root, { recursive: true });
      await linkNodeModules(this.realWorkspace!, root);
      return this.copy(root, p!.dir, snap.common);
    } catch (e) {
      await this.removeDir(p!.dir, p!.common);
      if (signal?.aborted) throw signal.reason;
      return undefined;
    }
  }

  private matches(p: { common: string; prefix: string }, snap: Extract<Snapshot, { kind: 'git' }>): boolean {
    return p.common === snap.common && path.join('.', p.prefix) === path.join('.', snap.prefix);
  }

  private parkedFor(snap: Extract<Snapshot, { kind: 'git' }>): boolean {
    return this.parked.some((p) => this.matches(p, snap));
  }

  /**
   * Starts making copies ahead of the races (with `reuse`, up to `count` kept in all): a race's copies are
   * then brought to its state (O(change)) instead of checked out whole when its task starts.
   */
  prepare(count: number): void {
    if (!this.opts.reuse || this.closed) return;
    const more = Math.min(count, MAX_PARKED) - this.parked.length - this.preparing.size;
    for (let i = 0; i < more; i++) {
      const made: Promise<void> = this.create(`ahead/${randomBytes(3).toString('hex')}`, this.ahead.signal, true)
        .then((c) => c.remove())
        .catch(() => undefined) // a copy that cannot be made ahead is made (or fails, saying why) when a race asks for it
        .finally(() => this.preparing.delete(made));
      this.preparing.add(made);
    }
  }

  /** Removes the worktrees kept for reuse; called when the session ends (a crashed run's are swept at the next start). */
  async close(): Promise<void> {
    this.closed = true;
    this.ahead.abort(new Error('the session ended'));
    await Promise.all([...this.preparing]);
    await Promise.all(this.parked.splice(0).map(async (p) => (await unsettle(p), await this.removeDir(p.dir, p.common))));
    await removeTree(this.base).catch(() => undefined);
  }

  /** The workspace's state now (see the file's header): shared by the copies asked for before it starts. */
  private snapshot(): SharedSnapshot {
    if (this.queued) {
      this.queued.waiting++;
      return this.queued;
    }
    const stop = new AbortController();
    const shared: SharedSnapshot = { waiting: 1, stop, result: Promise.resolve({ kind: 'copy', files: [] }) };
    shared.result = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      if (this.queued === shared) this.queued = undefined; // copies asked for from now on see the workspace from now on
      return this.takeSnapshot(stop.signal).catch((e: unknown): Snapshot => ({ kind: 'error', error: e instanceof Error ? e : new Error(String(e)) }));
    });
    this.queued = shared;
    return shared;
  }

  /**
   * The shared snapshot for one copy. When the last copy waiting for it is cancelled, the snapshot is
   * stopped, and has removed its temporary index, before this rejects: a cancel leaves nothing behind.
   */
  private async awaitSnapshot(shared: SharedSnapshot, signal?: AbortSignal): Promise<Snapshot> {
    try {
      return await abortable(shared.result, signal);
    } catch (e) {
      if (signal?.aborted && --shared.waiting === 0) {
        shared.stop.abort(signal.reason);
        await shared.result; // settles at once now, and never rejects
      }
      throw e;
    }
  }

  private async takeSnapshot(signal: AbortSignal): Promise<Snapshot> {
    const ws = (this.realWorkspace ??= fs.realpathSync(this.workspace));
    let top: string;
    let prefix: string;
    let index: string;
    let common: string;
    try {
      const lines = (
        await git(ws, ['rev-parse', '--is-inside-work-tree', '--show-toplevel', '--show-prefix', '--git-path', 'index', '--git-common-dir'], { signal })
      ).split('\n');
      if (lines[0] !== 'true') return await this.listFiles();
      top = lines[1]!;
      prefix = lines[2]!;
      index = path.resolve(ws, lines[3]!);
      common = path.resolve(ws, lines[4]!);
    } catch {
      signal.throwIfAborted();
      return await this.listFiles(); // not a git repository, or no git
    }
    // A workspace folder that its repository ignores is not in any commit of it.
    if (
      prefix &&
      (await git(top, ['check-ignore', '-q', '--', prefix.replace(/\/$/, '')], { signal }).then(
        () => true,
        () => false,
      ))
    )
      return await this.listFiles();
    const head = await git(top, ['rev-parse', '-q', '--verify', 'HEAD^{commit}'], { signal }).then(
      (out) => out.trim(),
      () => undefined, // no commit yet
    );
    signal.throwIfAborted();
    await fs.promises.mkdir(this.tmpRoot, { recursive: true });
    const base = this.base;
    await privateDir(this.userDir);
    await privateDir(base);
    const tmpIndex = path.join(base, `.index-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      const env = { GIT_INDEX_FILE: tmpIndex };
      // Every file as it is now, in a copy of the index (its stat cache spares reading unchanged files).
      await fs.promises.copyFile(index, tmpIndex).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e; // no index yet: every file is read
      });
      await git(top, ['add', '-A', '--', '.', ':(exclude,glob)**/.ensemble/**'], { env, signal });
      const tree = (await git(top, ['write-tree'], { env, signal })).trim();
      const commit = (
        await git(top, ['commit-tree', '--no-gpg-sign', '-m', 'Ensemble: the workspace for a candidate', ...(head ? ['-p', head] : []), tree], {
          env: IDENTITY,
          signal,
        })
      ).trim();
      return { kind: 'git', top, prefix, common, commit };
    } catch (e) {
      signal.throwIfAborted();
      throw new Error(`could not take the workspace's state for the candidates: ${e instanceof GitError ? e.stderr : (e as Error).message}`);
    } finally {
      await Promise.all([tmpIndex, `${tmpIndex}.lock`].map((f) => fs.promises.rm(f, { force: true }).catch(() => undefined)));
    }
  }

  private async listFiles(): Promise<Snapshot> {
    const store = new NodeFileStore(this.realWorkspace!);
    return { kind: 'copy', files: (await store.list('.', { limit: Number.POSITIVE_INFINITY })).map((e) => e.path) };
  }

  /** Clones or copies `files` from the workspace into `dir`, keeping each file's mode. */
  private async copyFiles(files: readonly string[], dir: string, signal?: AbortSignal): Promise<void> {
    const from = this.realWorkspace!;
    const folders = new Set<string>();
    for (const f of files) {
      const slash = f.lastIndexOf('/');
      if (slash > 0) folders.add(f.slice(0, slash));
    }
    // The folders first, parents before their children.
    for (const folder of [...folders].sort()) {
      signal?.throwIfAborted();
      await fs.promises.mkdir(path.join(dir, folder), { recursive: true });
    }
    await pool(files, COPY_POOL, async (f) => {
      signal?.throwIfAborted();
      try {
        await fs.promises.copyFile(path.join(from, f), path.join(dir, f), fs.constants.COPYFILE_FICLONE);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // removed since it was listed
        throw new Error(`could not copy ${f} for the candidate: ${(e as Error).message}`);
      }
    });
  }

  /** The copy made in `dir`, rooted at `root`; `common`: the common git folder of the repository it is a worktree of. */
  private copy(root: string, dir: string, common: string | undefined): WorkspaceCopy {
    const kind = common ? 'git-worktree' : 'copy';
    const store = new NodeFileStore(root);
    // A worktree matches its commit when it is made: git status is not asked when the tracker opens. The
    // node_modules links are never reported: the store lists no link, and refuses one leading outside the copy.
    const tracker = nodeChangeTracker(root, store, { clean: kind === 'git-worktree' });
    let removing: Promise<void> | undefined;
    return {
      root,
      kind,
      store,
      tracker,
      search: new RipgrepSearch(root, { rgPath: this.opts.rgPath }),
      remove: () =>
        (removing ??= (async () => {
          tracker.close?.();
          // A worktree is kept for this session's next race (brought to its state then), a few at most.
          if (common && this.opts.reuse && !this.closed && this.parked.length < MAX_PARKED) {
            this.parked.push(this.settle({ dir, common, prefix: path.relative(dir, root) }));
            return;
          }
          await this.removeDir(dir, common);
          // The session's folder goes with its last copy.
          await fs.promises.rmdir(path.dirname(dir)).catch(() => undefined);
        })()),
    };
  }

  /**
   * Parks worktree `p` and starts refreshing its index once the clock has moved past its files' times
   * (RACY_MS): a checkout writes the files and the index in the same second, so every file is "racily
   * clean" and the next checkout — a race's, waiting — would read them all (1.6 s for 31,021 files in
   * memory, far more on a slow disk); refreshed, it reads only what differs (0.06 s). A race taking it
   * before then stops the wait (its checkout then reads what it must); a refresh under way is awaited.
   */
  private settle(p: Omit<Parked, 'settling'>): Parked {
    const stop = new AbortController();
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, RACY_MS);
      timer.unref?.();
      stop.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    }).then(async () => {
      if (stop.signal.aborted) return;
      // Exits 1 when a file differs from the index (nothing to refresh then): either way the index is as good as it gets.
      await git(p.dir, ['update-index', '-q', '--refresh'], { signal: this.ahead.signal }).catch(() => undefined);
    });
    return { ...p, settling: { stop, done } };
  }

  /**
   * Removes a copy's folder and, for a worktree of the repository whose common git folder is `common`,
   * git's record of it: the files first (in parallel with anything), then the record (git removes the
   * record of a worktree whose folder is gone).
   */
  private async removeDir(dir: string, common: string | undefined): Promise<void> {
    await removeTree(dir);
    if (!common) return;
    await worktreeLock(common, async () => {
      await git(this.realWorkspace ?? this.workspace, ['worktree', 'remove', '-f', '-f', dir]).catch(() => undefined); // `-f -f`: also one still marked as being made
    });
  }

  async sweep(): Promise<number> {
    const base = this.base;
    let sessions: fs.Dirent[];
    try {
      sessions = await fs.promises.readdir(base, { withFileTypes: true });
    } catch {
      return 0; // no copy was ever made here (or the folder cannot be read: there is nothing of ours in it)
    }
    const copies: string[] = [];
    for (const s of sessions) {
      if (!s.isDirectory()) continue; // a temporary index
      const inside = await fs.promises.readdir(path.join(base, s.name), { withFileTypes: true }).catch(() => []);
      for (const c of inside) if (c.isDirectory()) copies.push(path.join(base, s.name, c.name));
    }
    // The worktrees git knows under this folder, also those whose folder is gone.
    const ws = this.realWorkspace!;
    const common = await git(ws, ['rev-parse', '--git-common-dir']).then(
      (out) => path.resolve(ws, out.trim()),
      () => undefined, // not a git repository (any more): the folders are all there is
    );
    const known = !common
      ? []
      : await worktreeLock(common, () => git(ws, ['worktree', 'list', '--porcelain'])).then(
          (out) =>
            out
              .split('\n')
              .filter((l) => l.startsWith('worktree '))
              .map((l) => path.resolve(l.slice('worktree '.length)))
              .filter((p) => p.startsWith(base + path.sep)),
          () => [] as string[],
        );
    await pool([...new Set([...copies, ...known])], 2, (dir) =>
      this.removeDir(dir, common && (known.includes(dir) || fs.existsSync(path.join(dir, '.git'))) ? common : undefined),
    );
    await removeTree(base);
    return new Set([...copies, ...known]).size;
  }
}
