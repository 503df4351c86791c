import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { childEnv, detectTestCommand, parseTestOutput, runTests } from '../../src/core/quality/validation';
import { NodeCommandRunner } from '../../src/node/command-runner';

const runner = new NodeCommandRunner();

const ROOT = path.resolve(__dirname, '../..');
const NODE = process.execPath;
const temps: string[] = [];

/** A throwaway project under the OS temp dir. */
function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-validation-'));
  temps.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

/** Runs a command for real and returns stdout + stderr, whatever its exit code. */
function capture(cwd: string, args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  return new Promise((resolve) => execFile(NODE, args, { cwd, env, maxBuffer: 10 * 1024 * 1024 }, (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`)));
}

/** Whether a process still runs. A zombie (dead, waiting for its new parent to reap it) does not. */
function alive(pid: number): boolean {
  try { process.kill(pid, 0); } catch { return false; }
  try { return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z'; } catch { return true; }
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  for (const end = Date.now() + withinMs; Date.now() < end; await new Promise((r) => setTimeout(r, 25))) if (!alive(pid)) return true;
  return !alive(pid);
}

const fsOf = (files: Record<string, string>) => ({
  read: async (p: string) => files[p],
  list: async () => Object.keys(files),
});

// A small library, partly covered, and node:test files: two pass, one fails, one is skipped, one todo.
const LIB = 'exports.add = (a, b) => a + b;\nexports.sub = (a, b) => {\n  const r = a - b;\n  return r;\n};\n';
const NODE_TESTS = {
  'lib.js': LIB,
  'test/lib.test.js': [
    "const test = require('node:test');",
    "const assert = require('node:assert');",
    "const { add } = require('../lib');",
    "test('adds', () => assert.equal(add(1, 2), 3));",
    "test('adds again', () => assert.equal(add(2, 2), 4));",
    "test('is wrong', () => assert.equal(add(1, 1), 3));",
    "test('skipped', { skip: true }, () => {});",
    "test('todo', { todo: true }, () => {});",
  ].join('\n'),
};

after(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

describe('validation: detectTestCommand', () => {
  it('runs the test script package.json declares', async () => {
    const f = fsOf({ 'package.json': JSON.stringify({ scripts: { test: 'mocha' } }), 'test/a.test.js': '' });
    const cmd = await detectTestCommand(f.read, f.list);
    assert.deepEqual(cmd && { command: cmd.command, args: cmd.args, display: cmd.display }, { command: process.platform === 'win32' ? 'npm.cmd' : 'npm', args: ['test'], display: 'npm test' });
    assert.match(cmd!.reason, /scripts\.test: "mocha"/);
  });

  it("ignores npm's placeholder script and falls back to node --test with coverage", async () => {
    const f = fsOf({ 'package.json': JSON.stringify({ scripts: { test: 'echo "Error: no test specified" && exit 1' } }), 'src/app.test.mjs': '' });
    const cmd = await detectTestCommand(f.read, f.list);
    assert.deepEqual(cmd && { command: cmd.command, args: cmd.args, display: cmd.display }, { command: 'node', args: ['--test', '--experimental-test-coverage'], display: 'node --test --experimental-test-coverage' });
    assert.match(cmd!.reason, /src\/app\.test\.mjs/);
  });

  it('finds test/**/*.js without a package.json, and tolerates a broken one', async () => {
    for (const files of [{ 'server.js': '', 'test/unit/api.js': '' }, { 'package.json': '{ not json', 'test/api.cjs': '' }, { 'package.json': '{"scripts":{"start":"node ."}}', 'x.test.js': '' }] as Record<string, string>[]) {
      const f = fsOf(files);
      assert.equal((await detectTestCommand(f.read, f.list))?.display, 'node --test --experimental-test-coverage', JSON.stringify(files));
    }
  });

  it('finds nothing to run when there is no script and no test file', async () => {
    for (const files of [{}, { 'package.json': '{}', 'app.js': '', 'public/index.html': '' }, { 'node_modules/x/test/a.js': '', '.ensemble/test/b.test.js': '', 'src/test.js': '' }] as Record<string, string>[]) {
      const f = fsOf(files);
      assert.equal(await detectTestCommand(f.read, f.list), undefined, JSON.stringify(files));
    }
    const failing = await detectTestCommand(async () => { throw new Error('EACCES'); }, async () => { throw new Error('EIO'); });
    assert.equal(failing, undefined);
  });
});

describe('validation: childEnv', () => {
  it('passes only the allow-listed variables, whatever the others are named', () => {
    const env = {
      PATH: '/usr/bin', HOME: '/home/u', LANG: 'C.UTF-8', NODE_ENV: 'test', npm_config_cache: '/tmp/npm',
      OPENAI_API_KEY: 'sk-1', OPENAI_BASE_URL: 'x', ANTHROPIC_API_KEY: 'a', ANTHROPIC_MODEL: 'm', GEMINI_API_KEY: 'g',
      GOOGLE_APPLICATION_CREDENTIALS: '/k.json', GOOGLE_CLOUD_PROJECT: 'p', AZURE_OPENAI_ENDPOINT: 'e', GITHUB_TOKEN: 't', NPM_TOKEN: 'n',
      MY_SECRET: 's', DB_PASSWORD: 'p', MYSQL_PASSWD: 'p', AWS_SECRET_ACCESS_KEY: 'k', AWS_ACCESS_KEY_ID: 'i', BASIC_AUTH: 'u:p', apikey: 'lower',
      FORCE_COLOR: '3', NODE_OPTIONS: '--require x', NODE_TEST_CONTEXT: 'child', OPENROUTER_KEY: 'or', MYROUTER: 'r',
      LC_ALL: 'C', TERM: 'xterm', Path: 'C:\\bin', SystemRoot: 'C:\\Windows',
    };
    const out = childEnv(env);
    assert.deepEqual(out, { PATH: '/usr/bin', HOME: '/home/u', LANG: 'C.UTF-8', LC_ALL: 'C', TERM: 'xterm', Path: 'C:\\bin', SystemRoot: 'C:\\Windows', CI: 'true', NO_COLOR: '1' });
    assert.equal(env.OPENAI_API_KEY, 'sk-1', 'the input is not modified');
  });
});

describe('validation: parseTestOutput on real runner output', function () {
  this.timeout(60_000);
  const out: Record<string, string> = {};

  before(async () => {
    const dir = project(NODE_TESTS);
    const mocha = project({
      'lib.js': LIB,
      'spec.js': [
        "const assert = require('node:assert');",
        "const { add } = require('./lib');",
        "describe('lib', () => {",
        "  it('adds', () => assert.equal(add(1, 2), 3));",
        "  it('adds again', () => assert.equal(add(2, 2), 4));",
        "  it('is wrong', () => assert.equal(add(1, 1), 3));",
        "  it.skip('skipped', () => {});",
        "  it('pending');",
        '});',
      ].join('\n'),
    });
    [out.tap, out.spec, out.tapCov, out.specCov, out.mocha, out.c8] = await Promise.all([
      capture(dir, ['--test']), // piped: node 20 defaults to TAP
      capture(dir, ['--test', '--test-reporter=spec']),
      capture(dir, ['--test', '--experimental-test-coverage', '--test-reporter=tap']),
      capture(dir, ['--test', '--experimental-test-coverage', '--test-reporter=spec']),
      capture(mocha, [path.join(ROOT, 'node_modules/mocha/bin/mocha.js'), '--no-config', '--no-package', 'spec.js']),
      capture(dir, [path.join(ROOT, 'node_modules/c8/bin/c8.js'), '--reporter=text', NODE, '--test', '--test-reporter=spec']),
    ]);
  });

  it("reads node's TAP and spec summaries (todo as skipped)", () => {
    assert.match(out.tap!, /^# pass 2$/m, out.tap);
    for (const name of ['tap', 'spec'] as const) assert.deepEqual(parseTestOutput(out[name]!), { passed: 2, failed: 1, skipped: 2, coverage: null }, out[name]);
  });

  it("reads node's coverage table (line %)", () => {
    for (const name of ['tapCov', 'specCov'] as const) {
      const text = out[name]!, r = parseTestOutput(text);
      const printed = /(?:ℹ|#) all files\s*\|\s*([\d.]+)/.exec(text);
      assert.ok(printed, text);
      assert.deepEqual(r, { passed: 2, failed: 1, skipped: 2, coverage: Number(printed[1]) });
      assert.ok(r.coverage! > 50 && r.coverage! < 100, `coverage ${r.coverage}: lib.js's sub() never runs`);
    }
  });

  it("reads mocha's passing / failing / pending", () => {
    assert.match(out.mocha!, /2 passing/, out.mocha);
    assert.deepEqual(parseTestOutput(out.mocha!), { passed: 2, failed: 1, skipped: 2, coverage: null });
  });

  it("reads c8's table, taking the % Lines column", () => {
    const row = /^All files\s*\|([^\n]*)$/m.exec(out.c8!);
    assert.ok(row, out.c8);
    const lines = Number(row[1]!.split('|')[3]);
    assert.deepEqual(parseTestOutput(out.c8!), { passed: 2, failed: 1, skipped: 2, coverage: lines });
  });
});

describe('validation: parseTestOutput on other runners (literal samples)', () => {
  it('reads jest, with its coverage table', () => {
    const jest = [
      'FAIL src/sum.test.js',
      '  ● sum › adds negatives',
      '----------|---------|----------|---------|---------|-------------------',
      'File      | % Stmts | % Branch | % Funcs | % Lines | Uncovered Line #s ',
      '----------|---------|----------|---------|---------|-------------------',
      'All files |   84.21 |       50 |     100 |   88.88 |                   ',
      ' sum.js   |   84.21 |       50 |     100 |   88.88 | 7-8               ',
      '----------|---------|----------|---------|---------|-------------------',
      'Test Suites: 1 failed, 1 passed, 2 total',
      'Tests:       1 failed, 2 skipped, 5 passed, 8 total',
      'Snapshots:   0 total',
      'Time:        1.234 s',
    ].join('\n');
    assert.deepEqual(parseTestOutput(jest), { passed: 5, failed: 1, skipped: 2, coverage: 88.88 });
    assert.deepEqual(parseTestOutput('Tests:       3 passed, 3 total\nAll files |   91.3 |  80 |  100 |  91.3 |'), { passed: 3, failed: 0, skipped: 0, coverage: 91.3 });
  });

  it('reads vitest (coloured) and an istanbul text-summary', () => {
    const vitest = '\u001b[2m Test Files \u001b[22m \u001b[1m\u001b[31m1 failed\u001b[39m\u001b[22m\u001b[2m | \u001b[22m\u001b[1m\u001b[32m1 passed\u001b[39m\u001b[22m\u001b[90m (2)\u001b[39m\n\u001b[2m      Tests \u001b[22m \u001b[1m\u001b[31m2 failed\u001b[39m\u001b[22m\u001b[2m | \u001b[22m\u001b[1m\u001b[32m5 passed\u001b[39m\u001b[22m\u001b[2m | \u001b[22m\u001b[33m1 skipped\u001b[39m\u001b[90m (8)\u001b[39m\n   Start at  10:00:00\n';
    assert.deepEqual(parseTestOutput(vitest + 'Statements   : 80% ( 8/10 )\nLines        : 77.5% ( 31/40 )\n'), { passed: 5, failed: 2, skipped: 1, coverage: 77.5 });
  });

  it('reads pytest, with pytest-cov', () => {
    const py = '============ test session starts ============\ncollected 6 items\n\ntest_app.py ...F.s\n\nName      Stmts   Miss  Cover\n-----------------------------\napp.py       25      4    84%\nTOTAL        25      4    84%\n====== 3 passed, 1 failed, 2 skipped in 0.12s ======\n';
    assert.deepEqual(parseTestOutput(py), { passed: 3, failed: 1, skipped: 2, coverage: 84 });
    assert.deepEqual(parseTestOutput('1 failed, 2 errors in 0.5s'), { passed: 0, failed: 3, skipped: 0, coverage: null });
  });

  it('takes the last summary when several runners print one, and says null when none does', () => {
    const both = '  4 passing (12ms)\n\n# tests 3\n# suites 0\n# pass 1\n# fail 2\n# cancelled 0\n# skipped 0\n# todo 0\n';
    assert.deepEqual(parseTestOutput(both), { passed: 1, failed: 2, skipped: 0, coverage: null });
    assert.deepEqual(parseTestOutput(`${both}\nTests:       7 passed, 7 total\n`), { passed: 7, failed: 0, skipped: 0, coverage: null });
    assert.deepEqual(parseTestOutput('npm ERR! missing script: test\n'), { passed: null, failed: null, skipped: null, coverage: null });
    assert.deepEqual(parseTestOutput(''), { passed: null, failed: null, skipped: null, coverage: null });
  });
});

describe('validation: runTests', function () {
  this.timeout(30_000);

  it('runs a project with one passing and one failing test', async () => {
    const cwd = project({ 'test/a.test.js': "const test = require('node:test');\ntest('ok', () => {});\ntest('broken', () => { throw new Error('boom'); });\n" });
    const run = await runTests({ runner, cwd, command: NODE, args: ['--test'], timeoutMs: 20_000 });
    assert.equal(run.exitCode, 1, run.output);
    assert.equal(run.passed, 1);
    assert.equal(run.failed, 1);
    assert.equal(run.skipped, 0);
    assert.equal(run.timedOut, false);
    assert.match(run.output, /boom/);
    assert.ok(run.outputTail.split("\n").length <= 40 && run.output.trimEnd().endsWith(run.outputTail), run.outputTail);
    assert.ok(run.durationMs > 0);
  });

  it('measures coverage and passes when all tests pass', async () => {
    const cwd = project({ 'lib.js': LIB, 'lib.test.js': "const test = require('node:test');\nconst { add } = require('./lib');\ntest('adds', () => { if (add(1, 2) !== 3) throw new Error('no'); });\n" });
    const run = await runTests({ runner, cwd, command: NODE, args: ['--test', '--experimental-test-coverage'], timeoutMs: 20_000 });
    assert.equal(run.exitCode, 0, run.output);
    assert.deepEqual([run.passed, run.failed], [1, 0]);
    assert.ok(run.coverage !== null && run.coverage > 0 && run.coverage < 100, run.output);
  });

  it('kills the whole process tree on timeout', async () => {
    const cwd = project({
      'hang.test.js': [
        "const test = require('node:test');",
        "const { spawn } = require('node:child_process');",
        "const fs = require('node:fs');",
        "test('hangs', async () => {",
        "  const grandchild = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });",
        "  fs.writeFileSync('pids.json', JSON.stringify([process.pid, grandchild.pid]));",
        '  await new Promise(() => setInterval(() => {}, 1000));',
        '});',
      ].join('\n'),
    });
    // The timeout only has to outlast the start of `node --test` and its child, even on a loaded machine.
    const run = await runTests({ runner, cwd, command: NODE, args: ['--test'], timeoutMs: 4000 });
    assert.equal(run.timedOut, true);
    assert.equal(run.exitCode, null);
    assert.match(run.outputTail, /timed out after 4000 ms/);
    const pids = JSON.parse(fs.readFileSync(path.join(cwd, 'pids.json'), 'utf8')) as number[];
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.ok(await gone(pid, 10_000), `process ${pid} still alive`);
  });

  it('stops the whole tree when aborted', async () => {
    const cwd = project({ 'hang.test.js': "require('node:fs').writeFileSync('pid', String(process.pid));\nrequire('node:test')('hangs', () => new Promise(() => setInterval(() => {}, 1000)));\n" });
    const ac = new AbortController();
    // Abort once the test process is really running (no timer racing the start-up).
    const poll = setInterval(() => fs.existsSync(path.join(cwd, 'pid')) && ac.abort(), 20);
    const run = await runTests({ runner, cwd, command: NODE, args: ['--test'], timeoutMs: 60_000, signal: ac.signal }).finally(() => clearInterval(poll));
    assert.equal(run.timedOut, false);
    assert.equal(run.exitCode, null);
    const pid = Number(fs.readFileSync(path.join(cwd, 'pid'), 'utf8'));
    assert.ok(await gone(pid, 10_000), `process ${pid} still alive`);
  });

  it('does not pass a secret from the parent environment to the tests', async () => {
    const cwd = project({
      'env.test.js': [
        "const test = require('node:test');",
        "const assert = require('node:assert');",
        "test('no secrets', () => {",
        '  assert.equal(process.env.OPENAI_API_KEY, undefined);',
        '  assert.equal(process.env.GITHUB_TOKEN, undefined);',
        "  assert.equal(process.env.CI, 'true');",
        "  assert.ok(process.env.PATH);",
        '});',
      ].join('\n'),
    });
    const saved = { OPENAI_API_KEY: process.env.OPENAI_API_KEY, GITHUB_TOKEN: process.env.GITHUB_TOKEN };
    process.env.OPENAI_API_KEY = 'sk-test-should-not-leak';
    process.env.GITHUB_TOKEN = 'ghp_should_not_leak';
    try {
      const run = await runTests({ runner, cwd, command: NODE, args: ['--test'], timeoutMs: 20_000 });
      assert.equal(run.exitCode, 0, run.output);
      assert.deepEqual([run.passed, run.failed], [1, 0]);
      assert.doesNotMatch(run.output, /should.not.leak/);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  });

  it('keeps only the tail of a flood of output, and still finds the summary', async () => {
    const cwd = project({ 'loud.test.js': "const test = require('node:test');\ntest('loud', () => { for (let i = 0; i < 20000; i++) console.log('line ' + i + ' ' + 'x'.repeat(40)); });\n" });
    const run = await runTests({ runner, cwd, command: NODE, args: ['--test'], timeoutMs: 20_000 });
    assert.ok(run.output.length <= 200 * 1024, String(run.output.length));
    assert.deepEqual([run.exitCode, run.passed, run.failed], [0, 1, 0]);
  });

  it('reports a command that cannot start instead of throwing', async () => {
    const run = await runTests({ runner, cwd: os.tmpdir(), command: 'ensemble-no-such-command-xyz', args: [], timeoutMs: 5000 });
    assert.equal(run.exitCode, null);
    assert.match(run.output, /ENOENT/);
    assert.deepEqual([run.passed, run.failed, run.timedOut], [null, null, false]);
  });
});
