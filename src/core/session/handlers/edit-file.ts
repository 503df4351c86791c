// edit_file: replaces exact text in an existing file, so that changing one line of a large file costs
// the model one line, not the file. Each oldText must occur exactly once in the file as it is NOW
// (read inside the write's lock, after the same conflict check as write_file); the edits are checked
// together against that content and applied together, or nothing changes and the error says why
// (where the most similar lines are, or where each occurrence is). The file's line endings are kept:
// newText's line breaks are written as the file's (CRLF when most of its line breaks are CRLF, else
// LF), whatever the model sent, so a CRLF file stays CRLF; and so is its final newline, or lack of one.

import type { ToolArgs } from '../tools';
import type { ToolHandler } from './handler';
import { writeResult, writer } from './handler';
import { numbered } from './read-file';

type Edit = ToolArgs<'edit_file'>['edits'][number];
export type EditResult = { ok: true; content: string; lines: number[] } | { ok: false; message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const MAX_SIMILAR = 3;
const MAX_LISTED = 20;

/** 1-based line number of each offset in `text` (offsets ascending). */
function lineAt(text: string, offset: number): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Every offset where `needle` starts (overlapping ones too: "aa" is twice in "aaa"), at most `max`+1. */
function occurrences(text: string, needle: string, max = MAX_LISTED): number[] {
  const at: number[] = [];
  for (let i = text.indexOf(needle); i !== -1 && at.length <= max; i = text.indexOf(needle, i + 1)) at.push(i);
  return at;
}

function countAll(text: string, needle: string): number {
  let n = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) n++;
  return n;
}

function bigrams(s: string): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < s.length - 1; i++) {
    const g = s.slice(i, i + 2);
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

/** Dice similarity of two lines (0..1) over their character pairs, ignoring surrounding spaces. */
function similarity(a: { s: string; g: Map<string, number> }, b: { s: string; g: Map<string, number> }): number {
  if (a.s === b.s) return 1;
  if (a.s.length < 2 || b.s.length < 2) return 0;
  let common = 0;
  for (const [g, n] of a.g) common += Math.min(n, b.g.get(g) ?? 0);
  return (2 * common) / (a.s.length - 1 + (b.s.length - 1));
}

/** The file's lines most like any line of `oldText`, as `  12| text`, best first. */
function similarLines(lines: string[], oldText: string): string[] {
  const prep = (s: string) => ({ s: s.trim(), g: bigrams(s.trim()) });
  const wanted = oldText.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim()).slice(0, 20).map(prep);
  const scored = lines
    .map((line, i) => {
      const p = line.trim() ? prep(line) : undefined;
      return { i, line, score: p ? Math.max(0, ...wanted.map((w) => similarity(w, p))) : 0 };
    })
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, MAX_SIMILAR);
  return scored.map((x) => numbered(x.i + 1, x.line));
}

/**
 * Applies `edits` to `text`, all or nothing. An oldText sent with \n line breaks matches a CRLF file;
 * every newText is written with the file's line breaks; each oldText must occur exactly once
 * (overlapping occurrences count); the matched spans must not overlap.
 */
export function applyEdits(text: string, edits: readonly Edit[]): EditResult {
  const crlf = (text.match(/\r\n/g)?.length ?? 0) > (text.match(/(?<!\r)\n/g)?.length ?? 0);
  const toFile = (s: string) => (crlf ? s.replace(/\r?\n/g, '\r\n') : s.replace(/\r\n/g, '\n'));
  const problems: string[] = [];
  const spans: { i: number; start: number; end: number; newText: string }[] = [];
  let lines: string[] | undefined;
  edits.forEach((e, i) => {
    // The text as the model sent it, else adapted to the file's line endings.
    const tries = [...new Set([toFile(e.oldText), e.oldText])];
    const oldText = tries.find((t) => text.includes(t));
    if (oldText === undefined) {
      lines ??= text.split('\n').map((l) => l.replace(/\r$/, ''));
      const similar = similarLines(lines, e.oldText);
      problems.push(
        `edits[${i}].oldText occurs 0 times in the file.${similar.length ? ` The most similar lines:\n${similar.join('\n')}` : ''}\n  The text must match exactly (spaces, indentation, line breaks, without read_file's line-number prefixes): read the lines again with read_file and a startLine/endLine range.`,
      );
      return;
    }
    const at = occurrences(text, oldText);
    if (at.length > 1) {
      const count = at.length > MAX_LISTED ? countAll(text, oldText) : at.length;
      const where = at.slice(0, MAX_LISTED).map((o) => lineAt(text, o));
      problems.push(`edits[${i}].oldText occurs ${count} times in the file (at lines ${where.join(', ')}${count > MAX_LISTED ? ', …' : ''}): include surrounding lines so that it occurs exactly once.`);
      return;
    }
    spans.push({ i, start: at[0]!, end: at[0]! + oldText.length, newText: toFile(e.newText) });
  });
  spans.sort((a, b) => a.start - b.start);
  for (let k = 1; k < spans.length; k++) {
    const [a, b] = [spans[k - 1]!, spans[k]!];
    if (b.start < a.end) problems.push(`edits[${a.i}] and edits[${b.i}] overlap (both change line ${lineAt(text, b.start)}): make them one edit, or make them not share text.`);
  }
  if (problems.length) return { ok: false, message: problems.join('\n') };
  let out = '';
  let from = 0;
  const changed: number[] = [];
  for (const s of spans) {
    out += text.slice(from, s.start);
    changed.push(countAll(out, '\n') + 1);
    out += s.newText;
    from = s.end;
  }
  out += text.slice(from);
  if (out === text) return { ok: false, message: 'The edits change nothing: each newText equals its oldText.' };
  return { ok: true, content: out, lines: changed };
}

export const editFile: ToolHandler<'edit_file'> = {
  summary: (a) => `${a.path} (${a.edits.length} edit${a.edits.length === 1 ? '' : 's'})`,
  run: async (a, run) => {
    let at: number[] = [];
    const w = await run.deps.files.update(
      a.path,
      (current) => {
        if (current === undefined) return { ok: false, message: `edit_file changed nothing: ${a.path} does not exist. Create it with write_file.` };
        let text: string;
        try {
          text = utf8.decode(current);
        } catch {
          return { ok: false, message: `edit_file changed nothing: ${a.path} is not UTF-8 text, and edit_file changes text files only.` };
        }
        const r = applyEdits(text, a.edits);
        if (!r.ok) return { ok: false, message: `edit_file changed nothing in ${a.path}:\n${r.message}` };
        at = r.lines;
        return { ok: true, content: r.content };
      },
      writer(run),
    );
    return writeResult(w, (ok) => `Edited ${a.path}: ${a.edits.length} edit${a.edits.length === 1 ? '' : 's'}, at line${at.length === 1 ? '' : 's'} ${at.join(', ')} (${ok.bytes} bytes now).`);
  },
};
