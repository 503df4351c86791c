// read_file: the whole file (cut at a cap, with a note saying how to read on), or a range of lines
// with their numbers (`  12| text`) and the file's line count, so that large files can be read in parts.

import type { ToolHandler, ToolResult } from './handler';
import { orToolError, toolError } from './handler';

export const MAX_READ_CHARS = 100_000;

/** A text's lines as an editor numbers them (no empty last line after a final newline; CR dropped). */
export function textLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** `  12| text`: how read_file, and edit_file's errors, show a numbered line. */
export function numbered(n: number, line: string, width = 4): string {
  return `${String(n).padStart(width)}| ${line}`;
}

function whole(path: string, text: string): ToolResult {
  const total = textLines(text).length;
  const summary = `read ${total} line${total === 1 ? '' : 's'} of ${path}`;
  if (text.length <= MAX_READ_CHARS) return { result: text, summary };
  const shown = text.slice(0, MAX_READ_CHARS);
  const line = shown.split('\n').length; // the line the cut falls in
  return {
    result: `${shown}\n… (truncated at ${MAX_READ_CHARS} characters, in line ${line} of ${total}: read the rest with startLine ${line} and an endLine)`,
    summary: `${summary} (cut in line ${line})`,
  };
}

function range(path: string, text: string, startLine: number | undefined, endLine: number | undefined): ToolResult {
  if (startLine !== undefined && endLine !== undefined && startLine > endLine)
    return toolError(`startLine (${startLine}) is after endLine (${endLine}): give startLine ≤ endLine (lines are numbered from 1).`);
  const lines = textLines(text);
  const total = lines.length;
  if (total === 0) return toolError(`${path} is empty: it has no lines.`);
  const start = startLine ?? 1;
  if (start > total) return toolError(`startLine ${start} is past the end: ${path} has ${total} line${total === 1 ? '' : 's'}.`);
  const end = Math.min(endLine ?? total, total);
  const width = Math.max(4, String(end).length);
  const out: string[] = [];
  const notes: string[] = [];
  let chars = 0;
  let last = start - 1;
  for (let n = start; n <= end; n++) {
    let row = numbered(n, lines[n - 1]!, width);
    if (chars + row.length > MAX_READ_CHARS) {
      if (out.length) break;
      row = `${row.slice(0, MAX_READ_CHARS)} …`; // one line longer than the cap: its start is all there is to show
      notes.push(`line ${n} is cut: it is longer than ${MAX_READ_CHARS} characters`);
    }
    out.push(row);
    chars += row.length + 1;
    last = n;
  }
  notes.unshift(`lines ${start}–${last} of ${total}`);
  if (last < end) notes.push(`cut to stay under ${MAX_READ_CHARS} characters: read on with startLine ${last + 1}`);
  else if (endLine !== undefined && endLine > total) notes.push(`the file ends at line ${total}`);
  return { result: `${out.join('\n')}\n(${notes.join('; ')})`, summary: `read ${notes[0]} of ${path}` };
}

export const readFile: ToolHandler<'read_file'> = {
  summary: (a) => (a.startLine === undefined && a.endLine === undefined ? a.path : `${a.path}:${a.startLine ?? 1}-${a.endLine ?? 'end'}`),
  run: (a, { deps }) =>
    orToolError(async () => {
      const text = await deps.files.read(a.path);
      if (text === undefined) return toolError(`${a.path} does not exist.`);
      return a.startLine === undefined && a.endLine === undefined ? whole(a.path, text) : range(a.path, text, a.startLine, a.endLine);
    }),
};
