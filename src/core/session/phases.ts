// The integration and validation phases: measured, then acted on.
// Integration: the contract check (calls the front end makes vs routes the back end defines) is
// computed from the files; a mismatch becomes a fix task for the owning role.
// Validation: the project's own tests run, with consent, without the user's keys; failures go back to
// the owning role for one fix round, then the tests run again. Only what ran is reported.

import type { TaskSpec } from '../events';
import type { SessionContext } from './context';
import { checkContracts, type ContractReport } from '../quality/integration';
import { reviewIntegration } from './integration-review';
import { detectTestCommand, runTests } from '../quality/validation';
import { runDevelopment } from './development';
import { readingSearch } from './text-search';

const SOURCE = /\.(m?js|cjs|ts|jsx|tsx|html?)$/i;
const MAX_SOURCE_BYTES = 512 * 1024;

export async function runIntegration(ctx: SessionContext): Promise<'ok' | 'skipped'> {
  const files = await readSources(ctx);
  if (files.length === 0) return 'skipped';
  const report = check(ctx, files);
  if (report.callsWithoutRoute.length === 0) {
    ctx.sink.emit({
      type: 'decision',
      kind: 'review',
      summary: 'Integration: every call the front end makes has a route',
      rationale: `Measured by the contract check over ${report.filesScanned} files: ${report.matched.length} endpoints matched.`,
    });
    return 'ok';
  }
  const newId = () => uniqueId(ctx, 'fix-integration');
  let fixes = await reviewIntegration(ctx, report, newId);
  if (fixes === 'unavailable') {
    // The orchestrator could not review: the measured mismatch goes straight to the back end's owner.
    const owner = ownerOf(ctx, report.routes[0]?.file) ?? ownerOf(ctx, report.callsWithoutRoute[0]?.file);
    if (!owner) return 'ok';
    const list = report.callsWithoutRoute.map((c) => `- ${c.method} ${c.path} (called at ${c.file}:${c.line})`).join('\n');
    const routes = report.routes.map((r) => `- ${r.method} ${r.path} (${r.file}:${r.line})`).join('\n') || '- (none found)';
    const task: TaskSpec = {
      id: newId(),
      title: 'Make the front end and back end agree on the HTTP API',
      description: `The contract check found calls with no matching route:\n${list}\n\nRoutes the back end defines:\n${routes}\n\nAdd the missing routes or correct the calls so that every call has a route.`,
      role: owner,
      dependsOn: [],
    };
    addFix(ctx, task, 'The contract check measured calls with no matching route, and the orchestrator could not review them.');
    fixes = [task];
  }
  if (fixes.length === 0) return 'ok';
  await runDevelopment(
    ctx,
    fixes.map((f) => f.id),
  );
  check(ctx, await readSources(ctx));
  return 'ok';
}

function check(ctx: SessionContext, files: { path: string; content: string }[]): ContractReport {
  const report = checkContracts(files);
  ctx.sink.emit({
    type: 'integration.checked',
    matched: report.matched,
    callsWithoutRoute: report.callsWithoutRoute,
    routesNeverCalled: report.routesNeverCalled,
    filesScanned: report.filesScanned,
  });
  return report;
}

/** At most this many files found by searching for counterparts are read (the rest are named in no finding). */
const MAX_COUNTERPARTS = 200;

/**
 * The files the contract check reads, at the cost of the change rather than of the workspace: the
 * source files the session created or changed, then — for each call or route among them without a
 * counterpart there — the workspace's source files that mention the last fixed segment of its path
 * (`/todos` for `GET /api/todos/:id`: where the route is defined, or called), and the files that mention
 * a back-end file found so (`/todos` again for `routes/todos.js`: where it is mounted under a prefix).
 * Searched with ripgrep where there is one; a workspace is listed only when a finding needs it.
 */
async function readSources(ctx: SessionContext): Promise<{ path: string; content: string }[]> {
  const changed = Object.values(ctx.state.files)
    .filter((f) => f.afterSha !== null && SOURCE.test(f.path))
    .map((f) => f.path);
  const out = new Map<string, string>();
  const readInto = async (paths: Iterable<string>) => {
    for (const p of paths) {
      if (out.has(p)) continue;
      const data = await ctx.store.read(p).catch(() => undefined);
      if (data && data.byteLength <= MAX_SOURCE_BYTES) out.set(p, Buffer.from(data).toString('utf8'));
    }
  };
  await readInto(changed.sort());
  const files = () => [...out].map(([path, content]) => ({ path, content }));
  const first = checkContracts(files());
  const lone = [...first.callsWithoutRoute, ...first.routesNeverCalled];
  if (lone.length === 0) return files();
  let sources: string[] | undefined;
  const mentioning = async (literals: Set<string>): Promise<string[]> => {
    sources ??= (await ctx.store.list('.', { limit: Number.POSITIVE_INFINITY }))
      .filter((e) => SOURCE.test(e.path) && (e.size ?? 0) <= MAX_SOURCE_BYTES)
      .map((e) => e.path);
    const found = new Set<string>();
    for (const pattern of literals) {
      const query = { pattern, regex: false, caseSensitive: true };
      const page = { offset: 0, limit: 0 };
      const r =
        (await ctx.search?.search(query, sources, page, ctx.signal).catch(() => undefined)) ??
        (await readingSearch(ctx.store).search(query, sources, page, ctx.signal));
      for (const f of r?.files ?? []) if (found.size < MAX_COUNTERPARTS) found.add(f.path);
    }
    return [...found];
  };
  const segment = (p: string) =>
    p
      .split('/')
      .filter((x) => x && !/[:{}*]|\u0000/.test(x) && !x.startsWith('$'))
      .at(-1);
  const literals = new Set(
    lone
      .map((f) => segment(f.path))
      .filter((x): x is string => !!x)
      .map((x) => `/${x}`),
  );
  await readInto(await mentioning(literals));
  const routeFiles = checkContracts(files()).routes.map((r) => r.file);
  const stems = new Set(
    routeFiles
      .map(
        (f) =>
          `/${f
            .split('/')
            .at(-1)!
            .replace(/\.[^.]+$/, '')}`,
      )
      .filter((x) => !literals.has(x)),
  );
  if (stems.size) await readInto(await mentioning(stems));
  return files();
}

/** The user's consent, or the session's cancel (thrown out of the phase), whichever comes first: the question is not modal. */
function askConsent(ctx: SessionContext, command: string): Promise<boolean | undefined> {
  const consent = ctx.consent;
  if (!consent) return Promise.resolve(undefined);
  if (ctx.signal.aborted) return Promise.reject(ctx.signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    consent(command, ctx.signal)
      .then(resolve, reject)
      .finally(() => ctx.signal.removeEventListener('abort', onAbort));
  });
}

export async function runValidation(ctx: SessionContext): Promise<'ok' | 'failed' | 'skipped'> {
  const read = async (p: string) => {
    const d = await ctx.store.read(p).catch(() => undefined);
    return d === undefined ? undefined : Buffer.from(d).toString('utf8');
  };
  const list = async () => (await ctx.store.list()).map((e) => e.path);
  const cmd = await detectTestCommand(read, list);
  if (!cmd) {
    ctx.sink.emit({ type: 'validation.skipped', reason: 'the project declares no tests and has no test files' });
    return 'skipped';
  }
  // Without a sandbox (and unless the user chose commands.sandbox "off"), "always" asks like "ask".
  const unconfined = !ctx.state.sandbox?.sandbox && ctx.config.commands.sandbox !== 'off';
  const setting = ctx.config.validation.runTests === 'always' && unconfined ? 'ask' : ctx.config.validation.runTests;
  const granted = setting === 'always' ? true : setting === 'never' ? false : ((await askConsent(ctx, cmd.display)) ?? false);
  const asked = ctx.consent ? 'asked the user' : 'no way to ask for consent';
  const why =
    setting !== ctx.config.validation.runTests
      ? `setting runTests = "always", but no sandbox would confine the tests: ${asked}`
      : setting === 'ask'
        ? asked
        : `setting runTests = "${setting}"`;
  ctx.sink.emit({ type: 'validation.consent', command: cmd.display, granted, reason: why });
  if (!granted) {
    ctx.sink.emit({ type: 'validation.skipped', reason: `running "${cmd.display}" was not allowed (${why})` });
    return 'skipped';
  }
  let run = await runOnce(ctx, cmd);
  if (passed(run)) return 'ok';
  const owner = ownerOfTests(ctx);
  if (!owner || ctx.signal.aborted) return 'failed';
  const fix: TaskSpec = {
    id: uniqueId(ctx, 'fix-tests'),
    title: "Make the project's tests pass",
    description: `Running \`${cmd.display}\` failed (exit code ${run.exitCode}${run.timedOut ? ', timed out' : ''}; ${run.failed ?? '?'} failed, ${run.passed ?? '?'} passed). The end of its output:\n\n${run.outputTail}\n\nFix the code or the tests (whichever is wrong) so that the tests pass.`,
    role: owner,
    dependsOn: [],
  };
  addFix(ctx, fix, 'The generated tests failed when run.');
  await runDevelopment(ctx, [fix.id]);
  if (ctx.signal.aborted || ctx.budget.isExhausted) return 'failed';
  run = await runOnce(ctx, cmd);
  return passed(run) ? 'ok' : 'failed';
}

type Cmd = NonNullable<Awaited<ReturnType<typeof detectTestCommand>>>;

async function runOnce(ctx: SessionContext, cmd: Cmd) {
  const run = await runTests({
    runner: ctx.runner,
    cwd: ctx.workspace,
    command: cmd.command,
    args: cmd.args,
    timeoutMs: ctx.config.validation.timeoutMs,
    signal: ctx.signal,
  });
  ctx.sink.emit({
    type: 'validation.ran',
    command: cmd.display,
    exitCode: run.exitCode,
    passed: run.passed,
    failed: run.failed,
    skipped: run.skipped,
    coverage: run.coverage,
    durationMs: run.durationMs,
    timedOut: run.timedOut,
    outputTail: run.outputTail,
  });
  return run;
}

function passed(run: { exitCode: number | null; timedOut: boolean }): boolean {
  return run.exitCode === 0 && !run.timedOut;
}

function addFix(ctx: SessionContext, task: TaskSpec, rationale: string): void {
  ctx.sink.emit({ type: 'task.added', task, reason: rationale });
  ctx.sink.emit({ type: 'decision', kind: 'fix', taskId: task.id, summary: `${task.title} → ${task.role}`, rationale });
}

function uniqueId(ctx: SessionContext, base: string): string {
  let id = base;
  for (let n = 2; ctx.state.tasks[id]; n++) id = `${base}-${n}`;
  return id;
}

/** The role whose task wrote `file`, if the session wrote it. */
function ownerOf(ctx: SessionContext, file: string | undefined): string | undefined {
  const f = file ? ctx.state.files[file] : undefined;
  const task = f?.taskId ? ctx.state.tasks[f.taskId] : undefined;
  return task && ctx.config.roles[task.role] ? task.role : f?.role && ctx.config.roles[f.role] ? f.role : undefined;
}

/** Who fixes failing tests: the role that wrote the test files, else `qa`, else the first role. */
function ownerOfTests(ctx: SessionContext): string | undefined {
  const testFile = ctx.state.fileOrder.find((p) => /(^|\/)(tests?|__tests__)\/|\.test\.[mc]?[jt]s$/.test(p));
  return ownerOf(ctx, testFile) ?? (ctx.config.roles.qa ? 'qa' : Object.keys(ctx.config.roles)[0]);
}
