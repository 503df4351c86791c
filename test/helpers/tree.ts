// A folder's tree as plain data, to compare before/after: every entry's type, size, bytes' hash,
// link target and modification time (a folder's mtime changes when anything is created in it, even
// a temporary file removed again). Links are recorded, never followed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';

export type Tree = Record<string, string>;

export function snapshot(root: string, opts: { skip?: (rel: string) => boolean; mtimes?: boolean } = {}): Tree {
  const out: Tree = {};
  const mtimes = opts.mtimes ?? true;
  const walk = (abs: string, rel: string): void => {
    const st = fs.lstatSync(abs);
    const t = mtimes ? ` mtime=${st.mtimeMs}` : '';
    if (st.isSymbolicLink()) out[rel] = `link -> ${fs.readlinkSync(abs)}`;
    else if (st.isFile()) out[rel] = `file ${st.size} ${createHash('sha256').update(fs.readFileSync(abs)).digest('hex').slice(0, 16)}${t}`;
    else if (st.isDirectory()) {
      out[rel] = `dir${t}`;
      for (const name of fs.readdirSync(abs).sort()) {
        const r = rel ? `${rel}/${name}` : name;
        if (opts.skip?.(r)) continue;
        walk(path.join(abs, name), r);
      }
    } else out[rel] = 'other';
  };
  walk(root, '');
  return out;
}

/** Every file under `root` whose name matches `re` (links not followed). */
export function findFiles(root: string, re: RegExp): string[] {
  return Object.keys(snapshot(root, { mtimes: false })).filter((rel) => re.test(path.posix.basename(rel)));
}
