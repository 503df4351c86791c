// search_files: the matching lines of the workspace's text files, as `path:line: text`. Written over
// the FileStore port (list + read), so every store gets it: the listing already leaves out what
// .gitignore ignores (and node_modules); binaries (a NUL byte, or not UTF-8) are skipped; .git and
// .ensemble are never entered, at any depth. What it reads is capped per file and in total, and
// what it shows is capped, with "… and N more".

import ignore from 'ignore';
import type { FileEntry, FileStore } from '../../ports';
import type { ToolArgs } from '../tools';
import type { ToolHandler, ToolResult } from './handler';
import { orToolError, toolError } from './handler';
import { isProtectedPath, normaliseRelative, quote } from '../../paths';

export const SEARCH_LIMITS = {
  /** Matching lines shown when the model does not say. */
  results: 100,
  /** A shown line is cut to this many characters, around the match. */
  lineChars: 200,
  /** Larger files are not read (named in a note). */
  fileBytes: 1_000_000,
  /** A search stops reading after this many bytes in all (said in a note). */
  totalBytes: 20_000_000,
  /** Files listed for one search. */
  files: 5000,
};

const SNIFF_BYTES = 8000;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export type SearchSource = Pick<FileStore, 'list' | 'read' | 'stat'>;

/** The text of a file, or undefined for a binary one (a NUL byte in its start, or not valid UTF-8). */
function asText(data: Uint8Array): string | undefined {
  if (data.subarray(0, SNIFF_BYTES).includes(0)) return undefined;
  try {
    return utf8.decode(data);
  } catch {
    return undefined;
  }
}

/** The line as shown: cut around the match when it is long. */
function excerpt(line: string, at: number): string {
  const max = SEARCH_LIMITS.lineChars;
  if (line.length <= max) return line;
  const start = Math.max(0, Math.min(at - 60, line.length - max));
  return `${start > 0 ? '…' : ''}${line.slice(start, start + max)}${start + max < line.length ? '…' : ''}`;
}

function compile(a: ToolArgs<'search_files'>): RegExp | string {
  const source = a.regex ? a.pattern : a.pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  try {
    return new RegExp(source, a.caseSensitive === false ? 'i' : '');
  } catch (e) {
    return `Invalid regular expression ${quote(a.pattern)}: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}. Fix it, or pass regex: false to search for the text literally.`;
  }
}

export async function searchFiles(source: SearchSource, a: ToolArgs<'search_files'>): Promise<ToolResult> {
  const re = compile(a);
  if (typeof re === 'string') return toolError(re);
  const max = a.maxResults ?? SEARCH_LIMITS.results;
  const dir = a.path === undefined ? '.' : normaliseRelative(a.path);
  const st = await source.stat(dir);
  if (!st) return toolError(`${quote(a.path ?? '.')} does not exist.`);
  let entries: FileEntry[] = st.type === 'file' ? [{ path: dir, type: 'file', size: st.size }] : await source.list(dir, { limit: SEARCH_LIMITS.files });
  const listCapped = st.type !== 'file' && entries.length >= SEARCH_LIMITS.files;
  if (a.glob) {
    const globs = ignore().add(a.glob.split(',').map((g) => g.trim()).filter(Boolean));
    entries = entries.filter((e) => globs.ignores(e.path));
  }
  const shown: string[] = [];
  const tooLarge: string[] = [];
  let matches = 0;
  let searched = 0;
  let bytes = 0;
  let stoppedAt: string | undefined;
  for (const e of entries) {
    if (e.type !== 'file' || isProtectedPath(e.path)) continue;
    if ((e.size ?? 0) > SEARCH_LIMITS.fileBytes) {
      tooLarge.push(e.path);
      continue;
    }
    if (bytes + (e.size ?? 0) > SEARCH_LIMITS.totalBytes) {
      stoppedAt = e.path;
      break;
    }
    const data = await source.read(e.path).catch(() => undefined); // gone or unreadable since the listing: nothing to find there
    if (!data) continue;
    bytes += data.byteLength;
    const text = asText(data);
    if (text === undefined) continue;
    searched++;
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.replace(/\r$/, '');
      const m = re.exec(line);
      if (!m) continue;
      if (++matches <= max) shown.push(`${e.path}:${i + 1}: ${excerpt(line, m.index)}`);
    }
  }
  const where = `${a.path === undefined ? '' : ` under ${quote(a.path)}`}${a.glob ? ` matching ${quote(a.glob)}` : ''}`;
  const out = shown.length ? [...shown] : [`No matches for ${quote(a.pattern)} in ${searched} file${searched === 1 ? '' : 's'}${where}.`];
  if (matches > max) out.push(`… and ${matches - max} more (narrow the search with path or glob, or raise maxResults)`);
  if (tooLarge.length) out.push(`(not searched, larger than ${SEARCH_LIMITS.fileBytes} bytes: ${tooLarge.slice(0, 5).join(', ')}${tooLarge.length > 5 ? `, and ${tooLarge.length - 5} more` : ''})`);
  if (stoppedAt) out.push(`(stopped after reading ${SEARCH_LIMITS.totalBytes} bytes, at ${stoppedAt}: narrow the search with path or glob)`);
  if (listCapped) out.push(`(only the first ${SEARCH_LIMITS.files} files were searched: narrow the search with path)`);
  return { result: out.join('\n'), summary: `${matches} match${matches === 1 ? '' : 'es'} in ${searched} file${searched === 1 ? '' : 's'}` };
}

export const searchFilesTool: ToolHandler<'search_files'> = {
  summary: (a) => `${quote(a.pattern)}${a.path ? ` in ${a.path}` : ''}${a.glob ? ` (${a.glob})` : ''}`,
  run: (a, { deps }) => orToolError(() => searchFiles(deps.files.reader, a)),
};
