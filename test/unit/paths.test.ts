// The lexical half of the workspace guard: normaliseRelative refuses a `..` escape from the path's
// text alone, before any I/O. The file store's realpath check refuses the same paths too, so only a
// direct test notices when this one goes. (normaliseRelative is moving to src/core/paths.ts.)

import * as assert from 'node:assert/strict';
import { normaliseRelative, PathError } from '../../src/core/paths';

const refused = (p: string, reason: PathError['reason']) =>
  assert.throws(() => normaliseRelative(p), (e: unknown) => e instanceof PathError && e.reason === reason && e.path === p, p);

describe('normaliseRelative (pure: no workspace, no disk)', () => {
  it('refuses every path whose `..` climbs out of the workspace, with either slash', () => {
    for (const p of ['..', '../', '../x.txt', 'a/../../x.txt', 'a/b/../../../x', './../x', 'a/./../../x', '..\\x.txt', 'a\\..\\..\\x.txt', 'a/..\\../x', ' ../x ']) refused(p, 'outside_workspace');
  });

  it('refuses absolute, drive and home paths as outside, and empty or NUL paths as invalid', () => {
    for (const p of ['/etc/passwd', '\\\\server\\share', 'C:\\x.txt', 'c:x.txt', '~/x']) refused(p, 'outside_workspace');
    for (const p of ['', '   ', 'a\0b']) refused(p, 'invalid');
  });

  it('keeps a `..` that stays inside, and a name that only starts with two dots', () => {
    assert.equal(normaliseRelative('a/../b.txt'), 'b.txt');
    assert.equal(normaliseRelative('a/b/../../c'), 'c');
    assert.equal(normaliseRelative('a/..'), '.');
    assert.equal(normaliseRelative('..foo/bar'), '..foo/bar');
    assert.equal(normaliseRelative('a\\.\\b\\'), 'a/b');
  });
});
