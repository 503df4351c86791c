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

/** A line without its surrounding spaces, and its character pairs as sorted numbers (cheap to compare). */
type Prepared = { s: string; pairs: Int32Array };

function prep(line: string): Prepared {
  const s = line.trim();
  const pairs = new Int32Array(Math.max(0, s.length - 1));
  for (let i = 0; i < pairs.length; i++) pairs[i] = (s.charCodeAt(i) << 16) | s.charCodeAt(i + 1);
  return { s, pairs: pairs.sort() };
}

/** Dice similarity of two lines (0..1) over their character pairs, ignoring surrounding spaces. */
function similarity(a: Prepared, b: Prepared): number {
  if (a.s === b.s) return 1;
  const [x, y] = [a.pairs, b.pairs];
  if (!x.length || !y.length) return 0;
  let common = 0;
  for (let i = 0, j = 0; i < x.length && j < y.length;) {
    if (x[i]! < y[j]!) i++;
    else if (x[i]! > y[j]!) j++;
    else {
      common++;
      i++;
      j++;
    }
  }
  return (2 * common) / (x.length + y.length);
}

/** How alike two lines must be for a line of oldText to count as found in a region of the file. */
const ALIKE = 0.5;
/** The most lines of oldText that place a region, and of a region shown. */
const MAX_WANTED = 40;
const MAX_REGION = 12;
/** How far (in lines) a line of oldText may sit from its place in a region: a few lines added or left out. */
const SHIFT = 3;

/**
 * Where the file looks most like `oldText`, as `  12| text` lines (empty when nothing is alike).
 * One line of text: the (at most 3) most similar lines, best first. Several lines: the region where
 * most of them are, in order: each start line of the file is scored by the lines of oldText found
 * at their place from it (give or take SHIFT lines, a little less for each line off), each weighted
 * by how much it says — a long line more than a short one, a line found once in the file more than
 * one found everywhere (a `}` or a blank line says almost nothing) — so that the hint points where
 * the distinctive lines are, not at the file's first closing brace.
 */
function similarLines(lines: string[], oldText: string): { at?: [number, number]; lines: string[] } {
  const want = oldText.split('\n').map((l) => l.replace(/\r$/, ''));
  const filled = want.filter((l) => l.trim());
  const file = lines.map((l) => (l.trim() ? prep(l) : undefined));
  if (filled.length <= 1) {
    const w = prep(filled[0] ?? '');
    return {
      lines: file
        .map((p, i) => ({ i, score: p ? similarity(w, p) : 0 }))
        .filter((x) => x.score > 0)
        .sort((a, b) => b.score - a.score || a.i - b.i)
        .slice(0, MAX_SIMILAR)
        .map((x) => numbered(x.i + 1, lines[x.i]!)),
    };
  }
  const n = lines.length;
  // A start is where oldText's first line would be: before the file's first line too (index s + off).
  const off = Math.min(want.length, MAX_WANTED) + SHIFT;
  const total = new Float64Array(n + off);
  const best = new Float64Array(n + off); // one line of oldText's score at each start, then cleared
  /** Line j of oldText found at file line i, `shift` lines off its place from start i - j - shift. */
  const score = (v: number, shift: number) => v * (1 - Math.abs(shift) / (2 * SHIFT + 2));
  const rows = new Map<string, { i: number; v: number }[]>();
  const found = want.slice(0, MAX_WANTED).map((line, j) => {
    if (!line.trim()) return [];
    const p = prep(line);
    let row = rows.get(p.s);
    if (!row) {
      row = [];
      for (let i = 0; i < n; i++) {
        const q = file[i];
        // Dice is at most 2·min/(sum) of the pair counts: skip lines too short or too long to be alike.
        if (!q || 2 * Math.min(p.s.length, q.s.length) < ALIKE * (p.s.length + q.s.length)) continue;
        const v = similarity(p, q);
        if (v >= ALIKE) row.push({ i, v });
      }
      rows.set(p.s, row);
    }
    if (!row.length) return row;
    const weight = Math.log2(1 + Math.min(p.s.length, 40)) / row.length;
    const touched: number[] = [];
    for (const { i, v } of row) {
      for (let d = -SHIFT; d <= SHIFT; d++) {
        const s = i - j - d + off;
        if (s < 0 || s >= n + off || score(v, d) <= best[s]!) continue;
        if (!best[s]) touched.push(s);
        best[s] = score(v, d);
      }
    }
    for (const s of touched) {
      total[s]! += weight * best[s]!;
      best[s] = 0;
    }
    return row;
  });
  let top = -1;
  for (let s = 0; s < n + off; s++) if (total[s]! > (top < 0 ? 0 : total[top]!)) top = s;
  if (top < 0) return { lines: [] };
  const start = top - off;
  // Where each line of oldText was found from that start.
  const where = found.flatMap((row, j) => {
    const near = row.filter(({ i }) => Math.abs(i - start - j) <= SHIFT);
    return near.length ? [near.reduce((a, b) => (score(b.v, b.i - start - j) > score(a.v, a.i - start - j) ? b : a)).i] : [];
  });
  const [first, last] = [Math.min(...where), Math.max(...where)];
  const shown = lines.slice(first, Math.min(last + 1, first + MAX_REGION)).map((l, k) => numbered(first + k + 1, l));
  if (last + 1 > first + MAX_REGION) shown.push(`  … (to line ${last + 1})`);
  return { at: [first + 1, last + 1], lines: shown };
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
      const head = !similar.at
        ? ' The most similar lines:'
        : similar.at[0] === similar.at[1]
          ? ` The most similar line (${similar.at[0]}):`
          : ` The most similar lines (${similar.at[0]}–${similar.at[1]}):`;
      problems.push(
        `edits[${i}].oldText occurs 0 times in the file.${similar.lines.length ? `${head}\n${similar.lines.join('\n')}` : ''}\n  The text must match exactly (spaces, indentation, line breaks, without read_file's line-number prefixes): read the lines again with read_file and a startLine/endLine range.`,
      );
      return;
    }
    const at = occurrences(text, oldText);
    if (at.length > 1) {
      const count = at.length > MAX_LISTED ? countAll(text, oldText) : at.length;
      const where = at.slice(0, MAX_LISTED).map((o) => lineAt(text, o));
      problems.push(
        `edits[${i}].oldText occurs ${count} times in the file (at lines ${where.join(', ')}${count > MAX_LISTED ? ', …' : ''}): include surrounding lines so that it occurs exactly once.`,
      );
      return;
    }
    spans.push({ i, start: at[0]!, end: at[0]! + oldText.length, newText: toFile(e.newText) });
  });
  spans.sort((a, b) => a.start - b.start);
  for (let k = 1; k < spans.length; k++) {
    const [a, b] = [spans[k - 1]!, spans[k]!];
    if (b.start < a.end)
      problems.push(`edits[${a.i}] and edits[${b.i}] overlap (both change line ${lineAt(text, b.start)}): make them one edit, or make them not share text.`);
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
    return writeResult(
      w,
      (ok) =>
        `Edited ${a.path}: ${a.edits.length} edit${a.edits.length === 1 ? '' : 's'}, at line${at.length === 1 ? '' : 's'} ${at.join(', ')} (${ok.bytes} bytes now).`,
    );
  },
};
