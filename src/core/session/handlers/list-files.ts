// list_files: the files under a folder (the FileStore's listing: without what .gitignore files ignore,
// node_modules, .git and .ensemble), one `path (N bytes)` a line. A folder of more files than fit in
// one answer is answered with its structure instead: its subfolders, with how many files each holds,
// as deep as fits (or `depth` levels), and the files directly in it; `offset` pages through all of
// its files, PAGE at a time.

import type { FileEntry } from '../../ports';
import type { ToolArgs } from '../tools';
import type { ToolHandler, ToolResult } from './handler';
import { orToolError } from './handler';
import { normaliseRelative, quote } from '../../paths';

export const LIST_LIMITS = {
  /** Files per answer: a folder with at most this many is listed whole; `offset` pages by this many. */
  page: 400,
  /** Folder lines of a structure answer whose depth the model did not give: the deepest level that fits. */
  folders: 150,
  /** Folder lines of a structure answer at most (a `depth` the model gave). */
  maxFolders: 600,
  /** The deepest level a structure answer goes to by itself. */
  autoDepth: 4,
  /** Files directly in the folder shown with its structure. */
  ownFiles: 100,
};

const n = (x: number) => x.toLocaleString('en');
const files = (x: number) => `${n(x)} file${x === 1 ? '' : 's'}`;
const fileLine = (e: FileEntry) => `${e.path} (${n(e.size ?? 0)} bytes)`;

/** The subfolders of the listed folder (`prefix`: its path and "/", or "" for the root), each with its depth and how many files it holds. */
function folderCounts(entries: FileEntry[], prefix: string, maxDepth: number): { path: string; depth: number; files: number }[] {
  const counts = new Map<string, { path: string; depth: number; files: number }>();
  for (const e of entries) {
    let at = prefix.length;
    for (let depth = 1; depth <= maxDepth; depth++) {
      const slash = e.path.indexOf('/', at);
      if (slash < 0) break;
      const dir = e.path.slice(0, slash);
      const c = counts.get(dir);
      if (c) c.files++;
      else counts.set(dir, { path: dir, depth, files: 1 });
      at = slash + 1;
    }
  }
  // In the listing's order: a folder, then what it holds.
  return [...counts.values()].sort((a, b) => (a.path + '/' < b.path + '/' ? -1 : 1));
}

/** What the paths of a folder's files start with: its path and "/" (its real path's, when it was listed through a symbolic link). */
function folderPrefix(entries: FileEntry[], dir: string): string {
  const prefix = dir === '.' ? '' : `${dir}/`;
  if (entries.every((e) => e.path.startsWith(prefix))) return prefix;
  const first = entries[0]!.path;
  let end = first.lastIndexOf('/') + 1;
  for (const e of entries) while (end > 0 && !e.path.startsWith(first.slice(0, end))) end = first.lastIndexOf('/', end - 2) + 1;
  return first.slice(0, end);
}

function structure(entries: FileEntry[], dir: string, depth: number | undefined): string[] {
  const prefix = entries.length ? folderPrefix(entries, dir) : '';
  const where = dir === '.' ? 'in the workspace' : `under ${quote(dir)}`;
  const all = folderCounts(entries, prefix, depth ?? LIST_LIMITS.autoDepth);
  let shown = depth ?? 1;
  if (depth === undefined)
    for (let d = LIST_LIMITS.autoDepth; d > 1; d--)
      if (all.filter((f) => f.depth <= d).length <= LIST_LIMITS.folders) {
        shown = d;
        break;
      }
  const folders = all.filter((f) => f.depth <= shown);
  const cap = depth === undefined ? LIST_LIMITS.folders : LIST_LIMITS.maxFolders;
  const own = entries.filter((e) => !e.path.includes('/', prefix.length));
  const out = [
    `${files(entries.length)} ${where}${entries.length > LIST_LIMITS.page ? ', too many to list at once' : ''}. ${folders.length ? `Its folders ${shown === 1 ? '' : `to ${shown} levels deep `}with the files each holds (at any depth):` : 'It has no folders.'}`,
  ];
  out.push(...folders.slice(0, cap).map((f) => `${f.path}/ (${files(f.files)})`));
  if (folders.length > cap) out.push(`… and ${n(folders.length - cap)} more folders (list one of those above with path, or give a smaller depth)`);
  if (own.length) {
    out.push(`Files directly ${dir === '.' ? 'in the workspace folder' : `in ${quote(dir)}`} (${n(own.length)}):`);
    out.push(...own.slice(0, LIST_LIMITS.ownFiles).map(fileLine));
    if (own.length > LIST_LIMITS.ownFiles) out.push(`… and ${n(own.length - LIST_LIMITS.ownFiles)} more (see them with offset)`);
  }
  out.push(
    `List a folder with path${depth === undefined ? ', show deeper folders with depth' : ''}, or page through all ${files(entries.length)} with offset (${n(LIST_LIMITS.page)} at a time, from 0).`,
  );
  return out;
}

function page(entries: FileEntry[], offset: number): string[] {
  const total = entries.length;
  if (offset >= total) return [`No files at offset ${n(offset)}: there are ${files(total)} here; give an offset below ${n(total)}.`];
  const end = Math.min(total, offset + LIST_LIMITS.page);
  const out = entries.slice(offset, end).map(fileLine);
  out.push(
    end < total
      ? `(files ${n(offset + 1)}–${n(end)} of ${n(total)}; the next ones from offset ${end})`
      : `(files ${n(offset + 1)}–${n(end)} of ${n(total)}: the last ones)`,
  );
  return out;
}

export async function listFilesIn(
  source: { list(dir?: string, opts?: { limit?: number }): Promise<FileEntry[]> },
  a: ToolArgs<'list_files'>,
): Promise<ToolResult> {
  const dir = a.path === undefined ? '.' : normaliseRelative(a.path);
  const entries = await source.list(dir, { limit: Number.POSITIVE_INFINITY });
  let lines: string[];
  if (a.offset !== undefined) lines = page(entries, a.offset);
  else if (a.depth === undefined && entries.length <= LIST_LIMITS.page) lines = entries.length ? entries.map(fileLine) : ['(no files)'];
  else lines = structure(entries, dir, a.depth);
  return { result: lines.join('\n'), summary: `${entries.length} file${entries.length === 1 ? '' : 's'}` };
}

export const listFiles: ToolHandler<'list_files'> = {
  summary: (a) => `${a.path ?? '.'}${a.depth ? ` (depth ${a.depth})` : ''}${a.offset !== undefined ? ` from ${a.offset}` : ''}`,
  run: (a, { deps }) => orToolError(() => listFilesIn(deps.files, a)),
};
