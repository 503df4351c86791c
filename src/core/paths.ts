// The path rules of the FileStore port: which workspace-relative paths any implementation accepts,
// and which it refuses with a PathError. Pure (no I/O): an adapter applies them to the path it is
// given AND to the real path it resolves to (through symbolic links), so `link -> .git` is refused too.

export type PathRefusal = 'outside_workspace' | 'protected' | 'invalid';

export class PathError extends Error {
  constructor(
    readonly path: string,
    readonly reason: PathRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'PathError';
  }
}

/** A path as messages show it: JSON-quoted, shortened when it is very long. */
export function quote(p: string): string {
  return JSON.stringify(p.length > 120 ? `${p.slice(0, 60)}…${p.slice(-40)}` : p);
}

/** Folder names the engine never lets a model read, write, remove or list, at any depth. */
export const PROTECTED_NAMES = ['.git', '.ensemble'] as const;

/** The longest file or folder name most filesystems accept (bytes, UTF-8). */
export const MAX_NAME_BYTES = 255;

/**
 * A name as a case-insensitive filesystem (macOS, Windows) sees it: `.GIT` and `.git` are one folder
 * there, and Windows ignores trailing dots and spaces (`.git.`). Refusing these everywhere costs nothing.
 */
function canonicalName(name: string): string {
  return name.toLowerCase().replace(/[. ]+$/, '');
}

/** A path with no match here has no protected component (each holds one of these names, in any case). */
const MAYBE_PROTECTED = /\.(?:git|ensemble)/i;

/** True when a component of `rel` (a normalised workspace-relative path) is .git or .ensemble. */
export function isProtectedPath(rel: string): boolean {
  if (!MAYBE_PROTECTED.test(rel)) return false; // the common case, without splitting the path (listings ask for every file)
  return rel.split('/').some((part) => (PROTECTED_NAMES as readonly string[]).includes(canonicalName(part)));
}

/** The refusal of `rel`; `resolved` is the real path it leads to when a symbolic link took it there. */
export function protectedError(rel: string, resolved?: string): PathError {
  const git = (resolved ?? rel).split('/').some((p) => canonicalName(p) === '.git');
  const where = git ? 'a .git folder (it belongs to git)' : '.ensemble (it belongs to Ensemble)';
  return new PathError(
    rel,
    'protected',
    `Refused ${quote(rel)}: ${resolved === undefined ? 'it is inside' : 'it leads through a symbolic link into'} ${where}; agents never read or write there.`,
  );
}

/** Normalises a workspace-relative path (`.` for the root), or throws a PathError. Pure: no I/O. */
export function normaliseRelative(p: string): string {
  if (typeof p !== 'string' || p.trim() === '' || p.includes('\0')) throw new PathError(String(p), 'invalid', `Invalid path ${quote(p)}.`);
  const slashed = p.replace(/\\/g, '/').trim();
  if (slashed.startsWith('/') || /^[a-zA-Z]:/.test(slashed) || slashed.startsWith('~')) {
    throw new PathError(p, 'outside_workspace', `Refused ${quote(p)}: paths must be relative to the workspace.`);
  }
  const parts: string[] = [];
  for (const part of slashed.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (!parts.length) throw new PathError(p, 'outside_workspace', `Refused ${quote(p)}: it escapes the workspace.`);
      parts.pop();
    } else {
      if (Buffer.byteLength(part) > MAX_NAME_BYTES)
        throw new PathError(p, 'invalid', `Refused ${quote(p)}: a name in it is longer than ${MAX_NAME_BYTES} bytes, which filesystems do not accept.`);
      parts.push(part);
    }
  }
  return parts.length ? parts.join('/') : '.';
}

/** Normalises the path of a FILE to read or write: not the workspace itself, not a folder (`x/`). */
export function normaliseFilePath(p: string): string {
  const norm = normaliseRelative(p);
  if (norm === '.') throw new PathError(p, 'invalid', `Refused ${quote(p)}: that is the workspace folder itself; give a file path such as "src/index.js".`);
  if (/[\\/]\s*$/.test(p)) throw new PathError(p, 'invalid', `Refused ${quote(p)}: it ends with "/", so it names a folder; give a file path.`);
  return norm;
}
