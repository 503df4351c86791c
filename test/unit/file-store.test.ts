// The plain-filesystem FileStore: paths that leave the workspace are refused; writes are atomic.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeFileStore } from '../../src/node/file-store';
import { PathError } from '../../src/core/paths';
import { tempWorkspace } from '../helpers/tmp';

describe('file store', () => {
  it('refuses paths that escape the workspace: .., absolute, and through a symlink', async () => {
    const root = tempWorkspace();
    const outside = tempWorkspace();
    fs.symlinkSync(outside, path.join(root, 'link'));
    const store = new NodeFileStore(root);
    for (const p of ['../x.txt', 'a/../../x.txt', '/etc/passwd', 'C:\\x.txt', 'link/x.txt']) {
      await assert.rejects(store.write(p, 'x'), (e: unknown) => e instanceof PathError && e.reason === 'outside_workspace', p);
    }
    await assert.rejects(store.write('.git/config', 'x'), (e: unknown) => e instanceof PathError && e.reason === 'protected');
    assert.deepEqual(fs.readdirSync(outside), []);
  });

  it('writes atomically through a temporary file and lists files without ignored ones', async () => {
    const root = tempWorkspace();
    const store = new NodeFileStore(root);
    await store.write('src/a.js', 'one');
    await store.write('src/a.js', 'two');
    await store.write('node_modules/x/index.js', 'dep');
    await store.write('build/out.js', 'built');
    await store.write('.gitignore', 'build/\n');
    assert.equal(Buffer.from((await store.read('src/a.js'))!).toString(), 'two');
    assert.deepEqual((await store.list()).map((e) => e.path), ['.gitignore', 'src/a.js']);
    assert.deepEqual(fs.readdirSync(path.join(root, 'src')), ['a.js']); // no temp file left
  });

  it('writes again after its temporary folder was removed, and into folders removed since', async () => {
    const root = tempWorkspace();
    const store = new NodeFileStore(root);
    await store.write('deep/a.txt', 'one');
    fs.rmSync(path.join(root, '.ensemble', 'tmp'), { recursive: true });
    await store.write('deep/a.txt', 'two');
    fs.rmSync(path.join(root, 'deep'), { recursive: true });
    await store.write('deep/a.txt', 'three');
    assert.equal(fs.readFileSync(path.join(root, 'deep', 'a.txt'), 'utf8'), 'three');
    assert.deepEqual(fs.readdirSync(path.join(root, '.ensemble', 'tmp')), [], 'no temporary file left');
  });
});
