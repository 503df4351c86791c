// The plain-filesystem FileStore, rooted at the workspace. Used by the CLI, the extension (whose
// host runs where the workspace is) and the tests. Every path is checked before any I/O, on the path
// as given and on the real path it resolves to (src/core/paths.ts): escapes, symbolic links that
// leave the root or lead into a .git/.ensemble folder, and names no filesystem accepts are refused
// with a PathError. Writes go through a temporary file under .ensemble/tmp (same filesystem, so the
// rename is atomic), never next to the user's file, and leftovers of a killed run are swept.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import ignore, { type Ignore } from 'ignore';
import { WriteConflictError, type FileEntry, type FileStat, type FileStore } from '../core/ports';
import { isProtectedPath, normaliseFilePath, normaliseRelative, PathError, protectedError, quote } from '../core/paths';

const DEFAULT_LIST_LIMIT = 2000;
const TMP_DIR = path.join('.ensemble', 'tmp');

type Op = 'read' | 'write' | 'remove' | 'list';

/** A filesystem error in words a model (or a person) can act on; path-shaped ones become PathErrors. */
function explain(rel: string, op: Op, e: unknown): Error {
  if (e instanceof PathError || e instanceof WriteConflictError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  const q = quote(rel);
  switch (code) {
    case 'EISDIR':
      return new PathError(rel, 'invalid', `Refused ${q}: it is a folder, not a file.`);
    case 'ENOTDIR':
      return new PathError(rel, 'invalid', `Refused ${q}: a part of it is a file, not a folder.`);
    case 'ENAMETOOLONG':
      return new PathError(rel, 'invalid', `Refused ${q}: the path is longer than the filesystem accepts.`);
    case 'ELOOP':
      return new PathError(rel, 'invalid', `Refused ${q}: it goes through a loop of symbolic links.`);
    case 'EACCES':
    case 'EPERM':
      return new Error(`Could not ${op} ${q}: permission denied.`, { cause: e });
    case 'EROFS':
      return new Error(`Could not ${op} ${q}: the workspace is on a read-only filesystem.`, { cause: e });
    case 'ENOSPC':
    case 'EDQUOT':
      return new Error(`Could not ${op} ${q}: the disk is full.`, { cause: e });
    default:
      return new Error(`Could not ${op} ${q}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}

function lexists(abs: string): boolean {
  try {
    fs.lstatSync(abs);
    return true;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class NodeFileStore implements FileStore {
  readonly root: string;
  private readonly realRoot: string;
  private tmpMade = false;
  /** The rules of each .gitignore read so far, by absolute path, with the text they were made from. */
  private readonly gitignores = new Map<string, { text: string; ig: Ignore }>();

  constructor(root: string) {
    this.root = path.resolve(root);
    fs.mkdirSync(this.root, { recursive: true });
    this.realRoot = fs.realpathSync(this.root);
  }

  /**
   * The real absolute path `rel` leads to (following symbolic links), inside the root and outside
   * any .git/.ensemble folder; throws PathError. `norm` must be normalised already.
   */
  private real(rel: string, norm: string): string {
    if (isProtectedPath(norm)) throw protectedError(rel);
    if (norm === '.') return this.realRoot;
    // The deepest part of the path that exists (a dangling link counts) decides where it really leads.
    let probe = path.join(this.realRoot, norm);
    const rest: string[] = [];
    while (probe !== this.realRoot && !lexists(probe)) {
      rest.unshift(path.basename(probe));
      probe = path.dirname(probe);
    }
    let real: string;
    try {
      real = fs.realpathSync(probe);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new PathError(rel, 'invalid', `Refused ${quote(rel)}: it goes through a symbolic link whose target does not exist.`);
      throw explain(rel, 'read', e);
    }
    if (real !== this.realRoot && !real.startsWith(this.realRoot + path.sep)) {
      throw new PathError(rel, 'outside_workspace', `Refused ${quote(rel)}: it leads outside the workspace through a symbolic link.`);
    }
    const realRel = path.relative(this.realRoot, real).split(path.sep).join('/');
    if (isProtectedPath(realRel)) throw protectedError(rel, realRel);
    if (rest.length && !fs.statSync(real).isDirectory()) {
      throw new PathError(
        rel,
        'invalid',
        `Refused ${quote(rel)}: ${quote(path.relative(this.realRoot, real).split(path.sep).join('/'))} is a file, not a folder.`,
      );
    }
    return path.join(real, ...rest);
  }

  /** Resolves a workspace-relative path to the real absolute one it leads to; throws PathError. */
  resolve(rel: string): string {
    return this.real(rel, normaliseRelative(rel));
  }

  async read(rel: string): Promise<Uint8Array | undefined> {
    const abs = this.real(rel, normaliseFilePath(rel));
    try {
      const st = await fs.promises.stat(abs);
      if (st.isDirectory()) throw new PathError(rel, 'invalid', `Refused ${quote(rel)}: it is a folder, not a file; use list_files to see what it holds.`);
      if (!st.isFile()) throw new PathError(rel, 'invalid', `Refused ${quote(rel)}: it is not a regular file.`);
      return await fs.promises.readFile(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw explain(rel, 'read', e);
    }
  }

  async stat(rel: string): Promise<FileStat | undefined> {
    const abs = this.real(rel, normaliseRelative(rel));
    try {
      const st = await fs.promises.stat(abs);
      return { type: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other', size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw explain(rel, 'read', e);
    }
  }

  async write(rel: string, data: Uint8Array | string, opts: { expect?: Uint8Array | null } = {}): Promise<void> {
    const norm = normaliseFilePath(rel);
    let tmp: string | undefined;
    try {
      const abs = this.real(rel, norm);
      const existing = await fs.promises.stat(abs).catch(() => undefined);
      if (existing?.isDirectory()) throw new PathError(rel, 'invalid', `Refused ${quote(rel)}: it is a folder, not a file.`);
      if (!existing) {
        await fs.promises.mkdir(path.dirname(abs), { recursive: true });
        // Re-check after creating folders: a folder on the way may have been replaced by a link meanwhile.
        if (this.real(rel, norm) !== abs)
          throw new PathError(rel, 'outside_workspace', `Refused ${quote(rel)}: the folders on its way changed while it was being written.`);
      }
      const tmpDir = path.join(this.realRoot, TMP_DIR);
      const file = (tmp = path.join(tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}`));
      // The temporary folder is made once per store (and again if it was removed meanwhile).
      if (!this.tmpMade) await fs.promises.mkdir(tmpDir, { recursive: true });
      await fs.promises.writeFile(tmp, data).catch(async (e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT' || !this.tmpMade) throw e;
        await fs.promises.mkdir(tmpDir, { recursive: true });
        await fs.promises.writeFile(file, data);
      });
      this.tmpMade = true;
      if (existing?.isFile()) await fs.promises.chmod(tmp, existing.mode & 0o7777); // an executable script stays executable
      if (opts.expect !== undefined) {
        await this.replaceIfUnchanged(rel, abs, file, opts.expect);
        tmp = undefined;
        return;
      }
      try {
        await fs.promises.rename(tmp, abs);
        tmp = undefined; // renamed: nothing is left to remove
      } catch (e) {
        // A folder on another filesystem (a mount inside the workspace): no atomic rename is possible there.
        if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
        await fs.promises.copyFile(file, abs);
      }
    } catch (e) {
      throw explain(rel, 'write', e);
    } finally {
      if (tmp) await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  /**
   * Puts `tmp` at `abs` only if `abs` holds `expect` (null: nothing) at that moment, so that a save by
   * someone else in between is never lost, and `abs` is never missing, even if the process is killed
   * half-way. A new file is linked into place (which fails if someone created it meanwhile). An existing
   * one gets a second name under .ensemble/tmp first: its bytes are compared there; right before the
   * rename, `abs` must still be that same file (not replaced by someone's save); after the rename, the
   * old file is read once more — a save that was still writing into it wins, and is put back. On any
   * mismatch the other version is what stays at `abs`, and WriteConflictError is thrown.
   */
  private async replaceIfUnchanged(rel: string, abs: string, tmp: string, expect: Uint8Array | null): Promise<void> {
    const same = async (file: string) => {
      const now = await fs.promises.readFile(file).catch(() => undefined);
      return now !== undefined && expect !== null && Buffer.from(now).equals(expect);
    };
    const noLinks = (e: unknown) => ['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes((e as NodeJS.ErrnoException).code ?? '');
    try {
      if (expect === null) {
        try {
          await fs.promises.link(tmp, abs);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new WriteConflictError(rel);
          if (!noLinks(e)) throw e;
          // No hard links here (or a mount inside the workspace): checked right before the move.
          if (
            await fs.promises.lstat(abs).then(
              () => true,
              () => false,
            )
          )
            throw new WriteConflictError(rel);
          await this.move(tmp, abs);
        }
        return;
      }
      const aside = `${tmp}.old`;
      try {
        await fs.promises.link(abs, aside);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new WriteConflictError(rel);
        if (!noLinks(e)) throw e;
        if (!(await same(abs))) throw new WriteConflictError(rel);
        await this.move(tmp, abs);
        return;
      }
      try {
        if (!(await same(aside))) throw new WriteConflictError(rel);
        const [a, b] = await Promise.all([fs.promises.stat(abs).catch(() => undefined), fs.promises.stat(aside)]);
        if (!a || (a.ino !== b.ino && b.ino !== 0)) throw new WriteConflictError(rel); // replaced by someone's save
        await fs.promises.rename(tmp, abs);
        if (!(await same(aside))) {
          // A save was still writing into the old file as it was replaced: that save wins.
          await fs.promises.rename(aside, abs);
          throw new WriteConflictError(rel);
        }
      } finally {
        await fs.promises.rm(aside, { force: true }).catch(() => undefined);
      }
    } finally {
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  /** A rename, or a copy where `to` is on another file system (a mount inside the workspace). */
  private async move(from: string, to: string): Promise<void> {
    try {
      await fs.promises.rename(from, to);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      await fs.promises.copyFile(from, to);
    }
  }

  /** The file system's clock: the change time of a file written now, under .ensemble/tmp. */
  async clock(): Promise<number> {
    const dir = path.join(this.realRoot, TMP_DIR);
    await fs.promises.mkdir(dir, { recursive: true });
    const probe = path.join(dir, `${process.pid}-clock-${randomBytes(4).toString('hex')}`);
    try {
      await fs.promises.writeFile(probe, '');
      return (await fs.promises.stat(probe)).ctimeMs;
    } finally {
      await fs.promises.rm(probe, { force: true });
    }
  }

  async remove(rel: string): Promise<void> {
    const abs = this.real(rel, normaliseFilePath(rel));
    try {
      if ((await fs.promises.lstat(abs).catch(() => undefined))?.isDirectory())
        throw new PathError(rel, 'invalid', `Refused ${quote(rel)}: it is a folder, not a file.`);
      await fs.promises.rm(abs, { force: true });
    } catch (e) {
      throw explain(rel, 'remove', e);
    }
  }

  /** Removes the temporary files of writes whose process is gone (killed mid-write). */
  async recover(): Promise<void> {
    const dir = path.join(this.realRoot, TMP_DIR);
    let names: string[];
    try {
      names = await fs.promises.readdir(dir);
    } catch {
      return; // nothing was ever written, or the folder cannot be read: nothing to sweep
    }
    for (const name of names) {
      const pid = Number(/^(\d+)-/.exec(name)?.[1]);
      if (pid === process.pid || (pid && processAlive(pid))) continue; // a write in flight
      await fs.promises.rm(path.join(dir, name), { force: true, recursive: true }).catch(() => undefined);
    }
  }

  /**
   * Files under `dir` (recursive; never inside node_modules/.git/.ensemble; what the .gitignore files
   * of the folders on the way ignore is left out; symbolic links are not listed), sorted by path (code
   * units), at most `limit`. Walks with synchronous readdir/stat in slices of a few milliseconds,
   * yielding to the event loop between them: on a 30,000-file tree that is several times faster than
   * a walk of awaited calls, and never holds the loop for long.
   */
  async list(dir = '.', opts: { limit?: number; depth?: number } = {}): Promise<FileEntry[]> {
    const limit = opts.limit ?? DEFAULT_LIST_LIMIT;
    const depth = opts.depth ?? Number.POSITIVE_INFINITY;
    const start = this.resolve(dir);
    const st = await fs.promises.stat(start).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new PathError(dir, 'invalid', `${quote(dir)} does not exist.`);
      throw explain(dir, 'list', e);
    });
    if (!st.isDirectory()) throw new PathError(dir, 'invalid', `${quote(dir)} is a file, not a folder; use read_file to read it.`);
    const startRel = path.relative(this.realRoot, start).split(path.sep).join('/');
    const from = this.rulesDown(startRel);
    if (!from) return []; // the folder itself is ignored (or inside node_modules)
    const slice = new Slicer();
    const paths: string[] = [];
    const stack: { abs: string; rel: string; rules: Rules | undefined; level: number }[] = [{ abs: start, rel: startRel, rules: from.rules, level: 1 }];
    while (stack.length) {
      await slice.tick();
      const { abs, rel, rules: parent, level } = stack.pop()!;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(abs, { withFileTypes: true });
      } catch {
        continue; // an unreadable folder is left out rather than failing the whole listing
      }
      const prefix = rel ? `${rel}/` : '';
      const rules = entries.some((e) => e.name === '.gitignore' && e.isFile()) ? this.withGitignore(parent, abs, prefix) : parent;
      for (const ent of entries) {
        const name = ent.name;
        if (isProtectedPath(name)) continue;
        const childRel = prefix + name;
        if (ent.isDirectory()) {
          if (level < depth && name !== 'node_modules' && !ignored(rules, childRel, true))
            stack.push({ abs: path.join(abs, name), rel: childRel, rules, level: level + 1 });
        } else if (ent.isFile() && !ignored(rules, childRel, false)) {
          paths.push(childRel);
        }
      }
    }
    paths.sort();
    const out: FileEntry[] = [];
    for (const rel of paths) {
      if (out.length >= limit) break;
      await slice.tick();
      let fst: fs.Stats | undefined;
      try {
        fst = fs.lstatSync(path.join(this.realRoot, rel), { throwIfNoEntry: false });
      } catch {
        continue; // unreadable since it was seen: left out, like an unreadable folder
      }
      if (fst?.isFile()) out.push({ path: rel, type: 'file', size: fst.size, mtimeMs: fst.mtimeMs, ctimeMs: fst.ctimeMs }); // gone, or no longer a file: left out
    }
    return out;
  }

  /**
   * The .gitignore rules that apply inside the folder `rel` (read from the root down to it), or
   * undefined when the folder itself, or one on the way, is ignored or is a node_modules folder.
   */
  private rulesDown(rel: string): { rules: Rules | undefined } | undefined {
    let rules = this.withGitignore(undefined, this.realRoot, '');
    if (!rel) return { rules };
    let at = '';
    for (const part of rel.split('/')) {
      at = at ? `${at}/${part}` : part;
      if (part === 'node_modules' || ignored(rules, at, true)) return undefined;
      rules = this.withGitignore(rules, path.join(this.realRoot, at), `${at}/`);
    }
    return { rules };
  }

  /**
   * `parent` plus the rules of the .gitignore in `absDir`, when it has one that can be read. A file's
   * rules are kept while its text stays the same: they remember what they decided, so the next
   * listing of the same tree asks them again at a fraction of the cost.
   */
  private withGitignore(parent: Rules | undefined, absDir: string, base: string): Rules | undefined {
    const file = path.join(absDir, '.gitignore');
    let text: string;
    try {
      if (!fs.lstatSync(file).isFile()) return parent; // a link is not followed (it could lead anywhere)
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return parent; // none, or unreadable: the rules above apply
    }
    let known = this.gitignores.get(file);
    if (known?.text !== text) this.gitignores.set(file, (known = { text, ig: ignore({ ignorecase: IGNORE_CASE }).add(text) }));
    return { base, ig: known.ig, parent };
  }
}

/**
 * The .gitignore files that apply to a folder, deepest first: each one's rules, matched against paths
 * relative to the folder it sits in (`base`, ending in "/", or "" at the root).
 */
interface Rules {
  base: string;
  ig: Ignore;
  parent: Rules | undefined;
}

/** Like git: patterns match case-insensitively where the filesystem usually is (Windows, macOS). */
const IGNORE_CASE = process.platform === 'win32' || process.platform === 'darwin';

/**
 * Whether the .gitignore files ignore `rel` (a workspace-relative path whose folders are not ignored),
 * as git decides: the deepest file with a rule for the path decides; in a file, its last matching rule
 * (a `!` rule includes the path again). A folder ignored by a shallower file but included again by a
 * deeper one is walked; the shallower file's rules then do not judge the paths inside it.
 */
function ignored(rules: Rules | undefined, rel: string, isDir: boolean): boolean {
  for (let r = rules; r; r = r.parent) {
    const sub = rel.slice(r.base.length);
    const t = r.ig.test(isDir ? `${sub}/` : sub);
    if (t.unignored) return false;
    if (!t.ignored) continue;
    const slash = sub.lastIndexOf('/');
    // Ignored only because its folder is (in these rules): that folder was included again deeper down.
    if (slash > 0 && r.ig.ignores(sub.slice(0, slash + 1))) continue;
    return true;
  }
  return false;
}

/** Lets the event loop run every few milliseconds of synchronous work. */
class Slicer {
  private until = performance.now() + 8;
  private n = 0;
  async tick(): Promise<void> {
    if ((++this.n & 63) !== 0 || performance.now() < this.until) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.until = performance.now() + 8;
  }
}
