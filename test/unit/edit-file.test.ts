// edit_file's text rules, on applyEdits (what the tool runs inside the write's lock): line endings
// (newText's line breaks are the file's, whatever the model sent), occurrences counted honestly
// (overlapping ones too), and the "most similar lines" hint for text found 0 times pointing where
// oldText's distinctive lines are, not at the file's first closing brace.

import * as assert from 'node:assert/strict';
import { applyEdits, type EditResult } from '../../src/core/session/handlers/edit-file';

const ok = (r: EditResult): string => {
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.content;
};
const failure = (r: EditResult): string => {
  assert.ok(!r.ok, 'the edit should have been refused');
  return r.message;
};
/** Line breaks in `s` that are not CRLF. */
const bareLf = (s: string) => s.match(/(?<!\r)\n/g)?.length ?? 0;

describe('edit_file: line endings', () => {
  const crlf = 'one\r\ntwo\r\nthree\r\n';

  it('writes newText with CRLF in a CRLF file, whatever oldText and newText were sent with', () => {
    const cases: { oldText: string; newText: string }[] = [
      { oldText: 'two', newText: 'two\nand a half' }, // single-line oldText, LF newText: the defect
      { oldText: 'two', newText: 'two\r\nand a half' }, // single-line oldText, CRLF newText
      { oldText: 'one\ntwo', newText: 'one\ntwo\nand a half' }, // multi-line LF oldText (adapted to the file)
      { oldText: 'one\r\ntwo', newText: 'one\ntwo\nand a half' }, // multi-line oldText as in the file, LF newText
      { oldText: 'one\r\ntwo', newText: 'one\r\ntwo\r\nand a half' },
      { oldText: 'one\ntwo', newText: 'one\r\ntwo\nand a half' }, // mixed newText
    ];
    for (const c of cases) {
      const out = ok(applyEdits(crlf, [c]));
      assert.equal(out, 'one\r\ntwo\r\nand a half\r\nthree\r\n', JSON.stringify(c));
      assert.equal(bareLf(out), 0, `no bare LF after ${JSON.stringify(c)}`);
    }
  });

  it('keeps the line breaks right in several edits of one call, and a CRLF file without a final newline', () => {
    const out = ok(applyEdits('a\r\nb\r\nc\r\nd', [{ oldText: 'a', newText: 'a\n// added' }, { oldText: 'c\nd', newText: 'c\nD\n' }]));
    assert.equal(out, 'a\r\n// added\r\nb\r\nc\r\nD\r\n');
  });

  it('writes newText with LF in an LF file (and in a file with no line break), also when the model sent CRLF', () => {
    assert.equal(ok(applyEdits('a\nb\nc\n', [{ oldText: 'b', newText: 'b1\r\nb2' }])), 'a\nb1\nb2\nc\n');
    assert.equal(ok(applyEdits('a\nb\nc\n', [{ oldText: 'a\nb', newText: 'A\r\nB' }])), 'A\nB\nc\n');
    assert.equal(ok(applyEdits('just one line', [{ oldText: 'one', newText: 'one\r\nand two' }])), 'just one\nand two line');
  });

  it('follows most of the file: a mostly-CRLF file with a stray LF line gets CRLF', () => {
    const out = ok(applyEdits('a\r\nb\r\nc\nd\r\n', [{ oldText: 'd', newText: 'd\ne' }]));
    assert.equal(out, 'a\r\nb\r\nc\nd\r\ne\r\n');
  });
});

describe('edit_file: occurrences', () => {
  it('counts overlapping occurrences: "aa" is twice in "aaa", so it is not unique', () => {
    assert.match(failure(applyEdits('aaa', [{ oldText: 'aa', newText: 'b' }])), /^edits\[0\]\.oldText occurs 2 times in the file \(at lines 1, 1\)/);
    // The same with lines: two closing braces are twice in three.
    assert.match(failure(applyEdits('}\n}\n}\n', [{ oldText: '}\n}', newText: '}' }])), /occurs 2 times in the file \(at lines 1, 2\)/);
    // Beyond the listed 20, the count is still the true one.
    assert.match(failure(applyEdits('a'.repeat(30), [{ oldText: 'aa', newText: 'b' }])), /occurs 29 times in the file \(at lines 1(, 1){19}, …\)/);
    assert.equal(ok(applyEdits('aab', [{ oldText: 'ab', newText: 'X' }])), 'aX', 'one occurrence is one');
  });
});

/** A realistic module: many small functions (each ending in `}`), the one to edit far down. */
function shopModule(): { text: string; start: number; end: number } {
  const lines = ["import { Order, Line } from './types';", "import { log } from './log';", ''];
  for (let i = 1; i <= 40; i++) {
    lines.push(`export function check${i}(order: Order): boolean {`, `  if (order.lines.length > ${i}) {`, `    log('order has more than ${i} lines');`, '    return false;', '  }', '  return true;', '}', '');
  }
  const start = lines.length + 1;
  lines.push(
    'export function applyDiscount(order: Order, code: string): number {',
    '  const rate = DISCOUNT_RATES[code] ?? 0;',
    '  if (rate > MAX_DISCOUNT) {',
    '    throw new Error(`discount code ${code} is above the maximum`);',
    '  }',
    '  return Math.round(order.totalCents * (1 - rate));',
    '}',
  );
  const end = lines.length;
  lines.push('', 'export function lineTotal(line: Line): number {', '  return line.cents * line.quantity;', '}', '');
  return { text: lines.join('\n'), start, end };
}

/** The line numbers a hint shows (`  12| text`). */
const shown = (message: string) => [...message.matchAll(/^ *(\d+)\| /gm)].map((m) => Number(m[1]));

describe('edit_file: the most similar lines, for text found 0 times', () => {
  const { text, start, end } = shopModule();

  it('points at the region where oldText\'s lines are, not at the file\'s first closing braces', () => {
    // The model remembers the function a little wrong (two lines changed since it read them).
    const oldText = [
      'export function applyDiscount(order: Order, code: string): number {',
      '  const rate = DISCOUNT_RATES[code] || 0;',
      '  if (rate > MAX_DISCOUNT) {',
      '    throw new Error(`discount ${code} is above the maximum`);',
      '  }',
      '  return Math.round(order.totalCents * (1 - rate));',
      '}',
    ].join('\n');
    const message = failure(applyEdits(text, [{ oldText, newText: 'x' }]));
    assert.ok(start > 300, 'the function is far from the first closing brace');
    assert.match(message, new RegExp(`occurs 0 times in the file\\. The most similar lines \\(${start}–${end}\\):\\n`));
    assert.deepEqual(shown(message), Array.from({ length: end - start + 1 }, (_, k) => start + k), message);
    assert.ok(message.includes(`${start + 1}|   const rate = DISCOUNT_RATES[code] ?? 0;\n`), 'the file\'s own text, to copy');
  });

  it('weighs a distinctive line over trivial ones: a run of closing braces elsewhere does not win', () => {
    // Only the middle line says where this is; the braces around it are everywhere in the file.
    const oldText = ['    return false;', '  }', '  return Math.round(order.totalCents * (1 - rate))', '}', '}'].join('\n');
    const message = failure(applyEdits(text, [{ oldText, newText: 'x' }]));
    const at = shown(message);
    assert.ok(at.includes(start + 5), `the return line (${start + 5}) is shown: ${message}`);
    assert.ok(at.every((n) => n >= start - 2 && n <= end + 2), `only lines near it: ${message}`);
  });

  it('shows at most 12 lines of a long region, and says where it ends', () => {
    const long = Array.from({ length: 30 }, (_, i) => `const value${i} = compute(${i}, 'a string long enough to say something');`);
    const file = ['// header', ...long, '// footer'].join('\n');
    const oldText = long.map((l) => l.replace('compute', 'computed')).join('\n');
    const message = failure(applyEdits(file, [{ oldText, newText: 'x' }]));
    assert.match(message, /The most similar lines \(2–31\):\n/);
    assert.deepEqual(shown(message), Array.from({ length: 12 }, (_, k) => k + 2));
    assert.match(message, /\n {2}… \(to line 31\)\n/);
  });

  it('finds the region also when oldText begins with lines the file does not have (at its very top)', () => {
    const oldText = ['// A header the model imagined:', '// five lines', '// the file', '// does not', '// have.', "'use strict';", "import { Order, Line } from './types.js';", "import { log } from './log.js';"].join('\n');
    const message = failure(applyEdits(text, [{ oldText, newText: 'x' }]));
    assert.match(message, /The most similar lines \(1–2\):\n/);
    assert.deepEqual(shown(message), [1, 2]);
  });

  it('for one line of text, lists the (at most 3) most similar lines, best first', () => {
    const message = failure(applyEdits(text, [{ oldText: "    log('order has more than 7 line');", newText: 'x' }]));
    assert.match(message, /The most similar lines:\n/);
    assert.equal(shown(message)[0], 3 + 7 * 8 - 5, message);
    assert.equal(shown(message).length, 3);
  });

  it('names the one line when only one line of oldText is anywhere in the file', () => {
    const message = failure(applyEdits(text, [{ oldText: 'zzzz qqqq\n  return line.cents * line.qty;', newText: 'x' }]));
    assert.match(message, new RegExp(`The most similar line \\(${end + 3}\\):\\n *${end + 3}\\|   return line\\.cents \\* line\\.quantity;\\n`), message);
  });

  it('gives no hint when nothing is alike', () => {
    const message = failure(applyEdits(text, [{ oldText: 'zzzz\nqqqq', newText: 'x' }]));
    assert.doesNotMatch(message, /most similar/);
    assert.match(message, /The text must match exactly/);
  });
});
