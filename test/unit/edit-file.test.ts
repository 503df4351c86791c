// edit_file's text rules, on applyEdits (what the tool runs inside the write's lock): line endings
// (newText's line breaks are the file's, whatever the model sent) and occurrences counted honestly
// (overlapping ones too).

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
