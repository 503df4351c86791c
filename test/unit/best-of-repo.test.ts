// Best of several with the Node copier as the CLI and the extension wire it: candidates in git
// worktrees of the repository's current state, and a run killed mid-race (kill -9) that resumes.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { resumeSession, startSession } from '../../src/core/session/session';
import { nodeWorkspace } from '../../src/node/workspace';
import { NodeWorkspaceCopier } from '../../src/node/copies';
import type { ChatProvider, ChatRequest, WorkspaceCopier } from '../../src/core/ports';
import { ScriptedProvider, turn, type Script, type Step } from '../helpers/scripted';
import { ofType, tempWorkspace } from '../helpers/session';
import { bestOfConfig, bestOfTask, TWO } from '../helpers/best-of';
import { readEvents } from '../../src/core/store/log';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  });

/** A git repository with a committed file, an uncommitted change to it, and an untracked file. */
function repo(): string {
  const ws = tempWorkspace('ensemble-bestof-repo-');
  git(ws, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(ws, 'lib.js'), 'module.exports = 1;\n');
  fs.writeFileSync(path.join(ws, '.gitignore'), 'node_modules/\n');
  git(ws, 'add', '-A');
  git(ws, 'commit', '-q', '-m', 'init');
  fs.writeFileSync(path.join(ws, 'lib.js'), 'module.exports = 2; // uncommitted\n');
  fs.writeFileSync(path.join(ws, 'notes.txt'), 'untracked\n');
  return ws;
}

function writes(files: Record<string, string>): Script {
  return (req: ChatRequest): Step =>
    turn(req) === 1
      ? { toolCalls: Object.entries(files).map(([p, content]) => ({ name: 'write_file', arguments: { path: p, content } })) }
      : { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };
}

const orch: Script = () => ({ toolCalls: [{ name: 'finish', arguments: { summary: 'ok' } }] });

/** Every folder under `dir`, to `depth` levels. */
function folders(dir: string, depth: number): string[] {
  if (depth === 0 || !fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => [path.join(dir, d.name), ...folders(path.join(dir, d.name), depth - 1)]);
}

describe('best of several in a git repository (worktrees)', function () {
  this.timeout(60_000);

  it("candidates start from the uncommitted state, the winner's change lands, and the repository is as it was otherwise", async () => {
    const ws = repo();
    const tmpRoot = tempWorkspace('ensemble-bestof-tmp-');
    const headBefore = git(ws, 'rev-parse', 'HEAD');
    const refsBefore = git(ws, 'for-each-ref');
    // Each candidate reads the uncommitted lib.js and writes what it saw: the check passes only when it saw the working tree's version.
    const sees =
      (tag: string): Script =>
      (req) =>
        turn(req) === 1
          ? {
              toolCalls: [
                {
                  name: 'run_command',
                  arguments: { command: `node -e "require('fs').writeFileSync('out.txt', (require('./lib.js') === 2 ? 'good ' : 'bad ') + '${tag}\\n')"` },
                },
              ],
            }
          : { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };
    const providers: Record<string, ChatProvider> = {
      orch: new ScriptedProvider('orch', orch),
      pa: new ScriptedProvider('pa', sees('A')),
      pb: new ScriptedProvider('pb', sees('B')),
    };
    const handle = startSession({
      goal: 'best of two in a repository',
      config: bestOfConfig({ commands: { run: 'always' } }),
      deps: { ...nodeWorkspace(ws), copies: new NodeWorkspaceCopier(ws, { tmpRoot }), resolve: (id) => providers[id] },
      plan: {
        rationale: 'r',
        tasks: [bestOfTask({ candidates: TWO })],
      },
    });
    const s = await handle.done;
    assert.equal(s.status, 'completed', s.error);
    const started = ofType(handle.log.readAll(), 'candidate.copied');
    assert.deepEqual(
      started.map((c) => c.copy),
      ['git-worktree', 'git-worktree'],
    );
    // Both passed (both saw the uncommitted lib.js); the cheaper (pa) wins.
    assert.equal(s.tasks.t1!.race!.chosen?.candidateId, 't1#1');
    assert.equal(fs.readFileSync(path.join(ws, 'out.txt'), 'utf8'), 'good A\n');
    // The command's change in the copy became the candidate's change.
    assert.deepEqual(
      s.tasks.t1!.race!.candidates[0]!.files.map((f) => [f.path, f.change]),
      [['out.txt', 'created']],
    );
    assert.equal(git(ws, 'rev-parse', 'HEAD'), headBefore);
    assert.equal(git(ws, 'for-each-ref'), refsBefore);
    const status = git(ws, 'status', '--porcelain')
      .split('\n')
      .filter((l) => l && !l.includes('.ensemble'));
    assert.deepEqual(status.sort(), [' M lib.js', '?? notes.txt', '?? out.txt']);
    assert.equal(git(ws, 'worktree', 'list', '--porcelain').match(/^worktree /gm)!.length, 1);
    assert.deepEqual(
      folders(path.join(tmpRoot), 4).filter((d) => /\.\d+\.\d+$/.test(d)),
      [],
    );
  });

  it('a run killed with SIGKILL mid-race resumes: the old copies are swept and the task races again cleanly', async () => {
    const ws = repo();
    const tmpRoot = tempWorkspace('ensemble-bestof-tmp-');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'helpers', 'best-of-kill-child.ts'), ws, tmpRoot], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const dir = await new Promise<string>((resolve) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
    });
    // Wait until both candidates have written in their copies (and hang), then kill.
    const log = path.join(dir, 'events.jsonl');
    for (let i = 0; i < 400; i++) {
      const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
      if ((text.match(/"type":"tool.result","agentId":"[^"]+","taskId":"t1","tool":"write_file"/g) ?? []).length >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const copiesBefore = folders(tmpRoot, 4).filter((d) => /t1\.1\.\d$/.test(d));
    assert.equal(copiesBefore.length, 2, `two copies while racing: ${folders(tmpRoot, 4).join(', ')}`);
    child.kill('SIGKILL');
    await exited;
    assert.equal(git(ws, 'worktree', 'list', '--porcelain').match(/^worktree /gm)!.length, 3, 'the killed run left its worktrees');
    assert.equal(fs.existsSync(path.join(ws, 'out.txt')), false, 'nothing of a candidate reached the workspace');

    const providers: Record<string, ChatProvider> = {
      orch: new ScriptedProvider('orch', orch),
      pa: new ScriptedProvider('pa', writes({ 'out.txt': 'bad\n' })),
      pb: new ScriptedProvider('pb', writes({ 'out.txt': 'good B\n' })),
    };
    const handle = resumeSession({
      dir,
      config: bestOfConfig(),
      deps: { ...nodeWorkspace(ws), copies: new NodeWorkspaceCopier(ws, { tmpRoot }), resolve: (id) => providers[id] },
    });
    const s = await handle.done;
    assert.equal(s.status, 'completed', s.error);
    for (const c of copiesBefore) assert.equal(fs.existsSync(c), false, `${c} swept`);
    assert.equal(git(ws, 'worktree', 'list', '--porcelain').match(/^worktree /gm)!.length, 1);
    assert.equal(fs.readFileSync(path.join(ws, 'out.txt'), 'utf8'), 'good B\n');
    const { events } = readEvents(log);
    assert.deepEqual([...new Set(ofType(events, 'candidate.started').map((c) => c.round))], [1, 2]);
    assert.equal(s.tasks.t1!.race!.round, 2);
    assert.deepEqual(
      s.tasks.t1!.race!.candidates.map((c) => c.status),
      ['finished', 'finished'],
    );
    // The applied change is the second round's winner's, once.
    assert.deepEqual(
      ofType(events, 'file.written').map((w) => [w.path, w.provider]),
      [['out.txt', 'pb']],
    );
  });

  it("a session's second race reuses the first race's worktrees, brought to the state the first left, and removes them at its end", async () => {
    const ws = repo();
    const tmpRoot = tempWorkspace('ensemble-bestof-tmp-');
    // t2's check passes only when t1's winner is in the workspace its candidates start from.
    const t2check = `node -e "const fs=require('fs');process.exit(fs.readFileSync('out.txt','utf8').startsWith('good')&&fs.existsSync('second.txt')?0:1)"`;
    const script =
      (tag: string): Script =>
      (req) => {
        const second = (req.trace ?? '').startsWith('task/t2');
        return turn(req) === 1
          ? {
              toolCalls: [
                { name: 'write_file', arguments: second ? { path: 'second.txt', content: `${tag}\n` } : { path: 'out.txt', content: `good ${tag}\n` } },
              ],
            }
          : { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };
      };
    const providers: Record<string, ChatProvider> = {
      orch: new ScriptedProvider('orch', orch),
      pa: new ScriptedProvider('pa', script('A')),
      pb: new ScriptedProvider('pb', script('B')),
    };
    const copier = new NodeWorkspaceCopier(ws, { tmpRoot, reuse: true });
    const roots: string[] = [];
    const recorded: WorkspaceCopier = {
      sweep: () => copier.sweep(),
      close: () => copier.close(),
      create: async (name, signal) => {
        const c = await copier.create(name, signal);
        roots.push(c.root);
        return c;
      },
    };
    const handle = startSession({
      goal: 'two races',
      config: bestOfConfig(),
      deps: { ...nodeWorkspace(ws), copies: recorded, resolve: (id) => providers[id] },
      plan: {
        rationale: 'r',
        tasks: [bestOfTask({ candidates: TWO }), bestOfTask({ id: 't2', title: 'Second', dependsOn: ['t1'], check: t2check, candidates: TWO })],
      },
    });
    const s = await handle.done;
    assert.equal(s.status, 'completed', s.error);
    assert.equal(fs.readFileSync(path.join(ws, 'out.txt'), 'utf8'), 'good A\n');
    assert.equal(fs.readFileSync(path.join(ws, 'second.txt'), 'utf8'), 'A\n');
    assert.deepEqual(
      s.tasks.t2!.race!.candidates.map((c) => c.check?.exitCode),
      [0, 0],
    );
    // Only the second race's own file is its change (the first's, applied before it started, is not).
    assert.deepEqual(
      s.tasks.t2!.race!.candidates[0]!.files.map((f) => f.path),
      ['second.txt'],
    );
    assert.deepEqual(roots.slice(2).sort(), roots.slice(0, 2).sort(), "the second race worked in the first race's worktrees");
    assert.equal(git(ws, 'worktree', 'list', '--porcelain').match(/^worktree /gm)!.length, 1);
    assert.deepEqual(
      folders(tmpRoot, 4).filter((d) => /\.\d+\.\d+$/.test(d)),
      [],
    );
  });
});
