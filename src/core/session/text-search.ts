// The engine's own TextSearch (the port in ../ports.ts): reads each file through the FileStore and
// matches it line by line. search_files uses it when ripgrep is not there or refuses a pattern; it
// answers as the ripgrep adapter (src/node/ripgrep.ts) does, which test/unit/search.test.ts checks on
// the same trees. Files are read a few at a time ahead of the one being matched, never all at once.

import type { FileStore, TextQuery, TextSearch, TextSearchResult } from '../ports';

/** A file is binary when its first this many bytes hold a NUL byte (git's rule, also for `git grep -I`). */
export const BINARY_SNIFF_BYTES = 8000;
/** Files read ahead of the one being matched. */
const READ_AHEAD = 8;

/** Invalid bytes become U+FFFD; a byte order mark is kept as the character it is (git and ripgrep with `--encoding none` see its bytes too). */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

export function isBinary(data: Uint8Array): boolean {
  return data.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

/** A file's text: UTF-8, an invalid byte becoming U+FFFD (a UTF-16 file holds NUL bytes: it is binary, as git says). */
export function decodeText(data: Uint8Array): string {
  return utf8.decode(data);
}

/** The regular expression a query means (JavaScript syntax); throws a SyntaxError for an invalid one. */
export function queryRegExp(q: TextQuery): RegExp {
  const source = q.regex ? q.pattern : q.pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(source, q.caseSensitive ? '' : 'i');
}

/** Calls `each` with every line of `text` (1-based numbers) until it returns false: lines end at "\n", a "\r" before it is left out, and a final "\n" starts no line. */
export function eachLine(text: string, each: (line: string, no: number) => boolean | void): void {
  let start = 0;
  let no = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const stop = end > start && text.charCodeAt(end - 1) === 13 && end < text.length ? end - 1 : end;
    if (each(text.slice(start, stop), ++no) === false) return;
    start = end + 1;
  }
}

/** The TextSearch that reads the files through `source`. */
export function readingSearch(source: Pick<FileStore, 'read'>): TextSearch {
  return { search: (query, files, page, signal) => searchByReading(source, query, files, page, signal) };
}

async function searchByReading(
  source: Pick<FileStore, 'read'>,
  query: TextQuery,
  files: readonly string[],
  page: { offset: number; limit: number },
  signal?: AbortSignal,
): Promise<TextSearchResult> {
  const re = queryRegExp(query);
  // Literal text can be looked for in the whole file first (no line can match where the file does not).
  const wholeFirst = !query.regex;
  const out: TextSearchResult = { files: [], binary: [], matches: [], unreadable: [] };
  const read = (p: string): Promise<Uint8Array | undefined | Error> => source.read(p).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  const ahead: Promise<Uint8Array | undefined | Error>[] = [];
  let next = 0;
  let seen = 0; // matching lines of text files so far
  for (const path of files) {
    if (signal?.aborted) throw signal.reason;
    while (next < files.length && ahead.length < READ_AHEAD) ahead.push(read(files[next++]!));
    const data = await ahead.shift()!;
    if (data === undefined) continue; // gone since it was listed: nothing to find there
    if (data instanceof Error) {
      out.unreadable.push(path);
      continue;
    }
    const text = decodeText(data);
    if (wholeFirst && !re.test(text)) continue;
    if (isBinary(data)) {
      let found = false;
      eachLine(text, (line) => !(found = re.test(line)));
      if (found) out.binary.push(path);
      continue;
    }
    let n = 0;
    eachLine(text, (line, no) => {
      if (!re.test(line)) return;
      n++;
      if (seen >= page.offset && out.matches.length < page.limit) out.matches.push({ path, line: no, text: line });
      seen++;
    });
    if (n) out.files.push({ path, lines: n });
  }
  return out;
}
