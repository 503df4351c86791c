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

  it('lists with the .gitignore files as they are now (a change to one between two listings counts), sorted by path', async () => {
    const root = tempWorkspace();
    const store = new NodeFileStore(root);
    for (const p of ['a.txt', 'b.txt', 'sub/a.txt', 'sub/b.txt', 'a-b/x.txt', 'a/x.txt']) await store.write(p, 'x');
    fs.writeFileSync(path.join(root, 'sub', '.gitignore'), 'a.txt\n');
    const paths = async () => (await store.list()).map((e) => e.path);
    assert.deepEqual(await paths(), ['a-b/x.txt', 'a.txt', 'a/x.txt', 'b.txt', 'sub/.gitignore', 'sub/b.txt']);
    fs.writeFileSync(path.join(root, 'sub', '.gitignore'), 'b.txt\n'); // same size
    assert.deepEqual(await paths(), ['a-b/x.txt', 'a.txt', 'a/x.txt', 'b.txt', 'sub/.gitignore', 'sub/a.txt']);
    fs.rmSync(path.join(root, 'sub', '.gitignore'));
    fs.writeFileSync(path.join(root, '.gitignore'), 'a*\n!a/\n');
    assert.deepEqual(await paths(), ['.gitignore', 'a/x.txt', 'b.txt', 'sub/b.txt']);
    const entry = (await store.list('sub'))[0]!;
    assert.deepEqual(Object.keys(entry).sort(), ['ctimeMs', 'mtimeMs', 'path', 'size', 'type']);
    assert.deepEqual([entry.path, entry.type, entry.size], ['sub/b.txt', 'file', 1]);
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
