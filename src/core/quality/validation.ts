// Validation: run the generated project's own tests and measure what they say. Only what the project
// declares is run (its `npm test`), or `node --test` when it has test files and no test script. The
// child gets only an allow-listed environment (no key, whatever its variable's name) and runs through
// the CommandRunner port (its own process group, killed whole on timeout or abort). The runner's
// summary (pass/fail/skip, coverage) is parsed from its output.

import type { CommandRunner } from '../ports';
import type { ValidationRunBody } from '../events';

export interface TestCommand {
  command: string;
  args: string[];
  display: string;
  reason: string;
}

/** One run of the tests: what `validation.ran` logs (but the command), and the whole output. */
export type TestRun = Omit<ValidationRunBody, 'command'> & { output: string };

export interface TestCounts {
  passed: number | null;
  failed: number | null;
  skipped: number | null;
  coverage: number | null;
}

const NPM_DEFAULT_TEST = /no test specified/i;
const TEST_FILE = /(^|\/)[^/]+\.test\.[cm]?js$|(^|\/)test\/(.+\/)?[^/]+\.[cm]?js$/;
const IGNORED_DIR = /(^|\/)(node_modules|\.ensemble|\.git)\//;
const MAX_OUTPUT = 200 * 1024;
const TAIL_LINES = 40;

export async function detectTestCommand(
  readFile: (path: string) => Promise<string | undefined>,
  listFiles: () => Promise<string[]>,
): Promise<TestCommand | undefined> {
  const script = testScript(await readFile('package.json').catch(() => undefined));
  if (script !== undefined) {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    return { command: npm, args: ['test'], display: 'npm test', reason: `package.json declares scripts.test: ${JSON.stringify(script)}` };
  }
  const tests = (await listFiles().catch(() => [] as string[])).map((p) => p.replace(/\\/g, '/')).filter((p) => TEST_FILE.test(p) && !IGNORED_DIR.test(p));
  if (tests.length === 0) return undefined;
  // No script to honour: node's own runner, with coverage measured.
  const args = ['--test', '--experimental-test-coverage'];
  const shown = tests.slice(0, 3).join(', ') + (tests.length > 3 ? `, … (${tests.length} in all)` : '');
  return { command: 'node', args, display: `node ${args.join(' ')}`, reason: `no test script in package.json; test files found: ${shown}` };
}

function testScript(pkg: string | undefined): string | undefined {
  if (!pkg) return undefined;
  try {
    const test: unknown = (JSON.parse(pkg) as { scripts?: Record<string, unknown> } | null)?.scripts?.test;
    return typeof test === 'string' && test.trim() && !NPM_DEFAULT_TEST.test(test) ? test : undefined;
  } catch {
    return undefined;
  }
}

// What a child process may inherit: what a shell, npm and a test runner need to start, and nothing
// else. An allow-list, because a key can sit in a variable of any name (an `apiKeyEnv` such as
// OPENROUTER_KEY, a CI token); the names on Windows are compared in upper case, as Windows does.
// NODE_ENV is not passed: our own mode is not the project's.
const CHILD_ENV = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'TERM',
  'TMPDIR',
  'TMP',
  'TEMP',
  'TZ',
  'CI',
  // Windows: node and npm fail to start without these
  'SYSTEMROOT',
  'SYSTEMDRIVE',
  'COMSPEC',
  'PATHEXT',
  'WINDIR',
  'USERPROFILE',
  'APPDATA',
  'LOCALAPPDATA',
]);
const CHILD_ENV_PREFIX = /^LC_/;

/**
 * The environment of a child process we start (the generated project's tests; later a command tool):
 * the allow-listed variables of `parent`, non-interactive (CI) and without colour.
 */
export function childEnv(parent: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(parent)) {
    const upper = name.toUpperCase();
    if (value !== undefined && (CHILD_ENV.has(upper) || CHILD_ENV_PREFIX.test(upper))) out[name] = value;
  }
  out.CI = 'true';
  out.NO_COLOR = '1';
  return out;
}

export async function runTests(opts: {
  runner: CommandRunner;
  cwd: string;
  command: string;
  args: string[];
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}): Promise<TestRun> {
  const run = await opts.runner.run({
    command: opts.command,
    args: opts.args,
    cwd: opts.cwd,
    env: childEnv(opts.env ?? process.env),
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    maxOutputChars: MAX_OUTPUT,
  });
  return {
    exitCode: run.exitCode,
    ...parseTestOutput(run.output),
    durationMs: run.durationMs,
    timedOut: run.timedOut,
    output: run.output,
    outputTail: tail(run.output, TAIL_LINES),
  };
}

/** The last `lines` lines of `text`, without its trailing blank. */
export function tail(text: string, lines: number = TAIL_LINES): string {
  return text.replace(/\s+$/, '').split('\n').slice(-lines).join('\n');
}

/** Text without terminal escapes (colours, cursor moves, titles, links), with `\r` line ends as `\n`. */
export function stripAnsi(text: string): string {
  // CSI sequences (colours, cursor moves) and OSC sequences (titles, links); lone carriage returns.
  return text
    .replace(/\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g, '')
    .replace(/\r(?!\n)/g, '\n')
    .replace(/\r\n/g, '\n');
}

type Runner = 'node' | 'mocha' | 'jest' | 'pytest';
interface Summary {
  runner: Runner;
  line: number;
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * The pass/fail/skip counts and line coverage a test runner printed. Counts come from the last summary
 * in the output (several runners may have run); within a recognised summary a count the runner leaves
 * out (mocha omits "0 failing", jest "0 skipped") is 0; with no summary at all each is null.
 * Node's `todo` counts as skipped and its `cancelled` as failed; pytest's errors count as failed.
 */
export function parseTestOutput(output: string): TestCounts {
  const lines = stripAnsi(String(output ?? '')).split('\n');
  const summaries: Summary[] = [];
  let coverage: number | null = null,
    linesColumn: number | null = null;
  const add = (runner: Runner, line: number, counts: Partial<Record<'passed' | 'failed' | 'skipped', number>>): void => {
    const last = summaries[summaries.length - 1];
    const s = last && last.runner === runner && line - last.line <= 3 ? last : { runner, line, passed: 0, failed: 0, skipped: 0 };
    if (s !== last) summaries.push(s);
    s.line = line;
    s.passed += counts.passed ?? 0;
    s.failed += counts.failed ?? 0;
    s.skipped += counts.skipped ?? 0;
  };
  lines.forEach((raw, i) => {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    // node:test, spec reporter (`ℹ pass 3`) or TAP (`# pass 3`)
    if ((m = /^(?:ℹ|#)\s*(pass|fail|skipped|todo|cancelled)\s+(\d+)$/.exec(line))) {
      const n = Number(m[2]),
        k = m[1]!;
      add('node', i, k === 'pass' ? { passed: n } : k === 'fail' || k === 'cancelled' ? { failed: n } : { skipped: n });
    } else if ((m = /^(?:ℹ|#)\s*tests\s+\d+$/.exec(line))) add('node', i, {});
    // node's coverage table: `ℹ all files | 84.21 | 50.00 | 100.00 |`, the first column is line %
    else if ((m = /^(?:ℹ|#)\s*all files\s*\|\s*([\d.]+)/.exec(line))) coverage = Number(m[1]);
    // mocha
    else if ((m = /^(\d+) (passing|failing|pending)\b/.exec(line)))
      add('mocha', i, { [m[2] === 'passing' ? 'passed' : m[2] === 'failing' ? 'failed' : 'skipped']: Number(m[1]) });
    // jest (`Tests:       1 failed, 2 skipped, 5 passed, 8 total`) and vitest (`Tests  2 failed | 5 passed (7)`)
    else if ((m = /^Tests:?\s+(\d.*)$/.exec(line))) add('jest', i, counts(m[1]!));
    // pytest (`===== 3 passed, 1 failed, 2 skipped in 0.12s =====`)
    else if ((m = /^=*\s*(\d+ (?:passed|failed|skipped|errors?|xfailed|xpassed|deselected)\b.*) in [\d.]+\s*s\b/.exec(line))) add('pytest', i, counts(m[1]!));
    // istanbul/c8/jest table: we take `% Lines` when the header labels it (the same measure as node's
    // line coverage); without a header, the first column (`% Stmts`).
    else if (/^-*\s*File\s*\|/.test(line)) {
      const cols = line.split('|').map((c) => c.trim());
      const k = cols.findIndex((c) => /lines/i.test(c));
      linesColumn = k > 0 ? k : null;
    } else if ((m = /^All files\s*\|(.*)$/.exec(line))) {
      const cols = line.split('|').map((c) => c.trim()),
        v = Number(cols[linesColumn ?? 1]);
      if (cols[linesColumn ?? 1] !== '' && Number.isFinite(v)) coverage = v;
    } else if ((m = /^Lines\s*:\s*([\d.]+)%/.exec(line)))
      coverage = Number(m[1]); // istanbul text-summary
    else if ((m = /^TOTAL\s+\d+\s+\d+(?:\s+\d+\s+\d+)?\s+([\d.]+)%$/.exec(line))) coverage = Number(m[1]); // pytest-cov
  });
  const last = summaries[summaries.length - 1];
  return last ? { passed: last.passed, failed: last.failed, skipped: last.skipped, coverage } : { passed: null, failed: null, skipped: null, coverage };
}

function counts(text: string): Partial<Record<'passed' | 'failed' | 'skipped', number>> {
  const out = { passed: 0, failed: 0, skipped: 0 };
  for (const m of text.matchAll(/(\d+) (passed|failed|skipped|todo|pending|errors?)\b/g)) {
    const n = Number(m[1]),
      k = m[2]!;
    if (k === 'passed') out.passed += n;
    else if (k === 'failed' || k.startsWith('error')) out.failed += n;
    else out.skipped += n;
  }
  return out;
}
