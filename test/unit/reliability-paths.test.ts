// Nothing leaked: a corpus of odd paths sent through the agent tools of a real session (scripted
// provider, real NodeFileStore). Each must come back to the model as a tool error, the session must
// complete, and nothing outside the workspace, inside any .git (the repository's or a nested one) or
// inside .ensemble (but the session's own log) may change. Review revert over odd paths too.
//
// `.GIT` and `.git.`: on Linux these are other folders than `.git`, on macOS/Windows (case-insensitive,
// trailing dots ignored) the same one; they are refused everywhere, so the corpus expects a refusal.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BlobStore } from '../../src/core/store/blobs';
import { EventLog, sessionDir } from '../../src/core/store/log';
import { reviewSession } from '../../src/core/store/review';
import { startSession } from '../../src/core/session/session';
import { NodeFileStore } from '../../src/node/file-store';
import { conv, planStep, ScriptedProvider, turn } from '../helpers/scripted';
import { ofType, run, tempWorkspace, testConfig } from '../helpers/session';
import { snapshot } from '../helpers/tree';
import { NodeCommandRunner } from '../../src/node/command-runner';

type Case = { tool: 'write_file' | 'read_file' | 'list_files'; path: string; expect: 'error' | 'ok' };

const made: string[] = [];

/** parent/{outside/, ws/} with a repository, a nested one, links out, into .git and into .ensemble. */
function layout(): { parent: string; ws: string } {
  const parent = tempWorkspace('ensemble-paths-');
  made.push(parent);
  const ws = path.join(parent, 'ws');
  const outside = path.join(parent, 'outside');
  const w = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
    fs.writeFileSync(path.join(ws, rel), text);
  };
  fs.mkdirSync(outside, { recursive: true });
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'outside secret\n');
  w('.git/config', '[core]\n\trepositoryformatversion = 0\n');
  w('.git/hooks/pre-commit', '#!/bin/sh\nexit 0\n');
  w('vendor/lib/.git/config', '[core]\n');
  w('vendor/lib/.git/hooks/pre-commit', '#!/bin/sh\nexit 0\n');
  w('vendor/lib/index.js', 'module.exports = 1;\n');
  w('.ensemble/keep.txt', 'the engine\'s own\n');
  w('file.txt', 'a file, not a folder\n');
  w('src/a.js', 'export const a = 1;\n');
  const link = (target: string, name: string) => fs.symlinkSync(target, path.join(ws, name));
  link(outside, 'out-link');
  link(path.join(outside, 'secret.txt'), 'out-file-link');
  link('../outside', 'out-rel-link');
  link(path.join(ws, '.git'), 'git-link');
  link('.git', 'git-rel-link');
  link(path.join(ws, '.git', 'hooks'), 'hooks-link');
  link(path.join(ws, '.git', 'config'), 'cfg-link');
  link(path.join(ws, 'vendor', 'lib', '.git'), 'nested-git-link');
  link(path.join(ws, '.ensemble'), 'ens-link');
  link(path.join(ws, 'src'), 'inside-link'); // a link that stays inside: allowed
  link(path.join(ws, 'missing-target'), 'dangling-link');
  return { parent, ws };
}

function corpus(parent: string): Case[] {
  const long = 'x'.repeat(300);
  const err = (tool: Case['tool'], ...paths: string[]): Case[] => paths.map((p) => ({ tool, path: p, expect: 'error' as const }));
  const escapes = ['../escape.txt', 'a/../../escape.txt', '..\\escape.txt', 'a\\..\\..\\escape.txt', path.join(parent, 'outside', 'abs.txt'), '/etc/ensemble-test', '~/escape.txt', '~', 'C:\\escape.txt', 'c:/escape.txt', 'nul\0byte.txt', '', '   '];
  const odd = ['.', './', 'src', 'src/', 'file.txt/sub', 'file.txt/sub/deeper.txt', long, `deep/${long}/z.txt`, `${Array(20).fill('y'.repeat(250)).join('/')}/too-long.txt`, 'dangling-link', 'dangling-link/x.txt'];
  const guarded = ['.git/config', '.git/hooks/pre-commit', '.git/new', 'vendor/lib/.git/hooks/pre-commit', 'vendor/lib/.git/config', 'src/../.git/config', '.GIT/config', '.Git/hooks/x', '.git./config', 'sub/.git/x', '.ensemble/sessions/x.txt', '.ensemble/keep.txt', 'vendor/.ensemble/x'];
  const links = ['out-link/secret.txt', 'out-link/new.txt', 'out-file-link', 'out-rel-link/new.txt', 'git-link/config', 'git-link/hooks/pre-commit', 'git-rel-link/config', 'hooks-link/pre-commit', 'hooks-link/new', 'cfg-link', 'nested-git-link/hooks/pre-commit', 'ens-link/keep.txt', 'ens-link/sessions/x'];
  return [
    ...err('write_file', ...escapes, ...odd, ...guarded, ...links),
    ...err('read_file', ...escapes, ...odd.filter((p) => p !== 'file.txt/sub/deeper.txt'), ...guarded.filter((p) => !p.endsWith('new') && !p.endsWith('/x')), 'out-link/secret.txt', 'out-file-link', 'out-rel-link/secret.txt', 'git-link/config', 'git-rel-link/config', 'hooks-link/pre-commit', 'cfg-link', 'nested-git-link/config', 'ens-link/keep.txt'),
    ...err('list_files', '..', '../outside', '/', '~', '.git', '.git/hooks', 'vendor/lib/.git', 'git-link', 'hooks-link', 'nested-git-link', 'ens-link', '.ensemble', 'out-link', 'file.txt', 'missing-folder', long, 'dangling-link'),
    // Controls: the harness must see a plain write, a write through an inside link, and listings.
    { tool: 'write_file', path: 'ok.txt', expect: 'ok' },
    { tool: 'write_file', path: 'inside-link/through-link.txt', expect: 'ok' },
    { tool: 'read_file', path: 'inside-link/a.js', expect: 'ok' },
    { tool: 'list_files', path: '.', expect: 'ok' },
    { tool: 'list_files', path: 'vendor', expect: 'ok' },
  ];
}

describe('reliability: paths through the agent tools', function () {
  this.timeout(30_000);
  after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('turns every odd path into a tool error, completes, and changes nothing outside the workspace or inside .git/.ensemble', async () => {
    const { parent, ws } = layout();
    const cases = corpus(parent);
    const outsideBefore = snapshot(parent, { skip: (r) => r === 'ws' });
    const gitBefore = snapshot(path.join(ws, '.git'));
    const nestedBefore = snapshot(path.join(ws, 'vendor', 'lib', '.git'));
    const ensembleBefore = snapshot(path.join(ws, '.ensemble'));
    const call = (c: Case) => ({ name: c.tool, arguments: c.tool === 'write_file' ? { path: c.path, content: `written to ${c.path}\n` } : { path: c.path } });

    const r = run('odd paths', {
      orch: () => planStep([{ id: 't1', role: 'a' }]),
      p1: (req) => (conv(req) === 'task/t1' && turn(req) === 1 ? { toolCalls: cases.map(call) } : { toolCalls: [{ name: 'finish', arguments: { summary: 'tried them all' } }] }),
      p2: () => ({ hang: true }),
    }, { workspace: ws });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);

    // The tool results the model got back, in the order of its calls.
    const results = r.providers.p1!.requests[1]!.messages.filter((m) => m.role === 'tool');
    assert.equal(results.length, cases.length);
    const wrong = cases.map((c, i) => ({ c, res: results[i]! as { content: string; isError?: boolean } })).filter(({ c, res }) => (c.expect === 'error') !== !!res.isError);
    assert.deepEqual(wrong.map(({ c, res }) => `${c.tool}(${JSON.stringify(c.path)}) → ${res.isError ? 'error' : 'ok'}: ${res.content.slice(0, 120)}`), []);

    // Every refusal is an event the panel and the report show.
    const events = r.events();
    const refused = ofType(events, 'file.refused').length + ofType(events, 'tool.failed').length;
    assert.equal(refused, cases.filter((c) => c.expect === 'error').length);
    const written = ofType(events, 'file.written').map((e) => e.path);
    assert.deepEqual(written.sort(), ['inside-link/through-link.txt', 'ok.txt']);
    assert.equal(fs.readFileSync(path.join(ws, 'src', 'through-link.txt'), 'utf8'), 'written to inside-link/through-link.txt\n');

    // Listing never shows or enters .git (any depth) or .ensemble.
    const listing = results[cases.findIndex((c) => c.tool === 'list_files' && c.path === '.')]!.content;
    assert.doesNotMatch(listing, /(^|\/)\.git\/|\.ensemble\//m);
    assert.match(listing, /vendor\/lib\/index\.js/);

    assert.deepEqual(snapshot(parent, { skip: (r) => r === 'ws' }), outsideBefore, 'nothing outside the workspace changed (not even a temporary file in its parent)');
    assert.deepEqual(snapshot(path.join(ws, '.git')), gitBefore, '.git is untouched');
    assert.deepEqual(snapshot(path.join(ws, 'vendor', 'lib', '.git')), nestedBefore, 'the nested .git is untouched');
    const ours = (rel: string) => rel === 'sessions' || rel.startsWith('sessions/') || rel === 'tmp' || rel.startsWith('tmp/');
    const ensembleAfter = snapshot(path.join(ws, '.ensemble'), { skip: ours });
    delete ensembleAfter['']; // the folder's own mtime: the session created sessions/ and tmp/ in it
    delete ensembleBefore[''];
    assert.deepEqual(ensembleAfter, ensembleBefore, '.ensemble holds nothing but the session\'s own log');
    assert.deepEqual(fs.existsSync(path.join(ws, '.ensemble', 'tmp')) ? fs.readdirSync(path.join(ws, '.ensemble', 'tmp')) : [], [], 'no temporary file is left');
    assert.ok(!fs.existsSync(path.join(ws, '.GIT')) && !fs.existsSync(path.join(ws, 'sub')));

    if (process.env.SHOW_PATHS) cases.forEach((c, i) => console.log(`${c.tool}(${JSON.stringify(c.path).slice(0, 40)}) → ${results[i]!.content.slice(0, 150)}`));
    const tried = cases.filter((c) => c.expect === 'error').length;
    console.log(`      paths: ${cases.length} cases (${tried} odd: ${cases.filter((c) => c.tool === 'write_file').length} writes, ${cases.filter((c) => c.tool === 'read_file').length} reads, ${cases.filter((c) => c.tool === 'list_files').length} listings), ${refused} refused, ${written.length} written (controls)`);
  });

  /** The plain store, with one file the disk refuses with `code` (ENOSPC cannot be made to happen here without root: see reliability-disk). */
  const refusing = (code: string, message: string) =>
    class extends NodeFileStore {
      override async write(p: string, data: Uint8Array | string): Promise<void> {
        if (p === 'big.txt') throw new Error(message, { cause: Object.assign(new Error(code), { code }) });
        return super.write(p, data);
      }
    };
  const twoWrites = () => new ScriptedProvider('p1', (req) => (turn(req) === 1 ? { toolCalls: [{ name: 'write_file', arguments: { path: 'big.txt', content: 'x' } }, { name: 'write_file', arguments: { path: 'small.txt', content: 'y' } }] } : { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }));

  it('a write the disk refuses (no permission) is a tool failure the model sees, not the end of the session', async () => {
    const ws = tempWorkspace('ensemble-paths-');
    made.push(ws);
    const Denied = refusing('EACCES', 'Could not write "big.txt": permission denied.');
    const agent = twoWrites();
    const orch = new ScriptedProvider('orch', () => planStep([{ id: 't1', role: 'a' }]));
    const handle = startSession({ goal: 'no permission', config: testConfig(), deps: { workspace: ws, store: new Denied(ws), runner: new NodeCommandRunner(), resolve: (id) => ({ orch, p1: agent })[id] } });
    const state = await handle.done;
    assert.equal(state.status, 'completed', state.error);
    const results = agent.requests[1]!.messages.filter((m) => m.role === 'tool');
    assert.deepEqual(results.map((m) => [m.content, !!(m as { isError?: boolean }).isError]), [['Could not write "big.txt": permission denied.', true], ['Wrote small.txt (created, 1 bytes).', false]]);
    const failed = ofType(handle.log.readAll(), 'tool.failed');
    assert.deepEqual(failed.map((e) => [e.tool, e.error]), [['write_file', 'Could not write "big.txt": permission denied.']]);
    assert.ok(!fs.existsSync(path.join(ws, 'big.txt')));
  });

  it('a full disk while writing a file stops the session, naming the disk and the folder (no model is asked again)', async () => {
    const ws = tempWorkspace('ensemble-paths-');
    made.push(ws);
    const Full = refusing('ENOSPC', 'Could not write "big.txt": the disk is full.');
    const agent = twoWrites();
    const orch = new ScriptedProvider('orch', () => planStep([{ id: 't1', role: 'a' }]));
    const handle = startSession({ goal: 'full disk', config: testConfig(), deps: { workspace: ws, store: new Full(ws), runner: new NodeCommandRunner(), resolve: (id) => ({ orch, p1: agent })[id] } });
    const state = await handle.done;
    assert.equal(state.status, 'failed');
    assert.match(state.error ?? '', new RegExp(`^The disk is full: Ensemble could not write big\\.txt in ${ws.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(ENOSPC, the disk mounted at /`));
    assert.equal(handle.diskFull?.code, 'ENOSPC');
    assert.equal(handle.logComplete, true);
    assert.equal(agent.requests.length, 1, 'the agent is not asked again');
    const ended = ofType(handle.log.readAll(), 'session.ended');
    assert.deepEqual(ended.map((e) => [e.status, e.error]), [['failed', state.error]]);
    assert.ok(fs.existsSync(path.join(handle.dir, 'report.md')));
  });

  it('reverts nothing through a path that became odd since the session wrote it, and says why', async () => {
    const { parent, ws } = layout();
    const id = 'odd-review';
    const dir = sessionDir(ws, id);
    const blobs = new BlobStore(dir);
    const log = EventLog.open(dir);
    log.emit({ type: 'session.started', sessionId: id, goal: 'review odd paths', config: { orchestrator: { provider: 'p', model: 'm' }, roles: {}, maxConcurrency: 1 } });
    const wrote = (p: string, before: string | null, after: string) => {
      fs.writeFileSync(path.join(ws, p), after);
      log.emit({ type: 'file.written', agentId: 'a-1', path: p, change: before === null ? 'created' : 'modified', beforeSha: before === null ? null : blobs.put(before), afterSha: blobs.put(after), bytes: after.length });
    };
    wrote('became-folder.txt', 'old\n', 'new\n');
    wrote('became-git-link.txt', 'old\n', 'new\n');
    wrote('created-became-git-link.txt', null, 'new\n');
    wrote('plain.txt', 'old\n', 'new\n');
    log.emit({ type: 'session.ended', status: 'completed' });
    log.close();
    // After the session: the user (or a tool) turned the files into a folder and links into .git.
    fs.rmSync(path.join(ws, 'became-folder.txt'));
    fs.mkdirSync(path.join(ws, 'became-folder.txt'));
    fs.rmSync(path.join(ws, 'became-git-link.txt'));
    fs.symlinkSync(path.join(ws, '.git', 'config'), path.join(ws, 'became-git-link.txt'));
    fs.rmSync(path.join(ws, 'created-became-git-link.txt'));
    fs.symlinkSync(path.join(ws, '.git', 'hooks', 'pre-commit'), path.join(ws, 'created-became-git-link.txt'));
    const gitBefore = snapshot(path.join(ws, '.git'));
    const outsideBefore = snapshot(parent, { skip: (r) => r === 'ws' });

    const review = reviewSession(ws, id, new NodeFileStore(ws));
    const outs = await review.revertAll({ force: true });
    const byPath = Object.fromEntries(outs.map((o) => [o.path, o]));
    for (const p of ['became-folder.txt', 'became-git-link.txt', 'created-became-git-link.txt']) {
      const o = byPath[p]!;
      assert.equal(o.ok, false, `${p} must not be reverted`);
      if (!o.ok) assert.equal(o.reason, 'failed', o.message);
    }
    assert.equal(byPath['plain.txt']?.ok, true, 'an ordinary file is still reverted');
    assert.deepEqual(snapshot(path.join(ws, '.git')), gitBefore, '.git is untouched by the revert');
    assert.deepEqual(snapshot(parent, { skip: (r) => r === 'ws' }), outsideBefore);
    assert.ok(fs.statSync(path.join(ws, 'became-folder.txt')).isDirectory());
  });
});
