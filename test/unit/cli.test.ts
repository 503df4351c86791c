// The `ensemble` command line as a user runs it: a separate process, real arguments, real exit
// codes; providers reached over 127.0.0.1 through the real SDKs.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeServer } from '../../src/fakes';
import type { FakeServer } from '../../src/fakes/script';
import { loadCassette } from '../../src/cassette/format';
import { cassetteHandler } from '../../src/cassette/handler';
import { demoCassettePath } from '../../src/cassette/replay';
import { serveCommand } from '../../src/cli/commands';
import { tempWorkspace } from '../helpers/tmp';
import { ensemble } from '../helpers/cli';

describe('cli', function () {
  this.timeout(60_000);

  it('exits 2 with usage when the command is missing or unknown, or an option is wrong', async () => {
    assert.equal((await ensemble([])).code, 2);
    const unknown = await ensemble(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown command "frobnicate"/);
    const badOpt = await ensemble(['run', '--bogus']);
    assert.equal(badOpt.code, 2);
    const noGoal = await ensemble(['run']);
    assert.equal(noGoal.code, 2);
    assert.match(noGoal.stderr, /--goal/);
  });

  it('exits 2 before any request when keys are missing, naming each key and its variable', async () => {
    const ws = tempWorkspace();
    const r = await ensemble(['run', '--goal', 'x', '--workspace', ws]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ANTHROPIC_API_KEY/);
    assert.match(r.stderr, /GEMINI_API_KEY/);
    assert.match(r.stderr, /OPENAI_API_KEY/);
    assert.equal(fs.existsSync(path.join(ws, '.ensemble')), false);
  });

  it('exits 2 with the problem named when the config file is invalid', async () => {
    const ws = tempWorkspace();
    fs.mkdirSync(path.join(ws, '.ensemble'));
    fs.writeFileSync(path.join(ws, '.ensemble', 'config.json'), JSON.stringify({ maxConcurrency: 'lots' }));
    const r = await ensemble(['run', '--goal', 'x', '--workspace', ws]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /maxConcurrency/);
    fs.writeFileSync(path.join(ws, '.ensemble', 'config.json'), JSON.stringify({ providers: { mistral: { kind: 'mistral' } }, roles: { dev: { provider: 'mistral', model: 'm' } } }));
    const kind = await ensemble(['run', '--goal', 'x', '--workspace', ws], { ANTHROPIC_API_KEY: 'k', MISTRAL_API_KEY: 'k' });
    assert.equal(kind.code, 2);
    assert.match(kind.stderr, /providers\.mistral has kind "mistral"/);
  });

  describe('against local provider servers', () => {
    const servers: FakeServer[] = [];
    let env: NodeJS.ProcessEnv;
    let configFile: string;
    const SECRET = 'sk-test-secret-should-never-be-recorded';

    before(async () => {
      const cassette = loadCassette(demoCassettePath(__dirname));
      const kinds = { openai: 'openai', anthropic: 'anthropic', gemini: 'gemini' } as const;
      env = {};
      for (const [id, kind] of Object.entries(kinds)) {
        const s = await startFakeServer(kind, cassetteHandler(cassette, id));
        servers.push(s);
        env[`${id.toUpperCase()}_BASE_URL`] = s.baseUrl;
        env[`${id.toUpperCase()}_API_KEY`] = SECRET;
      }
      configFile = path.join(tempWorkspace(), 'config.json');
      fs.writeFileSync(configFile, JSON.stringify(cassette.config));
    });

    after(async () => {
      for (const s of servers) await s.close();
    });

    it('runs a session through the real SDKs, records a cassette with no key in it, and replays it to the same files', async () => {
      const ws = tempWorkspace();
      fs.writeFileSync(path.join(ws, 'AGENTS.md'), `# House rules\n${'- keep it small\n'.repeat(140)}`);
      const tape = path.join(tempWorkspace(), 'session.cassette.json');
      const r = await ensemble(['run', '--goal', 'Simple todo list web app', '--workspace', ws, '--config', configFile, '--yes', '--record', tape], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Session .*: completed/);
      assert.match(r.stdout, /Report: .*report\.md/);
      // Before anything runs, the pre-flight: who runs where, and what it may cost.
      assert.match(r.stderr, /orchestrator +anthropic\/claude-opus-4-8/);
      assert.match(r.stderr, /frontend +openai\/gpt-5 \(fallback gemini\/gemini-2\.5-flash\)/);
      assert.match(r.stderr, /cost +about \$\d+\.\d{2,4} for a typical session; budget no limit/);
      assert.match(r.stderr, /prices +@pydantic\/genai-prices \d+\.\d+\.\d+ \(data of \d{4}-\d\d-\d\d\)/);
      assert.match(r.stderr, /\n  project rules AGENTS\.md \(2\.2 KB\)\n/, 'the pre-flight names the rules file');
      assert.match(r.stderr, /\n  project rules: AGENTS\.md \(2\.2 KB\)\n/, 'and so does the progress');
      // Where commands and the generated tests run (bubblewrap here and in CI).
      assert.match(r.stderr, /\n  sandbox +bubblewrap \d[\d.]*: commands and tests write only the workspace \(not its \.git or \.ensemble folders\), see no other process, network on\n/, 'the pre-flight names the sandbox');
      assert.match(r.stderr, /\n  sandbox: bubblewrap \d[\d.]*: /, 'and so does the progress');
      assert.match(r.stderr, /cost estimate: about \$\d+\.\d{2,4}; prices: @pydantic\/genai-prices/);
      // Every SDK sent the key it was given, and the trace header the cassette is keyed by.
      const auth = servers.flatMap((s) => s.requests.map((q) => JSON.stringify(q.headers)));
      assert.ok(auth.every((h) => h.includes(SECRET)));
      assert.ok(servers.every((s) => s.requests.every((q) => q.trace)));
      const recorded = fs.readFileSync(tape, 'utf8');
      assert.doesNotMatch(recorded, new RegExp(SECRET));
      assert.doesNotMatch(recorded, /authorization|x-api-key|x-goog-api-key/i);
      const ws2 = tempWorkspace();
      const replay = await ensemble(['replay', tape, '--workspace', ws2, '--yes', '--json']);
      assert.equal(replay.code, 0, replay.stderr);
      const report = JSON.parse(replay.stdout);
      assert.equal(report.scripted, true);
      for (const f of ['server.js', 'public/app.js', 'test/server.test.js']) assert.equal(fs.readFileSync(path.join(ws2, f), 'utf8'), fs.readFileSync(path.join(ws, f), 'utf8'));
      // `ensemble report` re-folds the log into the same report.
      const dir = path.join(ws2, '.ensemble', 'sessions', report.sessionId);
      const again = await ensemble(['report', dir, '--json']);
      assert.equal(again.code, 0);
      assert.deepEqual(JSON.parse(again.stdout), report);
    });

    it('exits 130 on Ctrl-C, aborting in-flight requests and still writing the report', async () => {
      const hanging = await startFakeServer('openai', () => ({ kind: 'hang' }));
      try {
        const ws = tempWorkspace();
        const cfg = path.join(ws, 'c.json');
        fs.writeFileSync(cfg, JSON.stringify({ orchestrator: { provider: 'openai', model: 'gpt-5' }, roles: { dev: { provider: 'openai', model: 'gpt-5' } } }));
        let interruptedAt = 0;
        const r = await ensemble(['run', '--goal', 'x', '--workspace', ws, '--config', cfg], { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: hanging.baseUrl }, (text, child) => {
          if (interruptedAt || !text.includes('Planning')) return;
          interruptedAt = -1;
          // Interrupt once the planning request is in flight at the server.
          const poll = setInterval(() => {
            if (hanging.requests.length === 0) return;
            clearInterval(poll);
            interruptedAt = Date.now();
            child.kill('SIGINT');
          }, 10);
        });
        assert.equal(r.code, 130, r.stderr);
        assert.ok(Date.now() - interruptedAt < 1500, `took ${Date.now() - interruptedAt} ms to stop`);
        const sessions = fs.readdirSync(path.join(ws, '.ensemble', 'sessions'));
        assert.ok(fs.existsSync(path.join(ws, '.ensemble', 'sessions', sessions[0]!, 'report.md')));
      } finally {
        await hanging.close();
      }
    });
  });

  it('lists the workspace\'s sessions and names the resumable ones when resume is given an unknown id', async () => {
    const ws = tempWorkspace();
    const dir = path.join(ws, '.ensemble', 'sessions', 's-crashed');
    fs.mkdirSync(dir, { recursive: true });
    const config = { orchestrator: { provider: 'openai', model: 'gpt-5' }, roles: {}, maxConcurrency: 1 };
    fs.writeFileSync(path.join(dir, 'events.jsonl'), JSON.stringify({ type: 'session.started', sessionId: 's-crashed', goal: 'left by a crash', config, v: 1, seq: 1, ts: 1 }) + '\n');
    const list = await ensemble(['sessions', '--workspace', ws]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^s-crashed +interrupted +\$0\.00 +left by a crash$/m);
    const resume = await ensemble(['resume', 'nope', '--workspace', ws]);
    assert.equal(resume.code, 2);
    assert.match(resume.stderr, /No session "nope".*Sessions that can be resumed there: s-crashed\./);
  });

  it('--allow-command lets agents run matching commands; without it (even with --yes) and without a terminal they are denied', async () => {
    const fake = await startFakeServer('openai', (req) => {
      const t = req.trace ?? '';
      if (t.startsWith('plan#')) return { kind: 'reply', toolCalls: [{ name: 'submit_plan', arguments: { rationale: 'one check', tasks: [{ id: 't1', title: 'Check node', description: 'Run node --version', role: 'dev', dependsOn: [] }] } }] };
      if (t === 'task/t1#1') return { kind: 'reply', toolCalls: [{ name: 'run_command', arguments: { command: 'node --version' } }] };
      return { kind: 'reply', toolCalls: [{ name: 'finish', arguments: { summary: 'checked' } }] };
    });
    try {
      const cfg = path.join(tempWorkspace(), 'c.json');
      fs.writeFileSync(cfg, JSON.stringify({ orchestrator: { provider: 'openai', model: 'gpt-5' }, roles: { dev: { provider: 'openai', model: 'gpt-5' } }, validation: { runTests: 'never' } }));
      const env = { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseUrl };
      const args = (...extra: string[]) => ['run', '--goal', 'check', '--workspace', tempWorkspace(), '--config', cfg, '--json', ...extra];
      // --yes is consent to the validation phase's tests only; stdin is not a terminal, so nobody is asked.
      const denied = await ensemble(args('--yes'), env);
      assert.equal(denied.code, 0, denied.stderr);
      assert.deepEqual(JSON.parse(denied.stdout).commands.map((c: { command: string; decision: string; exitCode: number | null }) => [c.command, c.decision, c.exitCode]), [['node --version', 'denied', null]]);
      assert.match(denied.stderr, /\$ t1 \(dev\) asks to run `node --version`/);
      assert.match(denied.stderr, /denied: it matches no pattern of commands\.allow and nobody can be asked/);
      const allowed = await ensemble(args('--allow-command', 'npm test', '--allow-command', 'node --version'), env);
      assert.equal(allowed.code, 0, allowed.stderr);
      const c = JSON.parse(allowed.stdout).commands[0];
      assert.deepEqual([c.decision, c.by, c.exitCode, c.timedOut], ['allowed', 'policy', 0, false]);
      assert.match(allowed.stderr, /allowed: it matches the allow pattern "node --version"/);
      assert.match(allowed.stderr, /exited 0 after/);
    } finally {
      await fake.close();
    }
  });

  it('serves a cassette on local servers and prints the variables a real run needs', async () => {
    const lines: string[] = [];
    let stop!: () => void;
    const served = serveCommand(undefined, { out: (l) => lines.push(l), err: () => {} }, new Promise<void>((r) => (stop = r)));
    while (lines.length < 6) await new Promise((r) => setTimeout(r, 10));
    const env = Object.fromEntries(lines.map((l) => l.split('=') as [string, string]));
    assert.deepEqual(Object.keys(env).sort(), ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'GEMINI_API_KEY', 'GEMINI_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_BASE_URL']);
    const cfg = path.join(tempWorkspace(), 'c.json');
    fs.writeFileSync(cfg, JSON.stringify(loadCassette(demoCassettePath(__dirname)).config));
    const r = await ensemble(['run', '--goal', 'Simple todo list web app', '--workspace', tempWorkspace(), '--config', cfg, '--yes'], env);
    stop();
    assert.equal(await served, 0);
    assert.equal(r.code, 0, r.stderr);
  });
});
