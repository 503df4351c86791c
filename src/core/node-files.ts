// The plain-filesystem FileStore, rooted at the workspace. Used by the CLI, the extension (whose
// host runs where the workspace is) and the tests. Every path is checked before any I/O: absolute
// paths, `..` escapes, paths through symlinks that leave the root, and the engine's own folders are
// refused with a PathError.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import ignore, { type Ignore } from 'ignore';
import type { FileEntry, FileStore } from './ports';

export class PathError extends Error {
  constructor(
    readonly path: string,
    readonly reason: 'outside_workspace' | 'protected' | 'invalid',
    message: string,
  ) {
    super(message);
    this.name = 'PathError';
  }
}

/** Folders the engine never lets a model read or write: its own log and the repository's. */
const PROTECTED = ['.ensemble', '.git'];
/** Never listed: too big or not the project's own. */
const ALWAYS_IGNORED = ['node_modules/', '.git/', '.ensemble/', '*.ensemble-tmp-*'];
const MAX_LIST = 2000;

/** Normalises a workspace-relative path, or throws a PathError. Pure: no I/O. */
export function normaliseRelative(p: string): string {
  if (typeof p !== 'string' || p.trim() === '' || p.includes('\0')) throw new PathError(String(p), 'invalid', `Invalid path ${JSON.stringify(p)}.`);
  const slashed = p.replace(/\\/g, '/').trim();
  if (slashed.startsWith('/') || /^[a-zA-Z]:/.test(slashed) || slashed.startsWith('~')) {
    throw new PathError(p, 'outside_workspace', `Refused ${JSON.stringify(p)}: paths must be relative to the workspace.`);
  }
  const norm = path.posix.normalize(slashed).replace(/\/+$/, '');
  if (norm === '..' || norm.startsWith('../')) throw new PathError(p, 'outside_workspace', `Refused ${JSON.stringify(p)}: it escapes the workspace.`);
  return norm === '' ? '.' : norm;
}

export class NodeFileStore implements FileStore {
  readonly root: string;
  private realRoot: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    fs.mkdirSync(this.root, { recursive: true });
    this.realRoot = fs.realpathSync(this.root);
  }

  /** Resolves a relative path to an absolute one inside the root, following symlinks; throws PathError. */
  resolve(rel: string, opts: { allowProtected?: boolean } = {}): string {
    const norm = normaliseRelative(rel);
    const first = norm.split('/')[0] ?? '';
    if (!opts.allowProtected && PROTECTED.includes(first)) {
      throw new PathError(rel, 'protected', `Refused ${JSON.stringify(rel)}: ${first}/ belongs to ${first === '.git' ? 'git' : 'Ensemble'} and is never written by agents.`);
    }
    const abs = path.join(this.realRoot, norm);
    // The deepest part of the path that exists must really be inside the root (catches symlinks).
    let probe = abs;
    while (!fs.existsSync(probe) && probe !== this.realRoot) probe = path.dirname(probe);
    const real = fs.realpathSync(probe);
    if (real !== this.realRoot && !real.startsWith(this.realRoot + path.sep)) {
      throw new PathError(rel, 'outside_workspace', `Refused ${JSON.stringify(rel)}: it leads outside the workspace through a symbolic link.`);
    }
    return abs;
  }

  async read(rel: string): Promise<Uint8Array | undefined> {
    const abs = this.resolve(rel);
    try {
      const st = await fs.promises.stat(abs);
      if (!st.isFile()) return undefined;
      return await fs.promises.readFile(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async write(rel: string, data: Uint8Array | string): Promise<void> {
    const abs = this.resolve(rel);
    await fs.promises.mkdir(path.dirname(abs), { recursive: true });
    // Re-check after creating folders: a folder on the way may have been a link created meanwhile.
    this.resolve(rel);
    const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.ensemble-tmp-${randomBytes(6).toString('hex')}`);
    try {
      await fs.promises.writeFile(tmp, data);
      await fs.promises.rename(tmp, abs);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
  }

  async remove(rel: string): Promise<void> {
    await fs.promises.rm(this.resolve(rel), { force: true });
  }

  /** Files under `dir` (recursive, .gitignore-aware, without node_modules/.git/.ensemble), sorted. */
  async list(dir = '.'): Promise<FileEntry[]> {
    const start = this.resolve(dir);
    const ig = await this.ignoreRules();
    const out: FileEntry[] = [];
    const walk = async (absDir: string): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(absDir, { withFileTypes: true });
      } catch {
        return;
      }
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const ent of entries) {
        if (out.length >= MAX_LIST) return;
        const abs = path.join(absDir, ent.name);
        const rel = path.relative(this.realRoot, abs).split(path.sep).join('/');
        if (ent.isDirectory()) {
          if (ig.ignores(rel + '/')) continue;
          await walk(abs);
        } else if (ent.isFile()) {
          if (ig.ignores(rel)) continue;
          const st = await fs.promises.stat(abs);
          out.push({ path: rel, type: 'file', size: st.size });
        }
      }
    };
    await walk(start);
    return out;
  }

  private async ignoreRules(): Promise<Ignore> {
    const ig = ignore().add(ALWAYS_IGNORED);
    try {
      ig.add(await fs.promises.readFile(path.join(this.realRoot, '.gitignore'), 'utf8'));
    } catch {
      // no .gitignore: only the defaults apply
    }
    return ig;
  }
}
