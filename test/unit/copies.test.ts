// The candidates' private copies of the workspace (src/node/copies.ts), on real git repositories and
// real folders: what a copy holds (uncommitted and untracked changes in, ignored files and .ensemble
// out, node_modules linked), that making and removing one leaves the user's repository as it was (index,
// HEAD, refs, stash, status, no hook run), that nothing done in a copy reaches the workspace, that its
// tracker reports exactly the candidate's change with the bytes before, and that a cancelled, crashed
// or killed run leaves nothing behind once swept.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { NodeWorkspaceCopier } from '../../src/node/copies';
import type { FileChange, WorkspaceCopy } from '../../src/core/ports';

/** The test's own git: no hook runs for it (the test puts hooks in a repository to see whether the copier runs them). */
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', '-c', `core.hooksPath=${path.join(os.tmpdir(), 'no-such-hooks')}`, ...args], {
    cwd,
    stdio: 'pipe',
  }).toString();
const write = (root: string, rel: string, data: string) => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), data);
};
const read = (root: string, rel: string) => fs.readFileSync(path.join(root, rel), 'utf8');
const exists = (root: string, rel: string) => fs.existsSync(path.join(root, rel));
const summary = (changes: FileChange[]) =>
  changes.map((c) => `${c.change} ${c.path}${c.before === undefined ? '' : ` <${Buffer.from(c.before).toString('utf8')}>`}`);

/** Everything of a repository a copy must leave as it was. */
function repoState(ws: string) {
  const gitDir = git(ws, 'rev-parse', '--absolute-git-dir').trim();
  return {
    status: git(ws, 'status', '--porcelain=v1', '--untracked-files=all', '--ignored'),
    head:
      git(ws, 'symbolic-ref', 'HEAD') +
      (() => {
        try {
          return git(ws, 'rev-parse', 'HEAD');
        } catch {
          return 'unborn';
        }
      })(),
    refs: git(ws, 'for-each-ref'),
    stash: git(ws, 'stash', 'list'),
    index: fs.existsSync(path.join(gitDir, 'index')) ? fs.readFileSync(path.join(gitDir, 'index')).toString('base64') : 'none',
    worktrees: git(ws, 'worktree', 'list', '--porcelain'),
    /** Every file in .git but its objects (git's gc removes the snapshot's commit in time; no ref names it). */
    files: fs
      .readdirSync(gitDir, { recursive: true })
      .map(String)
      .filter((f) => !f.startsWith('objects'))
      .sort(),
  };
}

describe('copies: a private copy of the workspace per candidate', function () {
  this.timeout(60_000); // file creation is slow on some CI disks
  const made: string[] = [];
  const temp = (prefix: string) => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
    made.push(dir);
    return dir;
  };
  const copies: WorkspaceCopy[] = [];
  afterEach(async () => {
    await Promise.all(copies.splice(0).map((c) => c.remove()));
  });
  after(() => {
    for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  /** A workspace `ws` and a copier whose copies go under their own temporary folder `tmp`. */
  /** A workspace (a git repository or a plain folder) and a copier of it; `reuse`: a session's, which keeps worktrees between races. */
  function setup(kind: 'git' | 'plain', opts: { reuse?: boolean } = {}) {
    const ws = temp('ensemble-copies-ws-');
    const tmp = temp('ensemble-copies-tmp-');
    if (kind === 'git') git(ws, 'init', '-q', '-b', 'main');
    return { ws, tmp, copier: new NodeWorkspaceCopier(ws, { tmpRoot: tmp, ...opts }) };
  }
  async function create(copier: NodeWorkspaceCopier, name: string, signal?: AbortSignal) {
    const c = await copier.create(name, signal);
    copies.push(c);
    return c;
  }
  /** Whatever is in the copies folders of the workspaces under `tmp` (`<user>/<workspace>/…`): sessions' folders, copies, temporary indexes. */
  function leftovers(tmp: string): string[] {
    const out: string[] = [];
    const walk = (dir: string, depth: number) => {
      for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
        if (depth >= 2) out.push(path.join(dir, e.name));
        else if (e.isDirectory()) walk(path.join(dir, e.name), depth + 1);
      }
    };
    walk(tmp, 0);
    return out;
  }

  it('in a git repository: a worktree of the state now — uncommitted and untracked changes in, ignored files and .ensemble out — that leaves index, HEAD, refs, stash and status as they were', async () => {
    const { ws, tmp, copier } = setup('git');
    write(ws, '.gitignore', 'node_modules/\n*.log\n');
    write(ws, 'a.txt', 'committed a\n');
    write(ws, 'dirty.txt', 'committed dirty\n');
    write(ws, 'staged.txt', 'committed staged\n');
    write(ws, 'bin/run.sh', '#!/bin/sh\necho run\n');
    fs.chmodSync(path.join(ws, 'bin/run.sh'), 0o755);
    git(ws, 'add', '-A');
    git(ws, 'commit', '-qm', 'start');
    // A stash, a branch and a tag the copy must not disturb; a hook that must not run.
    write(ws, 'a.txt', 'stashed edit\n');
    git(ws, 'stash', '-q');
    git(ws, 'branch', 'feature');
    git(ws, 'tag', 'v1');
    const marker = path.join(tmp, 'hook-ran');
    for (const hook of ['post-checkout', 'reference-transaction', 'post-index-change']) {
      write(ws, `.git/hooks/${hook}`, `#!/bin/sh\necho ${hook} >> '${marker}'\n`);
      fs.chmodSync(path.join(ws, `.git/hooks/${hook}`), 0o755);
    }
    // The user's work in progress: modified, staged, untracked, ignored, and Ensemble's own folder.
    write(ws, 'dirty.txt', 'edited, not committed\n');
    write(ws, 'staged.txt', 'edited and staged\n');
    git(ws, 'add', 'staged.txt');
    write(ws, 'new/untracked.txt', 'untracked\n');
    write(ws, 'debug.log', 'ignored\n');
    write(ws, 'node_modules/dep/index.js', 'module.exports = 1;\n');
    write(ws, '.ensemble/sessions/s1/events.jsonl', '{}\n');
    const before = repoState(ws);

    const copy = await create(copier, 's1/t1.1');
    assert.equal(copy.kind, 'git-worktree');
    assert.ok(copy.root.startsWith(tmp + path.sep), `${copy.root} is under the temporary folder`);
    assert.ok(!copy.root.startsWith(ws + path.sep));
    const userDir = path.join(tmp, `ensemble-copies-${process.getuid!()}`);
    assert.equal(fs.statSync(userDir).mode & 0o777, 0o700, "the user's copies folder is private");
    assert.equal(read(copy.root, 'a.txt'), 'committed a\n');
    assert.equal(read(copy.root, 'dirty.txt'), 'edited, not committed\n');
    assert.equal(read(copy.root, 'staged.txt'), 'edited and staged\n');
    assert.equal(read(copy.root, 'new/untracked.txt'), 'untracked\n');
    assert.equal(fs.statSync(path.join(copy.root, 'bin/run.sh')).mode & 0o111, 0o111, 'the executable bit is kept');
    assert.ok(!exists(copy.root, 'debug.log'), 'an ignored file is not copied');
    assert.ok(!exists(copy.root, '.ensemble'), ".ensemble is Ensemble's own, not the project's");
    assert.ok(fs.lstatSync(path.join(copy.root, 'node_modules')).isSymbolicLink(), 'node_modules is linked, not copied');
    assert.equal(fs.realpathSync(path.join(copy.root, 'node_modules')), path.join(ws, 'node_modules'));
    assert.equal(read(copy.root, 'node_modules/dep/index.js'), 'module.exports = 1;\n');
    assert.deepEqual(repoState(ws).status, before.status, "making the copy changed nothing in the user's status");
    assert.equal(repoState(ws).index, before.index, "the user's index is not written");
    assert.ok(!fs.existsSync(marker), `no hook of the user's ran (${fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : ''})`);

    // The candidate's work, through the copy's store and by a command; the workspace never sees it.
    const mark = await copy.tracker.mark();
    await copy.store.write('a.txt', 'candidate a\n');
    await copy.store.remove('dirty.txt');
    fs.appendFileSync(path.join(copy.root, 'new/untracked.txt'), 'appended by a command\n');
    write(copy.root, 'src/made.ts', 'export {};\n');
    write(copy.root, 'out.log', 'ignored in the copy too\n');
    const { changes } = await copy.tracker.since(mark);
    assert.deepEqual(summary(changes), [
      'modified a.txt <committed a\n>',
      'deleted dirty.txt <edited, not committed\n>',
      'modified new/untracked.txt <untracked\n>',
      'created src/made.ts',
    ]);
    assert.ok(changes.every((c) => c.beforeKnown));
    assert.equal(read(ws, 'a.txt'), 'committed a\n');
    assert.equal(read(ws, 'dirty.txt'), 'edited, not committed\n');
    assert.equal(read(ws, 'new/untracked.txt'), 'untracked\n');
    assert.ok(!exists(ws, 'src/made.ts') && !exists(ws, 'out.log'));
    assert.match(copy.search ? 'search' : '', /search/, 'the copy has its own search');

    await copy.remove();
    await copy.remove(); // once removed, removing again is nothing
    assert.ok(!fs.existsSync(copy.root), 'the copy is gone');
    assert.deepEqual(repoState(ws), before, "index, HEAD, refs, stash, status and worktrees are the user's, as they were");
    assert.ok(!fs.existsSync(marker), "no hook of the user's ran");
    assert.deepEqual(leftovers(tmp), []);
  });

  it("with reuse (a session's copier), a removed worktree is brought to the next race's state rather than checked out again, and close removes it", async () => {
    const { ws, copier } = setup('git', { reuse: true });
    write(ws, '.gitignore', 'node_modules/\n*.log\n');
    write(ws, 'a.txt', 'a1\n');
    write(ws, 'b.txt', 'b1\n');
    write(ws, 'node_modules/dep/index.js', 'module.exports = 1;\n');
    git(ws, 'add', '-A');
    git(ws, 'commit', '-q', '-m', 'init');
    const before = repoState(ws);
    const first = await copier.create('s/t.1.1');
    // The first candidate changes a tracked file, adds an untracked and an ignored one, deletes one.
    write(first.root, 'a.txt', 'changed by the first candidate\n');
    write(first.root, 'new.txt', 'untracked\n');
    write(first.root, 'build.log', 'ignored\n');
    fs.rmSync(path.join(first.root, 'b.txt'));
    await first.remove();
    assert.ok(exists(first.root, 'new.txt'), 'kept for the next race');
    // The workspace moves on (an earlier task's change, uncommitted) before the next race.
    write(ws, 'b.txt', 'b2 uncommitted\n');
    write(ws, 'c.txt', 'c untracked in the workspace\n');
    const second = await copier.create('s/t2.1.1');
    assert.equal(second.root, first.root, 'the same worktree, brought to the new state');
    assert.equal(read(second.root, 'a.txt'), 'a1\n');
    assert.equal(read(second.root, 'b.txt'), 'b2 uncommitted\n');
    assert.equal(read(second.root, 'c.txt'), 'c untracked in the workspace\n');
    assert.equal(exists(second.root, 'new.txt'), false);
    assert.equal(exists(second.root, 'build.log'), false);
    assert.ok(fs.lstatSync(path.join(second.root, 'node_modules')).isSymbolicLink());
    // Its tracker counts from the new state.
    const mark = await second.tracker.mark();
    write(second.root, 'a.txt', 'second\n');
    assert.deepEqual(summary((await second.tracker.since(mark)).changes), ['modified a.txt <a1\n>']);
    await second.remove();
    await copier.close();
    assert.equal(fs.existsSync(second.root), false);
    const after = repoState(ws);
    assert.equal(after.worktrees, before.worktrees);
    assert.equal(after.head, before.head);
    assert.equal(after.refs, before.refs);
    assert.equal(read(ws, 'b.txt'), 'b2 uncommitted\n');
  });

  it('prepare makes worktrees ahead; the copies asked for later are those, brought to the state then', async () => {
    const { ws, tmp, copier } = setup('git', { reuse: true });
    write(ws, 'a.txt', 'a1\n');
    git(ws, 'add', '-A');
    git(ws, 'commit', '-q', '-m', 'init');
    copier.prepare(2);
    // The workspace changes before the race asks for its copies (an earlier task's work).
    write(ws, 'a.txt', 'a2 by an earlier task\n');
    const [x, y] = await Promise.all([copier.create('s/t.1.1'), copier.create('s/t.1.2')]);
    for (const c of [x!, y!]) {
      assert.match(c.root, /[/\\]ahead[/\\]/, `${c.root} is one made ahead`);
      assert.equal(read(c.root, 'a.txt'), 'a2 by an earlier task\n');
    }
    assert.notEqual(x!.root, y!.root);
    assert.equal(git(ws, 'worktree', 'list', '--porcelain').match(/^worktree /gm)!.length, 3, 'no third worktree was made');
    await Promise.all([x!.remove(), y!.remove()]);
    await copier.close();
    assert.equal(git(ws, 'worktree', 'list', '--porcelain').match(/^worktree /gm)!.length, 1);
    assert.deepEqual(leftovers(tmp), []);
  });

  it("a parked worktree's index is refreshed once the clock has moved on: no file is left racily clean for the next race's checkout", async function () {
    this.timeout(20_000);
    const { ws, tmp, copier } = setup('git', { reuse: true });
    const files = Array.from({ length: 40 }, (_, i) => `f${i}.txt`);
    for (const f of files) write(ws, f, `${f}\n`);
    git(ws, 'add', '-A');
    git(ws, 'commit', '-q', '-m', 'init');
    const c = await copier.create('s/t.1.1');
    const index = path.resolve(c.root, git(c.root, 'rev-parse', '--git-path', 'index').trim());
    // git reads a file whole at a checkout when its time (in seconds) is not before its index's.
    const racy = () => files.filter((f) => Math.floor(fs.statSync(path.join(c.root, f)).mtimeMs / 1000) >= Math.floor(fs.statSync(index).mtimeMs / 1000));
    await c.remove();
    const deadline = Date.now() + 10_000;
    while (racy().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(racy(), [], 'every file is clean in the index');
    // And the next race still gets it, brought to its state.
    write(ws, 'f0.txt', 'changed\n');
    const again = await copier.create('s/t2.1.1');
    assert.equal(again.root, c.root);
    assert.equal(read(again.root, 'f0.txt'), 'changed\n');
    await again.remove();
    await copier.close();
    assert.deepEqual(leftovers(tmp), []);
  });

  it('a session ending while copies are made ahead stops their checkouts and leaves nothing', async function () {
    this.timeout(20_000);
    const { ws, tmp, copier } = setup('git', { reuse: true });
    // A checkout that would take a minute (a slow smudge filter, like git-lfs fetching a large file).
    git(ws, 'config', 'filter.slow.smudge', 'sleep 60; cat');
    write(ws, '.gitattributes', '*.txt filter=slow\n');
    write(ws, 'a.txt', 'a\n');
    git(ws, 'add', '-A');
    git(ws, 'commit', '-q', '-m', 'init');
    copier.prepare(2);
    // Until both checkouts have started.
    while (git(ws, 'worktree', 'list', '--porcelain').match(/^worktree /gm)!.length < 3) await new Promise((r) => setTimeout(r, 20));
    await copier.close();
    assert.equal(git(ws, 'worktree', 'list', '--porcelain').match(/^worktree /gm)!.length, 1);
    assert.deepEqual(leftovers(tmp), []);
  });

  it('several copies made at once are independent of each other and of the workspace', async () => {
    const { ws, copier } = setup('git');
    write(ws, 'f.txt', 'one\n');
    git(ws, 'add', '-A');
    git(ws, 'commit', '-qm', 'start');
    write(ws, 'f.txt', 'two, uncommitted\n');
    const three = await Promise.all([1, 2, 3].map((n) => create(copier, `s/t.${n}`)));
    assert.equal(new Set(three.map((c) => c.root)).size, 3);
    const marks = await Promise.all(three.map((c) => c.tracker.mark()));
    await three[0]!.store.write('f.txt', 'candidate 1\n');
    await three[1]!.store.write('g.txt', 'candidate 2\n');
    const changes = await Promise.all(three.map((c, i) => c.tracker.since(marks[i]!)));
    assert.deepEqual(
      changes.map((c) => summary(c.changes)),
      [['modified f.txt <two, uncommitted\n>'], ['created g.txt'], []],
    );
    assert.equal(read(three[1]!.root, 'f.txt'), 'two, uncommitted\n');
    assert.equal(read(ws, 'f.txt'), 'two, uncommitted\n');
    assert.ok(!exists(ws, 'g.txt'));
  });

  it("copies made and removed all at once do not trip over git's bookkeeping of worktrees", async () => {
    const { ws, tmp, copier } = setup('git');
    write(ws, 'f.txt', 'f\n');
    git(ws, 'add', '-A');
    git(ws, 'commit', '-qm', 'start');
    const before = repoState(ws);
    for (let round = 0; round < 3; round++) {
      const many = await Promise.all(Array.from({ length: 6 }, (_, n) => copier.create(`s${round}/t.${n}`)));
      await Promise.all(many.map((c) => c.remove()));
    }
    assert.deepEqual(leftovers(tmp), []);
    assert.deepEqual(repoState(ws), before);
  });

  it('a repository with no commit yet', async () => {
    const { ws, copier } = setup('git');
    write(ws, 'first.txt', 'not committed yet\n');
    write(ws, 'node_modules/x.js', '\n');
    const before = repoState(ws);
    const copy = await create(copier, 's/t.1');
    assert.equal(copy.kind, 'git-worktree');
    assert.equal(read(copy.root, 'first.txt'), 'not committed yet\n');
    const mark = await copy.tracker.mark();
    await copy.store.write('first.txt', 'changed\n');
    assert.deepEqual(summary((await copy.tracker.since(mark)).changes), ['modified first.txt <not committed yet\n>']);
    await copy.remove();
    assert.deepEqual(repoState(ws), before, 'HEAD still has no commit; nothing else changed');
  });

  it('a workspace that is a folder inside the repository: the copy root is that folder in the worktree', async () => {
    const { ws: top, tmp } = setup('git');
    write(top, 'other/y.txt', 'sibling\n');
    write(top, 'pkg/a/x.txt', 'x committed\n');
    git(top, 'add', '-A');
    git(top, 'commit', '-qm', 'start');
    write(top, 'pkg/a/x.txt', 'x edited\n');
    write(top, 'pkg/a/node_modules/m.js', '\n');
    write(top, 'pkg/a/.gitignore', 'node_modules/\n');
    const ws = path.join(top, 'pkg/a');
    const copier = new NodeWorkspaceCopier(ws, { tmpRoot: tmp });
    const before = repoState(top);
    const copy = await create(copier, 's/t.1');
    assert.equal(path.basename(copy.root), 'a');
    assert.equal(path.basename(path.dirname(copy.root)), 'pkg');
    assert.equal(read(copy.root, 'x.txt'), 'x edited\n');
    assert.equal(read(copy.root, '../../other/y.txt'), 'sibling\n', 'the rest of the repository is there too');
    assert.ok(fs.lstatSync(path.join(copy.root, 'node_modules')).isSymbolicLink());
    const mark = await copy.tracker.mark();
    await copy.store.write('x.txt', 'candidate\n');
    await copy.store.write('y/new.txt', 'new\n');
    assert.deepEqual(summary((await copy.tracker.since(mark)).changes), ['modified x.txt <x edited\n>', 'created y/new.txt']);
    await copy.remove();
    assert.deepEqual(repoState(top), before);
  });

  it("a workspace that is itself a linked worktree (its index is in the main repository's .git)", async () => {
    const { ws: main, tmp } = setup('git');
    write(main, 'f.txt', 'f\n');
    git(main, 'add', '-A');
    git(main, 'commit', '-qm', 'start');
    const ws = path.join(temp('ensemble-copies-linked-'), 'wt');
    git(main, 'worktree', 'add', '-q', '-b', 'side', ws);
    write(ws, 'f.txt', 'edited in the linked worktree\n');
    const before = repoState(ws);
    const copy = await create(new NodeWorkspaceCopier(ws, { tmpRoot: tmp }), 's/t.1');
    assert.equal(read(copy.root, 'f.txt'), 'edited in the linked worktree\n');
    await copy.remove();
    assert.deepEqual(repoState(ws), before);
  });

  it('not a git repository: the listed files copied (not linked: an append in the copy leaves the original), modes kept, node_modules linked', async () => {
    const { ws, tmp, copier } = setup('plain');
    write(ws, '.gitignore', 'dist/\n');
    write(ws, 'a.txt', 'a\n');
    write(ws, 'deep/er/b.txt', 'b\n');
    write(ws, 'run.sh', '#!/bin/sh\n');
    fs.chmodSync(path.join(ws, 'run.sh'), 0o750);
    write(ws, 'dist/out.js', 'built\n');
    write(ws, 'node_modules/dep.js', '\n');
    write(ws, 'packages/p/node_modules/dep.js', '\n');
    write(ws, 'packages/p/index.js', '\n');
    write(ws, '.ensemble/x', '\n');
    const copy = await create(copier, 's/t.1');
    assert.equal(copy.kind, 'copy');
    assert.ok(copy.root.startsWith(tmp + path.sep));
    assert.equal(read(copy.root, 'deep/er/b.txt'), 'b\n');
    assert.equal(fs.statSync(path.join(copy.root, 'run.sh')).mode & 0o777, 0o750);
    assert.ok(!exists(copy.root, 'dist') && !exists(copy.root, '.ensemble'));
    assert.ok(fs.lstatSync(path.join(copy.root, 'node_modules')).isSymbolicLink());
    assert.ok(fs.lstatSync(path.join(copy.root, 'packages/p/node_modules')).isSymbolicLink(), "a package's node_modules is linked too");
    assert.notEqual(fs.statSync(path.join(copy.root, 'a.txt')).ino, fs.statSync(path.join(ws, 'a.txt')).ino, 'not a hard link');
    fs.appendFileSync(path.join(copy.root, 'a.txt'), 'appended by a command\n');
    assert.equal(read(ws, 'a.txt'), 'a\n');
    const mark = await copy.tracker.mark();
    await copy.store.write('deep/er/b.txt', 'candidate\n');
    await copy.store.remove('a.txt');
    await copy.store.write('c.txt', 'c\n');
    assert.deepEqual(summary((await copy.tracker.since(mark)).changes), [
      'deleted a.txt <a\nappended by a command\n>',
      'created c.txt',
      'modified deep/er/b.txt <b\n>',
    ]);
    await copy.remove();
    assert.ok(!fs.existsSync(copy.root));
    assert.deepEqual(leftovers(tmp), []);
  });

  it("sweep removes the copies a crashed run left, and git's record of them", async () => {
    const { ws, tmp, copier } = setup('git');
    write(ws, 'f.txt', 'f\n');
    git(ws, 'add', '-A');
    git(ws, 'commit', '-qm', 'start');
    const before = repoState(ws);
    assert.equal(await copier.sweep(), 0, 'nothing to sweep');
    assert.deepEqual(fs.readdirSync(tmp), [], 'sweeping nothing makes nothing');
    // A run that dies with its copies made: one still there, one whose folder someone deleted.
    const [a, b] = await Promise.all([copier.create('s1/t.1'), copier.create('s2/t.1')]);
    a!.tracker.close?.();
    b!.tracker.close?.();
    fs.rmSync(b!.root, { recursive: true, force: true });
    assert.equal(git(ws, 'worktree', 'list', '--porcelain').match(/^worktree /gm)?.length, 3);
    const next = new NodeWorkspaceCopier(ws, { tmpRoot: tmp });
    assert.equal(await next.sweep(), 2);
    assert.ok(!fs.existsSync(a!.root));
    assert.deepEqual(leftovers(tmp), []);
    assert.deepEqual(repoState(ws), before, 'git lists only the main worktree again');
    assert.equal(await next.sweep(), 0);
  });

  it('a name cannot lead out of the copies folder; a name already used gets a folder of its own', async () => {
    const { ws, tmp, copier } = setup('plain');
    write(ws, 'f.txt', 'f\n');
    const odd = await create(copier, '../../../escape/..');
    assert.ok(odd.root.startsWith(path.join(tmp, `ensemble-copies-${process.getuid!()}`) + path.sep), odd.root);
    const [one, two] = await Promise.all([create(copier, 's/t.1'), create(copier, 's/t.1')]);
    assert.notEqual(one!.root, two!.root);
    assert.equal(read(two!.root, 'f.txt'), 'f\n');
  });

  it('says why when git cannot make the worktree, and leaves nothing', async () => {
    const { ws, tmp, copier } = setup('git');
    write(ws, 'f.txt', 'f\n');
    git(ws, 'add', '-A');
    git(ws, 'commit', '-qm', 'start');
    write(ws, '.git/worktrees', 'a file where git keeps its worktrees\n');
    await assert.rejects(copier.create('s/t.1'), /^Error: could not make a git worktree for the candidate: fatal: .*worktrees/);
    assert.deepEqual(leftovers(tmp), []);
  });

  it('a split index: no shared index file of ours is left in .git', async () => {
    const { ws, copier } = setup('git');
    write(ws, 'a.txt', 'a\n');
    git(ws, 'add', '-A');
    git(ws, 'commit', '-qm', 'start');
    git(ws, 'config', 'core.splitIndex', 'true');
    git(ws, 'update-index', '--split-index');
    write(ws, 'a.txt', 'staged\n');
    git(ws, 'add', 'a.txt');
    write(ws, 'b.txt', 'untracked\n');
    const before = repoState(ws);
    const copy = await create(copier, 's/t.1');
    assert.equal(read(copy.root, 'a.txt'), 'staged\n');
    assert.equal(read(copy.root, 'b.txt'), 'untracked\n');
    await copy.remove();
    assert.deepEqual(repoState(ws), before);
  });

  it('refuses a copies folder that others can enter or that is a link', async () => {
    const { ws, tmp, copier } = setup('plain');
    write(ws, 'f.txt', 'f\n');
    const userDir = path.join(tmp, `ensemble-copies-${process.getuid!()}`);
    fs.mkdirSync(userDir, { mode: 0o777 });
    fs.chmodSync(userDir, 0o777);
    await assert.rejects(copier.create('s/t.1'), /is not a private folder of this user/);
    fs.rmdirSync(userDir);
    fs.symlinkSync(temp('ensemble-copies-elsewhere-'), userDir);
    await assert.rejects(copier.create('s/t.1'), /is not a private folder of this user/);
    await assert.rejects(new NodeWorkspaceCopier(ws, { tmpRoot: path.join(ws, 'tmp') }).create('s/t.1'), /is inside the workspace/);
  });

  for (const kind of ['git', 'plain'] as const)
    it(`a create cancelled at any moment leaves no copy and no worktree behind (${kind})`, async () => {
      const { ws, tmp, copier } = setup(kind);
      for (let i = 0; i < 40; i++) write(ws, `d${i % 4}/f${i}.txt`, `${i}\n`);
      write(ws, 'node_modules/m.js', '\n');
      if (kind === 'git') {
        git(ws, 'add', '-A');
        git(ws, 'commit', '-qm', 'start');
        write(ws, 'd0/f0.txt', 'dirty\n');
      }
      const before = kind === 'git' ? repoState(ws) : undefined;
      const already = new AbortController();
      already.abort(new Error('cancelled before'));
      await assert.rejects(copier.create('s/t.0', already.signal), /cancelled before/);
      // Through every step of a create, however fast this disk is: 16 moments from 0 to twice an
      // uncancelled one (the fastest of three: the first, with cold caches, can take twice the others).
      let full = Infinity;
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await (await copier.create(`s/t.timed${i}`)).remove();
        full = Math.min(full, performance.now() - t0);
      }
      let completed = 0;
      const delays = Array.from({ length: 16 }, (_, i) => Math.round((i * 2 * full) / 15));
      for (const delay of delays) {
        const ac = new AbortController();
        const p = copier.create(`s/t.${delay}`, ac.signal);
        setTimeout(() => ac.abort(new Error('cancelled')), delay);
        await p.then(
          (c) => (completed++, c.remove()),
          (e: Error) => assert.match(e.message, /cancelled/),
        );
        assert.deepEqual(leftovers(tmp), [], `nothing left after a cancel at ${delay} ms`);
        if (before) assert.deepEqual(repoState(ws), before, `the repository as it was after a cancel at ${delay} ms`);
      }
      // The range covers a whole create: some were cancelled after they started, the last ones completed.
      assert.ok(completed >= 1 && completed <= delays.length - 3, `${completed} of ${delays.length} completed (an uncancelled create: ${Math.round(full)} ms)`);
    });
});
