// search_files: the matching lines of the workspace's files, as `path:line: text`, a page at a time.
// It searches exactly the files list_files lists (the FileStore's listing: what .gitignore files ignore
// and node_modules are left out; .git and .ensemble are never entered), or those under `path` and
// matching `glob`. Every one of them is searched, through the TextSearch port (ripgrep) when the
// session has one, else by reading them (../text-search.ts); the total is the true total, and what is
// not searched (files too large) or not shown (binary files) is named.

import ignore from 'ignore';
import type { FileEntry, FileStore, TextQuery, TextSearch, TextSearchResult } from '../../ports';
import type { ToolArgs } from '../tools';
import type { ToolHandler, ToolResult } from './handler';
import { orToolError, toolError } from './handler';
import { isProtectedPath, normaliseRelative, quote } from '../../paths';
import { queryRegExp, readingSearch } from '../text-search';

export const SEARCH_LIMITS = {
  /** Matching lines shown at a time when the model does not say. */
  results: 100,
  /** A shown line is cut to this many characters, around the match. */
  lineChars: 200,
  /** Larger files are not searched (named in a note). */
  fileBytes: 8_000_000,
  /** Files named in one note (binary, too large, unreadable); the rest are counted. */
  named: 10,
};

export type SearchSource = Pick<FileStore, 'list' | 'read' | 'stat'>;

/** The line as shown: cut around the match when it is long. */
function excerpt(line: string, re: RegExp): string {
  const max = SEARCH_LIMITS.lineChars;
  if (line.length <= max) return line;
  const at = re.exec(line)?.index ?? 0; // ripgrep's engine may match where JavaScript's does not: then the line's start
  const start = Math.max(0, Math.min(at - 60, line.length - max));
  return `${start > 0 ? '…' : ''}${line.slice(start, start + max)}${start + max < line.length ? '…' : ''}`;
}

function compile(q: TextQuery): RegExp | string {
  try {
    return queryRegExp(q);
  } catch (e) {
    return `Invalid regular expression ${quote(q.pattern)}: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}. Fix it, or pass regex: false to search for the text literally.`;
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** "a, b, c and 12 more": at most SEARCH_LIMITS.named paths. */
function names(paths: readonly string[]): string {
  const shown = paths.slice(0, SEARCH_LIMITS.named).join(', ');
  return paths.length > SEARCH_LIMITS.named ? `${shown} and ${paths.length - SEARCH_LIMITS.named} more` : shown;
}

export interface SearchOptions {
  /** A faster search (ripgrep); without it, or when it cannot take the query, the files are read through `source`. */
  search?: TextSearch;
  signal?: AbortSignal;
}

export async function searchFiles(source: SearchSource, a: ToolArgs<'search_files'>, opts: SearchOptions = {}): Promise<ToolResult> {
  const query: TextQuery = { pattern: a.pattern, regex: a.regex ?? false, caseSensitive: a.caseSensitive !== false };
  const re = compile(query);
  if (typeof re === 'string') return toolError(re);
  const limit = a.maxResults ?? SEARCH_LIMITS.results;
  const offset = a.offset ?? 0;
  const dir = a.path === undefined ? '.' : normaliseRelative(a.path);
  const st = await source.stat(dir);
  if (!st) return toolError(`${quote(a.path ?? '.')} does not exist.`);
  let entries: FileEntry[] = st.type === 'file' ? [{ path: dir, type: 'file', size: st.size }] : await source.list(dir, { limit: Number.POSITIVE_INFINITY });
  entries = entries.filter((e) => e.type === 'file' && !isProtectedPath(e.path));
  if (a.glob) {
    const globs = ignore().add(
      a.glob
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean),
    );
    entries = entries.filter((e) => globs.ignores(e.path));
  }
  const tooLarge = entries.filter((e) => (e.size ?? 0) > SEARCH_LIMITS.fileBytes).map((e) => e.path);
  const files = entries.filter((e) => (e.size ?? 0) <= SEARCH_LIMITS.fileBytes).map((e) => e.path);
  const page = { offset, limit };
  let found: TextSearchResult = { files: [], binary: [], matches: [], unreadable: [] };
  if (files.length)
    found = (await opts.search?.search(query, files, page, opts.signal)) ?? (await readingSearch(source).search(query, files, page, opts.signal))!;

  const total = found.files.reduce((n, f) => n + f.lines, 0);
  const where = `${a.path === undefined ? '' : ` under ${quote(a.path)}`}${a.glob ? ` matching ${quote(a.glob)}` : ''}`;
  const out = found.matches.map((m) => `${m.path}:${m.line}: ${excerpt(m.text, re)}`);
  const inFiles = `${plural(total, 'matching line')} in ${plural(found.files.length, 'file')}`;
  if (total === 0)
    out.push(
      `No matches for ${quote(a.pattern)} in ${plural(files.length, 'file')}${where}${found.binary.length ? ' (other than in the binary files below)' : ''}.`,
    );
  else if (!found.matches.length) out.push(`No matches at offset ${offset}: there are ${inFiles}${where}; give an offset below ${total}.`);
  else {
    const end = offset + found.matches.length;
    if (end < total)
      out.push(
        `… and ${(total - end).toLocaleString('en')} more: ${inFiles}${where} (these are ${offset + 1}–${end}); call again with offset ${end} for the next ${Math.min(limit, total - end)}, or narrow the search with path or glob`,
      );
    else if (offset > 0) out.push(`(the last of ${inFiles}${where}: these are ${offset + 1}–${end})`);
  }
  if (found.binary.length) out.push(`(binary files that contain it, lines not shown: ${names(found.binary)})`);
  if (tooLarge.length)
    out.push(`(not searched, larger than ${SEARCH_LIMITS.fileBytes.toLocaleString('en')} bytes: ${names(tooLarge)}; read_file reads a range of lines)`);
  if (found.unreadable.length) out.push(`(could not be read: ${names(found.unreadable)})`);
  return {
    result: out.join('\n'),
    summary: `${plural(total, 'match', 'matches')} in ${plural(found.files.length, 'file')} (${plural(files.length, 'file')} searched)`,
  };
}

export const searchFilesTool: ToolHandler<'search_files'> = {
  summary: (a) => `${quote(a.pattern)}${a.path ? ` in ${a.path}` : ''}${a.glob ? ` (${a.glob})` : ''}${a.offset ? ` from ${a.offset}` : ''}`,
  run: (a, { deps }) => orToolError(() => searchFiles(deps.files.reader, a, { search: deps.search, signal: deps.signal })),
};
