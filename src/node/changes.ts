// The ChangeTracker port on Node, at a cost that grows with what a command changed, not with the
// workspace, when the workspace is (inside) a git repository:
// - a file watcher, started with the session, records every path written since (one fs.watch per
//   folder on Linux, a recursive one elsewhere; node_modules, .git, .ensemble and folders the root
//   .gitignore ignores are not watched). Before and after a command it is flushed (a marker file under
//   .ensemble/tmp: once its event arrives, every earlier event has), so a command's changes are the
//   paths written between the two marks;
// - git says, once at the start, which files are tracked (`ls-files -s`: each file's blob) and which
//   differ from the index or are untracked (`status`). A tracked file that was clean then and that no
//   event has touched since still holds its blob, so its bytes before a command come from git's objects
//   (with the checkout's filters, e.g. line endings) rather than a copy; only the files that were dirty
//   at the start or were written since are copied before a command (kept between commands while their
//   size and times stay the same);
// - `git check-ignore` drops what .gitignore ignores from the paths the watcher reports.
// Where it cannot keep that promise it says so and falls back: no git, or git failing → the scan of
// src/core/store/workspace-snapshot.ts; a watcher that cannot start or flush, or a command that wrote
// so much that the kernel's event queue may have overflowed → `git status` after the command (the
// files now dirty) joins the watcher's paths.

import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore from 'ignore';
import type { ChangeMark, ChangeTracker, FileChange, FileStore } from '../core/ports';
import { isProtectedPath } from '../core/paths';
import { CopyCache, MAX_COPY_BYTES, ScanTracker } from '../core/store/workspace-snapshot';
import { runGit } from './git';
import { NEVER_WATCHED, Watcher } from './watcher';

/** More events than this in one command: the kernel's queue (16,384 by default) may have overflowed; git status checks. */
const EVENT_GUARD = 4096;

type Run = (args: string[], input?: string) => Promise<Buffer>;

/** git in `cwd`, as every adapter runs it (git.ts): nothing written into .git, never a key in its environment. */
function gitRunner(cwd: string): Run {
  return (args, input) => runGit(cwd, args, input === undefined ? {} : { input });
}

const nul = (b: Buffer) => b.toString('utf8').split('\0').filter(Boolean);

interface GitBaseline {
  /** Workspace-relative path → blob sha of tracked files (submodules excluded). */
  tracked: Map<string, string>;
  /** Paths that differed from the index or were untracked when the session started (workspace-relative). */
  dirty: Set<string>;
  /** Folders git reports whole (nested repositories, submodules): every file under them counts as dirty. */
  dirtyDirs: string[];
  /** Whether git converts files on checkout (line endings, filters): blobs then go through `cat-file --filters`. */
  converts: boolean;
}

/**
 * The repository's view of the workspace, or undefined when it is not in a git repository (or git is
 * missing). `clean`: the work tree is known to match its index (a checkout made just now), so git status
 * is not asked — right after a checkout every file is "racily clean" to git, which would read them all.
 */
async function gitBaseline(git: Run, clean = false): Promise<GitBaseline | undefined> {
  let prefix: string;
  try {
    const out = (await git(['rev-parse', '--is-inside-work-tree', '--show-prefix'])).toString('utf8').split('\n');
    if (out[0] !== 'true') return undefined;
    prefix = out[1] ?? '';
  } catch {
    return undefined;
  }
  const [stage, status, attrs, autocrlf] = await Promise.all([
    git(['ls-files', '-s', '-z']),
    clean ? Buffer.alloc(0) : git(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--ignore-submodules=none', '--', '.']),
    git(['ls-files', '-z', '--', '.gitattributes', '*/.gitattributes', ':(top).gitattributes']).catch(() => Buffer.alloc(0)),
    git(['config', '--get', 'core.autocrlf']).catch(() => Buffer.from('')),
  ]);
  const tracked = new Map<string, string>();
  const dirtyDirs: string[] = [];
  for (const line of nul(stage)) {
    const m = /^(\d+) ([0-9a-f]+) \d\t(.*)$/s.exec(line);
    if (!m) continue;
    if (m[1] === '160000')
      dirtyDirs.push(m[3]!); // a submodule: its files are not in this index
    else tracked.set(m[3]!, m[2]!);
  }
  const dirty = new Set<string>();
  for (const entry of nul(status)) {
    const p = entry.slice(3);
    if (!p.startsWith(prefix)) continue;
    const rel = p.slice(prefix.length);
    if (isProtectedPath(rel.replace(/\/$/, ''))) continue; // .ensemble (untracked, Ensemble's own), a nested .git
    if (rel.endsWith('/')) dirtyDirs.push(rel.slice(0, -1));
    else dirty.add(rel);
  }
  const converts =
    nul(attrs).length > 0 || /^(true|input)$/i.test(autocrlf.toString('utf8').trim()) || fs.existsSync(path.join(await gitDir(git), 'info', 'attributes'));
  return { tracked, dirty, dirtyDirs, converts };
}

async function gitDir(git: Run): Promise<string> {
  return (await git(['rev-parse', '--absolute-git-dir'])).toString('utf8').trim();
}

interface GitMark extends ChangeMark {
  /** Watcher sequence at the mark. */
  seq: number;
  /** Bytes now of the files that may differ from their blob (null: absent; undefined: too large to copy). */
  copies: Map<string, Uint8Array | null | undefined>;
}

/** The git + watcher tracker; see the file's header. */
export class GitChangeTracker implements ChangeTracker {
  readonly kind = 'git+watch';
  private readonly cache = new CopyCache();
  private marks = 0;
  private constructor(
    private readonly root: string,
    private readonly store: FileStore,
    private readonly git: Run,
    private readonly base: GitBaseline,
    private readonly watcher: Watcher,
  ) {}

  /** Starts watching and reads git's view; undefined when the workspace is not in a git repository. `clean`: see gitBaseline. */
  static async open(root: string, store: FileStore, opts: { clean?: boolean } = {}): Promise<GitChangeTracker | undefined> {
    const git = gitRunner(root);
    const ig = ignore().add([...NEVER_WATCHED].map((n) => `${n}/`));
    try {
      ig.add(await fs.promises.readFile(path.join(root, '.gitignore'), 'utf8'));
    } catch {
      // no .gitignore at the root: git check-ignore still filters what nested ones ignore
    }
    const watcher = new Watcher(root, ig);
    // The watcher first: a write after git's look is then seen by the watcher, one before it by git.
    await watcher.start().catch((e: unknown) => (watcher.broken = `it could not start (${(e as Error).message})`));
    const base = await gitBaseline(git, opts.clean).catch(() => undefined);
    if (!base) {
      watcher.close();
      return undefined;
    }
    return new GitChangeTracker(root, store, git, base, watcher);
  }

  private sortedTracked: string[] | undefined;

  /** The tracked files under folder `dir`: a range of the sorted paths, found by binary search. */
  private trackedUnder(dir: string): string[] {
    const all = (this.sortedTracked ??= [...this.base.tracked.keys()].sort());
    const prefix = `${dir}/`;
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (all[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < all.length && all[i]!.startsWith(prefix); i++) out.push(all[i]!);
    return out;
  }

  /** Why the watcher is not trusted (git status then checks after each command), if it is not. */
  get degraded(): string | undefined {
    return this.watcher.broken;
  }

  close(): void {
    this.watcher.close();
  }

  /** Files that may not hold their blob now: dirty at the start, under folders git reports whole, or written since. */
  private async maybeDirty(): Promise<Set<string>> {
    const out = new Set(this.base.dirty);
    for (const p of this.watcher.last.keys()) out.add(p);
    for (const dir of this.base.dirtyDirs) for (const e of await this.store.list(dir, { limit: Number.POSITIVE_INFINITY }).catch(() => [])) out.add(e.path);
    return out;
  }

  async mark(): Promise<GitMark> {
    await this.watcher.flush();
    const seq = this.watcher.seq;
    const files: [string, { size: number; mtimeMs?: number; ctimeMs?: number }][] = [];
    const copies = new Map<string, Uint8Array | null | undefined>();
    for (const p of await this.maybeDirty()) {
      if (isProtectedPath(p)) continue;
      const st = await this.store.stat(p).catch(() => undefined);
      if (!st) copies.set(p, null);
      else if (st.type === 'file') {
        copies.set(p, undefined);
        files.push([p, { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs }]);
      }
    }
    for (const [p, bytes] of await this.cache.take((p) => this.store.read(p), files)) copies.set(p, bytes);
    return { at: ++this.marks, seq, copies };
  }

  async since(mark: ChangeMark): Promise<{ changes: FileChange[]; touched: string[] }> {
    const m = mark as GitMark;
    await this.watcher.flush();
    const candidates = new Set<string>();
    let events = 0;
    for (const [p, seq] of this.watcher.last) {
      if (seq <= m.seq) continue;
      events++;
      candidates.add(p);
    }
    // A folder removed or renamed away: the files known under it (a path known as a file is none).
    for (const p of [...candidates]) {
      if (this.base.tracked.has(p) || m.copies.has(p) || fs.existsSync(path.join(this.root, p))) continue;
      for (const t of this.trackedUnder(p)) candidates.add(t);
      for (const t of m.copies.keys()) if (t.startsWith(`${p}/`)) candidates.add(t);
    }
    if (this.watcher.broken || events > EVENT_GUARD || this.watcher.seq - m.seq > EVENT_GUARD) {
      for (const p of await this.statusNow()) candidates.add(p);
      for (const p of m.copies.keys()) candidates.add(p);
    }
    const files: string[] = [];
    for (const p of candidates) if (!isProtectedPath(p) && !this.base.dirtyDirs.some((d) => p === d)) files.push(p);
    const ignored = await this.ignoredOf(files.filter((p) => !this.base.tracked.has(p)));
    const changes: FileChange[] = [];
    const touched: string[] = [];
    const fromGit: { path: string; sha: string }[] = [];
    const now = new Map<string, Uint8Array | undefined>();
    for (const p of files.sort()) {
      if (ignored.has(p)) continue;
      const st = await this.store.stat(p).catch(() => undefined);
      if (st && st.type !== 'file') continue;
      const data = st ? await this.store.read(p).catch(() => undefined) : undefined;
      now.set(p, data);
      const before = m.copies.has(p) ? m.copies.get(p) : this.base.tracked.has(p) ? 'git' : null;
      if (before === 'git') fromGit.push({ path: p, sha: this.base.tracked.get(p)! });
      else if (before === null) {
        if (data !== undefined) changes.push({ path: p, change: 'created', beforeKnown: true });
      } else if (before === undefined) {
        // too large to copy: changed unless its size and times are as they were (not known here), so reported
        changes.push({ path: p, change: data === undefined ? 'deleted' : 'modified', beforeKnown: false });
      } else if (data === undefined) changes.push({ path: p, change: 'deleted', before, beforeKnown: true });
      else if (Buffer.from(data).equals(before)) touched.push(p);
      else changes.push({ path: p, change: 'modified', before, beforeKnown: true });
    }
    const blobs = await this.blobs(fromGit);
    for (const { path: p } of fromGit) {
      const data = now.get(p);
      const before = blobs.get(p);
      if (before === undefined) changes.push({ path: p, change: data === undefined ? 'deleted' : 'modified', beforeKnown: false });
      else if (data === undefined) changes.push({ path: p, change: 'deleted', before, beforeKnown: true });
      else if (Buffer.from(data).equals(before)) touched.push(p);
      else changes.push({ path: p, change: 'modified', before, beforeKnown: true });
    }
    changes.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
    return { changes, touched: touched.sort() };
  }

  /** The workspace's dirty files now, by git (the fallback when the watcher may have missed something). */
  private async statusNow(): Promise<string[]> {
    const prefix = (await this.git(['rev-parse', '--show-prefix'])).toString('utf8').trim();
    const out = await this.git(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--', '.']);
    return nul(out)
      .map((e) => e.slice(3))
      .filter((p) => p.startsWith(prefix) && !p.endsWith('/'))
      .map((p) => p.slice(prefix.length));
  }

  private async ignoredOf(paths: string[]): Promise<Set<string>> {
    if (!paths.length) return new Set();
    // Exit code 1: none is ignored.
    const out = await this.git(['check-ignore', '--no-index', '-z', '--stdin'], paths.join('\0') + '\0').catch(() => Buffer.alloc(0));
    return new Set(nul(out));
  }

  /** The bytes of each file's blob as a checkout writes them (through the filters where git converts); sizes bounded by MAX_COPY_BYTES × 64. */
  private async blobs(files: { path: string; sha: string }[]): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    if (!files.length) return out;
    if (this.base.converts) {
      for (const f of files) {
        const data = await this.git(['cat-file', '--filters', `--path=${f.path}`, f.sha]).catch(() => undefined);
        if (data) out.set(f.path, new Uint8Array(data));
      }
      return out;
    }
    const data = await catBatch(
      this.root,
      files.map((f) => f.sha),
    );
    files.forEach((f, i) => {
      const d = data[i];
      if (d && d.byteLength <= MAX_COPY_BYTES * 64) out.set(f.path, d);
    });
    return out;
  }
}

/** `git cat-file --batch` for many blobs in one process; undefined for a missing one (all of them when git fails). */
async function catBatch(cwd: string, shas: string[]): Promise<(Uint8Array | undefined)[]> {
  const buf = await runGit(cwd, ['cat-file', '--batch'], { input: shas.join('\n') + '\n' }).catch(() => Buffer.alloc(0));
  const out: (Uint8Array | undefined)[] = [];
  let at = 0;
  for (let i = 0; i < shas.length; i++) {
    const nl = buf.indexOf(10, at);
    if (nl < 0) break;
    const header = buf.subarray(at, nl).toString('utf8').split(' ');
    at = nl + 1;
    if (header[1] !== 'blob') {
      out.push(undefined);
      continue;
    }
    const size = Number(header[2]);
    out.push(new Uint8Array(buf.subarray(at, at + size)));
    at += size + 1;
  }
  while (out.length < shas.length) out.push(undefined);
  return out;
}

/** How long after the session starts the tracker begins to open, unless a command needs it sooner. */
const OPEN_DELAY_MS = 250;

/**
 * The best tracker for a workspace: git + watcher in a git repository, else the scan. Opened in the
 * background a moment after the session starts (its walk of the workspace's folders and git's look
 * would otherwise slow the session's start, whose steps wait on the same event loop), or at once when
 * a command needs it first: the first mark waits for it.
 */
export function nodeChangeTracker(root: string, store: FileStore, opts: { clean?: boolean } = {}): ChangeTracker {
  let opened: Promise<GitChangeTracker | undefined> | undefined;
  const open = () => {
    clearTimeout(timer);
    return (opened ??= GitChangeTracker.open(root, store, opts).catch(() => undefined));
  };
  const timer = setTimeout(open, OPEN_DELAY_MS);
  timer.unref?.();
  let chosen: ChangeTracker | undefined;
  const pick = async () => (chosen ??= (await open()) ?? new ScanTracker(store));
  return {
    get kind() {
      return chosen?.kind ?? 'pending';
    },
    mark: async () => (await pick()).mark(),
    since: async (mark) => (await pick()).since(mark),
    close: () => {
      clearTimeout(timer);
      void opened?.then((t) => t?.close());
    },
  };
}
