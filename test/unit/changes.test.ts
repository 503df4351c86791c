// What a command changed, found at the cost of the change: the git + watcher tracker (src/node/changes.ts)
// on real git repositories — every kind of change with its exact bytes before (from git's objects, with
// the checkout's line endings, or from copies of what was dirty), what .gitignore hides, folders made,
// moved and removed, a flood of files past the watcher's guard — and how much of the workspace it reads
// (counted through the store, not timed). Then the session's write that keeps a save landing mid-write.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, execSync } from 'node:child_process';
import { GitChangeTracker, nodeChangeTracker } from '../../src/node/changes';
import { NodeFileStore } from '../../src/node/file-store';
import type { ChangeTracker, FileChange, FileStore } from '../../src/core/ports';
import { SessionFiles } from '../../src/core/store/workspace';
import { BlobStore } from '../../src/core/store/blobs';
import type { EnsembleEvent, EventBody } from '../../src/core/events';
import { tempWorkspace } from '../helpers/tmp';

const git = (ws: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: ws, stdio: 'pipe' }).toString();
const write = (ws: string, rel: string, data: string | Buffer) => {
  fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
  fs.writeFileSync(path.join(ws, rel), data);
};
const read = (ws: string, rel: string) => fs.readFileSync(path.join(ws, rel));

/** A git repository with `files` committed (and the index refreshed, as a user's repository is). */
function repo(files: Record<string, string | Buffer>): string {
  const ws = tempWorkspace('ensemble-git-');
  git(ws, 'init', '-q');
  for (const [rel, data] of Object.entries(files)) write(ws, rel, data);
  git(ws, 'add', '-A');
  git(ws, 'commit', '-qm', 'start');
  return ws;
}

/** A store that counts what it is asked (reads, stats and listed files). */
function counting(store: NodeFileStore): { store: FileStore; counts: { read: number; stat: number; listed: number } } {
  const counts = { read: 0, stat: 0, listed: 0 };
  return {
    counts,
    store: {
      read: (p) => (counts.read++, store.read(p)),
      stat: (p) => (counts.stat++, store.stat(p)),
      write: (p, d, o) => store.write(p, d, o),
      remove: (p) => store.remove(p),
      list: async (d, o) => {
        const out = await store.list(d, o);
        counts.listed += out.length;
        return out;
      },
    },
  };
}

const summary = (changes: FileChange[]) => changes.map((c) => `${c.change} ${c.path}${c.beforeKnown ? '' : ' (before unknown)'}`);

async function open(ws: string, store: FileStore = new NodeFileStore(ws)): Promise<GitChangeTracker> {
  const t = await GitChangeTracker.open(ws, store);
  assert.ok(t, 'a git repository gets the git tracker');
  return t;
}

describe('changes: the git + watcher tracker', () => {
  const open_: ChangeTracker[] = [];
  afterEach(() => open_.splice(0).forEach((t) => t.close?.()));

  it('finds what a command created, modified and deleted, with the exact bytes before from git and from copies of what was dirty', async () => {
    const ws = repo({ 'a.txt': 'a1\n', 'src/b.ts': 'export const b = 1;\n', 'gone.txt': 'bye\n', 'dirty.txt': 'committed\n', 'same.txt': 'same\n', '.gitignore': 'dist/\n*.log\n' });
    write(ws, 'dirty.txt', 'edited by the user, not committed\n');
    write(ws, 'untracked.txt', 'new, untracked\n');
    const t = await open(ws);
    open_.push(t);
    const m = await t.mark();
    execSync(
      `node -e "const fs=require('fs');fs.writeFileSync('a.txt','a2\\n');fs.rmSync('gone.txt');fs.writeFileSync('dirty.txt','by the command\\n');fs.appendFileSync('untracked.txt','more\\n');fs.mkdirSync('new/deep',{recursive:true});fs.writeFileSync('new/deep/c.js','c');fs.mkdirSync('dist');fs.writeFileSync('dist/out.js','built');fs.writeFileSync('x.log','log');fs.writeFileSync('same.txt','same\\n')"`,
      { cwd: ws },
    );
    const { changes, touched } = await t.since(m);
    assert.deepEqual(summary(changes), ['modified a.txt', 'modified dirty.txt', 'deleted gone.txt', 'created new/deep/c.js', 'modified untracked.txt']);
    const before = Object.fromEntries(changes.map((c) => [c.path, c.before && Buffer.from(c.before).toString('utf8')]));
    assert.deepEqual(before, { 'a.txt': 'a1\n', 'dirty.txt': 'edited by the user, not committed\n', 'gone.txt': 'bye\n', 'new/deep/c.js': undefined, 'untracked.txt': 'new, untracked\n' });
    assert.deepEqual(touched, ['same.txt'], 'rewritten with the same bytes: touched, not changed');
  });

  it('gives the bytes before as the checkout wrote them (CRLF by .gitattributes), not as git stores them', async () => {
    const ws = repo({ '.gitattributes': '*.txt text eol=crlf\n', 'win.txt': 'one\ntwo\n' });
    fs.rmSync(path.join(ws, 'win.txt'));
    git(ws, 'checkout', '--', 'win.txt');
    assert.equal(read(ws, 'win.txt').toString(), 'one\r\ntwo\r\n', 'the checkout wrote CRLF');
    const t = await open(ws);
    open_.push(t);
    const m = await t.mark();
    write(ws, 'win.txt', 'changed\r\n');
    const { changes } = await t.since(m);
    assert.deepEqual(summary(changes), ['modified win.txt']);
    assert.equal(Buffer.from(changes[0]!.before!).toString(), 'one\r\ntwo\r\n');
  });

  it('follows folders moved and removed, and changes across several commands', async () => {
    const ws = repo({ 'lib/x.ts': 'x', 'lib/y/z.ts': 'z', 'keep.ts': 'k' });
    const t = await open(ws);
    open_.push(t);
    let m = await t.mark();
    fs.renameSync(path.join(ws, 'lib'), path.join(ws, 'moved'));
    let r = await t.since(m);
    assert.deepEqual(summary(r.changes), ['deleted lib/x.ts', 'deleted lib/y/z.ts', 'created moved/x.ts', 'created moved/y/z.ts']);
    assert.equal(Buffer.from(r.changes[1]!.before!).toString(), 'z');
    // The moved folder is watched under its new name: a later write inside it is found.
    m = await t.mark();
    write(ws, 'moved/y/z.ts', 'z2');
    r = await t.since(m);
    assert.deepEqual(summary(r.changes), ['modified moved/y/z.ts']);
    assert.equal(Buffer.from(r.changes[0]!.before!).toString(), 'z', 'its bytes before: the copy taken at the mark (it was written since the start)');
    m = await t.mark();
    fs.rmSync(path.join(ws, 'moved'), { recursive: true });
    r = await t.since(m);
    assert.deepEqual(summary(r.changes), ['deleted moved/x.ts', 'deleted moved/y/z.ts']);
    m = await t.mark();
    r = await t.since(m);
    assert.deepEqual(r.changes, [], 'nothing ran: nothing changed');
  });

  it('reads only what changed: a command that writes one file costs a handful of reads, however large the repository', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 600; i++) files[`pkg${i % 12}/src/f${i}.ts`] = `export const v${i} = ${i};\n`;
    const ws = repo(files);
    const c = counting(new NodeFileStore(ws));
    const t = await open(ws, c.store);
    open_.push(t);
    const m = await t.mark();
    write(ws, 'pkg3/src/f3.ts', 'changed');
    const { changes } = await t.since(m);
    assert.deepEqual(summary(changes), ['modified pkg3/src/f3.ts']);
    assert.equal(Buffer.from(changes[0]!.before!).toString(), 'export const v3 = 3;\n');
    assert.ok(c.counts.read + c.counts.stat <= 4 && c.counts.listed === 0, `reads ${c.counts.read}, stats ${c.counts.stat}, listed ${c.counts.listed}`);
  });

  it('a command that writes thousands of files: every one is found (git status joins the watcher past its guard)', async () => {
    const ws = repo({ 'a.txt': 'a' });
    const t = await open(ws);
    open_.push(t);
    const m = await t.mark();
    execSync(`node -e "const fs=require('fs');for(let d=0;d<10;d++){fs.mkdirSync('gen/'+d,{recursive:true});for(let i=0;i<600;i++)fs.writeFileSync('gen/'+d+'/'+i+'.txt',String(i))}"`, { cwd: ws });
    const { changes } = await t.since(m);
    assert.equal(changes.length, 6000);
    assert.ok(changes.every((c) => c.change === 'created'));
  });

  it('a workspace in a sub-folder of a repository: paths are the workspace\'s own', async () => {
    const top = repo({ 'outside.txt': 'o', 'app/in.txt': 'i' });
    const ws = path.join(top, 'app');
    const t = await open(ws);
    open_.push(t);
    const m = await t.mark();
    write(top, 'outside.txt', 'o2');
    write(ws, 'in.txt', 'i2');
    const { changes } = await t.since(m);
    assert.deepEqual(summary(changes), ['modified in.txt']);
    assert.equal(Buffer.from(changes[0]!.before!).toString(), 'i');
  });

  it('a folder that is not a git repository gets the scan', async () => {
    const ws = tempWorkspace();
    write(ws, 'a.txt', 'a');
    assert.equal(await GitChangeTracker.open(ws, new NodeFileStore(ws)), undefined);
    const t = nodeChangeTracker(ws, new NodeFileStore(ws));
    open_.push(t);
    const m = await t.mark();
    assert.equal(t.kind, 'scan');
    write(ws, 'a.txt', 'b');
    assert.deepEqual(summary((await t.since(m)).changes), ['modified a.txt']);
  });
});

describe('changes: a save that lands while the session writes the file', () => {
  const sink = (onWriting: (path: string) => void) => {
    const events: EventBody[] = [];
    return {
      events,
      emit: (b: EventBody) => {
        events.push(b);
        if (b.type === 'file.writing') onWriting(b.path);
        return { ...b, v: 1, seq: events.length, ts: 0 } as EnsembleEvent;
      },
    };
  };

  for (const how of ['in place', 'by rename'] as const) {
    it(`is kept, and the write is refused as a conflict (the user saves ${how})`, async () => {
      const ws = tempWorkspace();
      write(ws, 'notes.md', 'v1\n');
      const store = new NodeFileStore(ws);
      // The user's save lands exactly between the session's check (file.writing is logged after it) and its write.
      const s = sink((p) => {
        if (how === 'in place') fs.writeFileSync(path.join(ws, p), 'saved by the user\n');
        else {
          fs.writeFileSync(path.join(ws, `${p}.swp`), 'saved by the user\n');
          fs.renameSync(path.join(ws, `${p}.swp`), path.join(ws, p));
        }
      });
      const files = new SessionFiles(store, new BlobStore(path.join(ws, '.ensemble', 's')), s);
      await files.begin();
      assert.equal(await files.read('notes.md'), 'v1\n');
      const out = await files.write('notes.md', 'by the agent\n', { agentId: 'a-1', taskId: 't1' });
      assert.equal(out.ok, false);
      assert.equal(read(ws, 'notes.md').toString(), 'saved by the user\n');
      assert.deepEqual(s.events.map((e) => e.type), ['file.writing', 'file.refused']);
      assert.deepEqual(fs.readdirSync(path.join(ws, '.ensemble', 'tmp')), [], 'no temporary file left behind');
      assert.deepEqual(fs.readdirSync(ws).sort(), ['.ensemble', 'notes.md']);
    });
  }

  it('a file the user creates while the session creates it: theirs stays', async () => {
    const ws = tempWorkspace();
    const store = new NodeFileStore(ws);
    const s = sink((p) => write(ws, p, 'the user was first\n'));
    const files = new SessionFiles(store, new BlobStore(path.join(ws, '.ensemble', 's')), s);
    await files.begin();
    const out = await files.write('new.md', 'by the agent\n', { agentId: 'a-1' });
    assert.equal(out.ok, false);
    assert.equal(read(ws, 'new.md').toString(), 'the user was first\n');
  });

  it('without a save in between, the write lands and keeps the file\'s mode', async () => {
    const ws = tempWorkspace();
    write(ws, 'run.sh', 'echo 1\n');
    fs.chmodSync(path.join(ws, 'run.sh'), 0o755);
    const files = new SessionFiles(new NodeFileStore(ws), new BlobStore(path.join(ws, '.ensemble', 's')), sink(() => undefined));
    await files.begin();
    await files.read('run.sh');
    assert.deepEqual(await files.write('run.sh', 'echo 2\n', { agentId: 'a-1' }), { ok: true, change: 'modified', bytes: 7 });
    assert.equal(read(ws, 'run.sh').toString(), 'echo 2\n');
    assert.equal(fs.statSync(path.join(ws, 'run.sh')).mode & 0o777, 0o755);
  });

  it('refuses content that would write the redaction placeholder over a secret, and keeps the file', async () => {
    const ws = tempWorkspace();
    write(ws, '.env', 'API_TOKEN=sk-live-0123456789abcdefghij\nPORT=3000\n');
    write(ws, 'doc.md', 'Secrets show as [redacted] in the log.\n');
    const files = new SessionFiles(new NodeFileStore(ws), new BlobStore(path.join(ws, '.ensemble', 's')), sink(() => undefined));
    await files.begin();
    await files.read('.env');
    const out = await files.write('.env', 'API_TOKEN=[redacted]\nPORT=4000\n', { agentId: 'a-1' });
    assert.equal(out.ok, false);
    assert.match(out.ok ? '' : out.message, /placeholder for a secret/);
    assert.equal(read(ws, '.env').toString(), 'API_TOKEN=sk-live-0123456789abcdefghij\nPORT=3000\n');
    // A file that already says [redacted] (as many times) may be written.
    await files.read('doc.md');
    assert.equal((await files.write('doc.md', 'Secrets show as [redacted] in the log and the report.\n', { agentId: 'a-1' })).ok, true);
  });
});
