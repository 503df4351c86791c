// The file watcher of the change tracker (src/node/changes.ts): records every path written under a
// root, one fs.watch per folder on Linux (Node's recursive watch there walks everything, node_modules
// included) and one recursive watch elsewhere; node_modules, .git, .ensemble and the folders the given
// rules ignore are not watched. `flush` makes sure every write made before it is recorded: it writes a
// marker file under .ensemble/tmp and waits for its event (events arrive in order), and for the scans
// of folders that appeared meanwhile.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Ignore } from 'ignore';

/** Never watched: too big or not the project's own. */
export const NEVER_WATCHED = new Set(['node_modules', '.git', '.ensemble']);
/** How long a flush may wait for its marker's event before the watcher is taken as broken. */
const FLUSH_TIMEOUT_MS = 3000;
const COOKIE_DIR = path.join('.ensemble', 'tmp');

/**
 * Records every path written under a root: one fs.watch per folder (Linux, where Node's recursive
 * watch walks everything, node_modules included), one recursive watch elsewhere. `seq` numbers the
 * events; `last` holds each path's latest.
 */
export class Watcher {
  seq = 0;
  readonly last = new Map<string, number>();
  broken: string | undefined;
  private readonly handles = new Map<string, fs.FSWatcher>();
  private readonly inodes = new Map<string, number>();
  private pendingScans = 0;
  private readonly idle: (() => void)[] = [];
  private cookies = 0;
  private readonly waiting = new Map<string, () => void>();
  private closed = false;
  private readonly perFolder = process.platform === 'linux';

  constructor(
    private readonly root: string,
    private readonly ignored: Ignore,
  ) {}

  async start(): Promise<void> {
    fs.mkdirSync(path.join(this.root, COOKIE_DIR), { recursive: true });
    this.watchCookies();
    if (this.perFolder) await this.add('');
    else this.watch('', true);
  }

  close(): void {
    this.closed = true;
    for (const h of this.handles.values()) h.close();
    this.handles.clear();
  }

  /** Resolves once every event of a write made before the call has been recorded. */
  async flush(): Promise<void> {
    if (this.broken) return;
    const name = `watch-${process.pid}-${++this.cookies}`;
    const file = path.join(this.root, COOKIE_DIR, name);
    const seen = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), FLUSH_TIMEOUT_MS);
      this.waiting.set(name, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    try {
      try {
        fs.writeFileSync(file, '');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        // .ensemble/tmp was removed meanwhile: made and watched again
        this.handles.get(COOKIE_DIR)?.close();
        this.handles.delete(COOKIE_DIR);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        this.watchCookies();
        fs.writeFileSync(file, '');
      }
    } catch (e) {
      this.waiting.delete(name);
      this.broken = `its marker could not be written (${(e as Error).message})`;
      return;
    }
    const ok = await seen;
    this.waiting.delete(name);
    fs.rmSync(file, { force: true });
    if (!ok) this.broken = 'its marker event never arrived';
    if (this.pendingScans) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private watchCookies(): void {
    const dir = path.join(this.root, COOKIE_DIR);
    const h = fs.watch(dir, { persistent: false }, (_event, name) => {
      const done = name ? this.waiting.get(name.toString()) : undefined;
      done?.();
    });
    h.on('error', () => (this.broken = 'the watch of .ensemble/tmp failed'));
    this.handles.set(COOKIE_DIR, h);
  }

  private record(rel: string): void {
    this.last.set(rel, ++this.seq);
  }

  private skip(rel: string, dir: boolean): boolean {
    const parts = rel.split('/');
    if (parts.some((p) => NEVER_WATCHED.has(p))) return true;
    return this.ignored.ignores(dir ? `${rel}/` : rel);
  }

  private watch(rel: string, recursive = false): void {
    if (this.closed || this.handles.has(rel)) return;
    const abs = path.join(this.root, rel);
    let h: fs.FSWatcher;
    let ino: number;
    try {
      ino = fs.statSync(abs).ino;
      h = fs.watch(abs, { persistent: false, recursive }, (_event, name) => {
        if (!name) {
          this.broken ??= 'the system did not name a changed file';
          return;
        }
        const child = (rel ? `${rel}/` : '') + name.toString().split(path.sep).join('/');
        if (child.split('/').some((p) => NEVER_WATCHED.has(p))) return;
        this.record(child);
        if (this.perFolder) void this.recheck(child);
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return; // gone already: its parent's event says so
      this.broken = `a folder could not be watched (${code ?? (e as Error).message}${code === 'ENOSPC' ? ': the system limit of watches is reached' : ''})`;
      return;
    }
    h.on('error', () => this.unwatch(rel));
    this.handles.set(rel, h);
    this.inodes.set(rel, ino);
  }

  /** Stops watching `rel` and every folder below it (removed, or moved elsewhere: a watch follows its folder). */
  private unwatch(rel: string): void {
    const prefix = `${rel}/`;
    for (const [k, h] of this.handles) {
      if (k !== rel && !k.startsWith(prefix)) continue;
      h.close();
      this.handles.delete(k);
      this.inodes.delete(k);
    }
  }

  /**
   * A path written may be a folder that appeared (watch it, and record what it already holds: written
   * before the watch began) or a watched folder that went or was replaced (its watches go).
   */
  private async recheck(rel: string): Promise<void> {
    this.pendingScans++;
    try {
      const st = await fs.promises.lstat(path.join(this.root, rel)).catch(() => undefined);
      const watched = this.inodes.get(rel);
      if (watched !== undefined && (!st?.isDirectory() || st.ino !== watched)) this.unwatch(rel);
      if (st?.isDirectory() && !this.handles.has(rel) && !this.skip(rel, true)) await this.add(rel, true);
    } finally {
      if (--this.pendingScans === 0) for (const f of this.idle.splice(0)) f();
    }
  }

  /**
   * Watches `rel` and every folder below it; `fresh`: records the files found (they appeared with it).
   * Synchronous reads (three times faster here than the thread pool's) in slices of ~4 ms, so that a
   * large tree does not hold up the session's other work.
   */
  private async add(rel: string, fresh = false): Promise<void> {
    const todo = [rel];
    let slice = Date.now();
    while (todo.length) {
      const dir = todo.pop()!;
      this.watch(dir);
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(path.join(this.root, dir), { withFileTypes: true });
      } catch {
        continue; // gone or unreadable: its parent's events say what happened
      }
      for (const e of entries) {
        const child = dir ? `${dir}/${e.name}` : e.name;
        if (e.isDirectory()) {
          if (!this.skip(child, true)) todo.push(child);
        } else if (fresh) this.record(child);
      }
      if (Date.now() - slice > 4) {
        await new Promise((resolve) => setImmediate(resolve));
        slice = Date.now();
      }
    }
  }
}
