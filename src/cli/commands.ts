// The `ensemble` commands. Each returns its exit code (README: 0 completed, 1 ran but something
// failed, 2 bad usage or configuration, 3 the disk is full, 130 cancelled).

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import {
  baseUrlEnvVar,
  candidatesFor,
  ConfigError,
  defaultConfig,
  editorOnlyBindings,
  keyEnvVar,
  kindInfo,
  MAX_CANDIDATES,
  MIN_CANDIDATES,
  missingKeys,
  orList,
  type EngineConfig,
} from '../core/config';
import { sessionsDir } from '../core/store/log';
import { resumeSession, startSession, workspaceError, WorkspaceNotWritableError, type EngineDeps, type SessionHandle } from '../core/session/session';
import { DiskFullError } from '../core/store/disk';
import { findSession, foldSession, listSessions, resumableSessions, workspaceOf, writeReportFiles, writeSummary } from '../core/store/sessions';
import { typicalSessionCost } from '../core/money/estimate';
import { describeEvent, describePriceSource, describeRules, describeSandbox } from '../core/fold/narrate';
import type { SandboxUse } from '../core/fold/sandbox';
import { sandboxChecked } from '../core/session/sandbox';
import { budgetText, estimateText } from '../core/fold/money';
import { reportedStatus, statusText } from '../core/fold/summary';
import { loadRules } from '../core/session/rules';
import { planRules } from '../core/session/plan';
import type { RulesFile } from '../core/events';
import { buildReport, renderMarkdown } from '../core/fold/report';
import { loadConfig } from '../node/config-file';
import { buildResolver, envKeys } from '../node/providers';
import { PROVIDER_KINDS } from '../providers';
import { loadCassette, saveCassette } from '../cassette/format';
import { CassetteRecorder } from '../cassette/recorder';
import { demoCassettePath, startReplay } from '../cassette/replay';
import { Redactor, secretsInEnv } from '../core/redact';
import { EXIT, follow, redacting, stdio, summary, type Output } from './runner';
import { candidateAnswer, candidateLines, defaultPlanFile, planLines, PlanFileError, readPlanFile, terminalReviewer } from './plan';
import { planFileText } from '../core/session/planFile';
import type { CandidateQuestion, PlanProposal } from '../core/ports';
import { nodeWorkspace } from '../node/workspace';
import { WorkspaceBusyError, workspaceHolder } from '../core/store/lock';
import { withWorkspaceMcp } from '../node/mcp-config';
import { McpConfigError, resolveMcpVariables, serversInUse, type McpInput } from '../core/mcp-config';
import type { ApproveMcpCall } from '../core/session/mcp';
import * as os from 'node:os';
import { Writable } from 'node:stream';

export class UsageError extends Error {}

export interface RunFlags {
  goal?: string;
  workspace?: string;
  config?: string;
  yes?: boolean;
  json?: boolean;
  record?: string;
  /** A plan file to run instead of asking the orchestrator for a plan. */
  plan?: string;
  /** Show the plan on the terminal and ask before anything runs. */
  approvePlan?: boolean;
  /** `--allow-command PATTERN` (repeatable): appended to `commands.allow`. */
  'allow-command'?: string[];
  /** `--best-of N`: every task with a check done by the first N configured providers (config.bestOf). */
  bestOf?: string;
}

/** The configuration with `--best-of N` as its `bestOf`; a bad N is a usage error. */
function withBestOf(cfg: EngineConfig, n: string | undefined): EngineConfig {
  if (n === undefined) return cfg;
  const v = Number(n);
  if (!Number.isInteger(v) || v < MIN_CANDIDATES || v > MAX_CANDIDATES)
    throw new UsageError(`--best-of needs a whole number from ${MIN_CANDIDATES} to ${MAX_CANDIDATES} (the candidates for each task with a check), not "${n}".`);
  return { ...cfg, bestOf: v };
}

/** The configuration with the `--allow-command` patterns appended to `commands.allow`. */
function withAllowedCommands(cfg: EngineConfig, patterns: readonly string[] | undefined): EngineConfig {
  const extra = (patterns ?? []).map((p) => p.trim()).filter(Boolean);
  return extra.length ? { ...cfg, commands: { ...cfg.commands, allow: [...cfg.commands.allow, ...extra] } } : cfg;
}

/**
 * Asks on the terminal whether an agent may run a command its policy does not allow; undefined (every
 * such command denied) when there is no terminal to ask on. `--yes` does not answer this: it is consent
 * to the validation phase's tests only.
 */
function approvalFor(): EngineDeps['approveCommand'] {
  if (!process.stdin.isTTY) return undefined;
  return async (req, signal) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    try {
      const task = req.taskId ? ` (task ${req.taskId}${req.taskTitle ? `: ${req.taskTitle}` : ''})` : '';
      const where = req.sandbox ? `in ${req.sandbox}, writing only the workspace` : 'WITHOUT a sandbox';
      process.stderr.write(
        `\nThe ${req.role} agent${task} wants to run a command in ${req.cwd === '.' ? 'the workspace' : req.cwd} (${where}, without your API keys):\n\n    ${req.command}\n\n`,
      );
      const a = (await rl.question('Allow it? [o]nce, for this [s]ession, or [N]o: ', { signal })).trim().toLowerCase();
      return a === 'o' || a === 'once' || a === 'y' || a === 'yes' ? 'once' : a === 's' || a === 'session' ? 'session' : 'deny';
    } finally {
      rl.close();
    }
  };
}

/**
 * Asks on the terminal which candidate's changes to apply (`candidateApproval: "ask"`), one race at a
 * time; undefined without a terminal (the verdict's candidate is then applied).
 */
function candidateChooserFor(): EngineDeps['chooseCandidate'] {
  if (!process.stdin.isTTY) return undefined;
  let turn: Promise<unknown> = Promise.resolve();
  const ask = async (q: CandidateQuestion, signal: AbortSignal): Promise<string | null> => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    try {
      process.stderr.write(`\n${candidateLines(q).join('\n')}\n\n`);
      for (;;) {
        const pick = candidateAnswer(q, await rl.question(`Apply which? [1-${q.candidates.length}], [none], or Enter for the recommended: `, { signal }));
        if (pick !== undefined) return pick;
      }
    } finally {
      rl.close();
    }
  };
  return (q, signal) => {
    const mine = turn.then(() => ask(q, signal));
    turn = mine.catch(() => undefined);
    return mine;
  };
}

/** Asks on the terminal whether an agent may call an MCP tool its policy does not allow; undefined (denied) without a terminal. */
function mcpApprovalFor(): ApproveMcpCall | undefined {
  if (!process.stdin.isTTY) return undefined;
  return async (req, signal) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    try {
      const task = req.taskId ? ` (task ${req.taskId}${req.taskTitle ? `: ${req.taskTitle}` : ''})` : '';
      process.stderr.write(
        `\nThe ${req.role} agent${task} wants to call the tool ${req.tool} of the MCP server ${req.server}${req.readOnly ? ' (which the server marks read-only)' : ''}:\n\n    ${req.server}/${req.tool} ${req.arguments}\n\n`,
      );
      const a = (await rl.question('Allow it? [o]nce, for this [s]ession, or [N]o: ', { signal })).trim().toLowerCase();
      return a === 'o' || a === 'once' || a === 'y' || a === 'yes' ? 'once' : a === 's' || a === 'session' ? 'session' : 'deny';
    } finally {
      rl.close();
    }
  };
}

/** Asks on the terminal for an `${input:…}` of an MCP server's configuration (not echoed when it is a password). */
async function askInput(input: McpInput): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  let muted = false;
  const output = new Writable({
    write(chunk, encoding, done) {
      if (!muted) process.stderr.write(chunk, encoding as BufferEncoding);
      done();
    },
  });
  const rl = readline.createInterface({ input: process.stdin, output, terminal: true });
  try {
    process.stderr.write(
      `${input.description ?? `Value for \${input:${input.id}}`} (MCP input "${input.id}"${input.password === false ? '' : ', not shown'}): `,
    );
    muted = input.password !== false;
    const a = await rl.question('');
    return a || undefined;
  } finally {
    muted = false;
    process.stderr.write('\n');
    rl.close();
  }
}

/**
 * The MCP servers of the configuration as a session uses them: the workspace's .vscode/mcp.json joined
 * (`mcp.useWorkspaceConfig`), and the `${…}` variables of the servers in use resolved, inputs asked on the
 * terminal (exit 2 without one). The resolved values join the secrets the session redacts.
 */
async function withMcp(cfg: EngineConfig, workspace: string): Promise<{ config: EngineConfig; secrets: string[] }> {
  try {
    const { config, inputs } = withWorkspaceMcp(cfg, workspace);
    if (!serversInUse(config).length) return { config, secrets: [] };
    return await resolveMcpVariables(config, {
      workspaceFolder: workspace,
      userHome: os.homedir(),
      env: process.env,
      inputs,
      input: askInput,
      pathSeparator: path.sep,
    });
  } catch (e) {
    throw e instanceof McpConfigError
      ? new ConfigError(
          process.stdin.isTTY
            ? e.message
            : `${e.message} Without a terminal nobody can be asked: write the value as \${env:NAME} in the configuration instead.`,
        )
      : e;
  }
}

function consentFor(flags: { yes?: boolean }): ((cmd: string) => Promise<boolean>) | undefined {
  if (flags.yes) return async () => true;
  if (!process.stdin.isTTY) return undefined;
  return async (cmd) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    try {
      const a = await rl.question(`Run the generated project's tests with \`${cmd}\` (in the workspace, without your API keys)? [y/N] `);
      return /^y(es)?$/i.test(a.trim());
    } finally {
      rl.close();
    }
  };
}

/**
 * The plan's approval on the CLI: `auto` unless --approve-plan (or the config's planApproval) asks for
 * it, which needs a terminal to ask on; refused before anything runs when there is none.
 */
function planApproval(
  cfg: EngineConfig,
  approvePlan: boolean | undefined,
  redactor: Redactor,
): { config: EngineConfig; reviewPlan?: EngineDeps['reviewPlan'] } {
  const mode = approvePlan ? 'ask' : cfg.planApproval;
  if (mode === 'auto') return { config: { ...cfg, planApproval: 'auto' } };
  if (!process.stdin.isTTY)
    throw new UsageError(
      `--approve-plan needs a terminal${approvePlan ? '' : ' (the configuration says planApproval "ask")'}: run it interactively, or review the plan with \`ensemble plan\` and run it with \`ensemble run --plan FILE\`.`,
    );
  // What the terminal shows is redacted like everything the CLI prints.
  return { config: { ...cfg, planApproval: 'ask' }, reviewPlan: terminalReviewer(process.stdin, (text) => process.stderr.write(redactor.text(text))) };
}

/**
 * Stops before anything is shown or asked when another session holds the workspace (the session takes
 * the lock itself when it starts: this only spares the pre-flight and the prompts).
 */
function refuseIfBusy(workspace: string, sessionId?: string): void {
  const holder = workspaceHolder(workspace);
  if (holder) throw new WorkspaceBusyError(workspace, holder, holder.sessionId === sessionId);
}

function deps(
  command: string,
  workspace: string,
  resolve: EngineDeps['resolve'],
  consent: EngineDeps['consent'],
  secrets?: readonly string[],
  reviewPlan?: EngineDeps['reviewPlan'],
): EngineDeps {
  try {
    return {
      command,
      ...nodeWorkspace(workspace),
      resolve,
      consent,
      secrets,
      reviewPlan,
      approveCommand: approvalFor(),
      approveMcp: mcpApprovalFor(),
      chooseCandidate: candidateChooserFor(),
    };
  } catch (e) {
    throw workspaceError(workspace, e); // the folder could not be created
  }
}

function withConsentSetting(cfg: EngineConfig, yes: boolean | undefined): EngineConfig {
  return yes ? { ...cfg, validation: { ...cfg.validation, runTests: cfg.validation.runTests === 'never' ? 'never' : 'always' } } : cfg;
}

export async function runCommand(flags: RunFlags, terminal: Output = stdio): Promise<number> {
  if (!flags.goal?.trim() && !flags.plan) throw new UsageError('ensemble run needs --goal "what to build" (or --plan FILE).');
  const workspace = path.resolve(flags.workspace ?? process.cwd());
  const { config: loadedFile, source } = loadConfig(workspace, flags.config);
  const file = withBestOf(loadedFile, flags.bestOf);
  refuseIfBusy(workspace);
  // A plan file is checked before any key or model: every problem named, with its line.
  const plan = flags.plan ? givenPlan(flags.plan, file) : undefined;
  refuseEditorOnly(file, source);
  const goal = flags.goal?.trim() || plan?.goal?.trim();
  if (!goal) throw new UsageError(`ensemble run needs --goal "what to build": the plan file ${flags.plan} names no goal.`);
  const recorder = flags.record ? new CassetteRecorder() : undefined;
  const resolver = buildResolver(file, envKeys(), process.env, recorder ? (p) => recorder.wrap(p) : undefined);
  // Keys are checked before anybody is asked for an MCP server's input.
  const missing = missingKeys(file, resolver.hasKey);
  if (missing.length) {
    throw new ConfigError(missing.map((m) => `No API key for provider "${m.provider}" (used by ${m.usedBy.join(', ')}): set ${m.envVar}.`).join('\n'));
  }
  const mcp = await withMcp(file, workspace);
  const loaded = mcp.config;
  const secrets = [...resolver.secrets(), ...mcp.secrets];
  const redactor = new Redactor(secrets);
  const io = redacting(terminal, redactor);
  const { config, reviewPlan } = planApproval(loaded, flags.approvePlan, redactor);
  const engineDeps = deps('ensemble run', workspace, (id) => resolver.resolve(id), consentFor(flags), secrets, reviewPlan);
  const sandbox = sandboxChecked(config.commands.sandbox === 'off' ? { available: false, reason: 'off' } : await engineDeps.sandbox!.probe(), config.commands);
  preflight(config, (await loadRules(workspace, engineDeps.store)).files, sandbox, io);
  const handle = startSession({
    goal,
    config: withAllowedCommands(withConsentSetting(config, flags.yes), flags['allow-command']),
    deps: engineDeps,
    plan: plan && { rationale: plan.rationale, tasks: plan.tasks },
  });
  io.err(`Ensemble session ${handle.sessionId} in ${workspace}`);
  const code = await follow(handle, { json: flags.json, io });
  if (recorder && flags.record) {
    const { providers, ...rest } = config;
    // Headers may carry credentials for compatible endpoints: a cassette keeps none of them.
    const safeProviders = Object.fromEntries(Object.entries(providers).map(([id, p]) => [id, { kind: p.kind }]));
    saveCassette(
      flags.record,
      recorder.cassette(
        goal,
        { orchestrator: rest.orchestrator, roles: rest.roles, providers: safeProviders, maxConcurrency: rest.maxConcurrency },
        `Recorded from session ${handle.sessionId}`,
        redactor,
      ),
    );
    io.err(`Cassette written to ${path.resolve(flags.record)}`);
  }
  return code;
}

/**
 * VS Code's language models (`vscode-lm` providers) cannot be reached from a terminal: a binding to one
 * stops the command before anything runs (exit 2), naming the role and what to use instead.
 */
function refuseEditorOnly(cfg: EngineConfig, source: string): void {
  const bound = editorOnlyBindings(cfg);
  if (!bound.length) return;
  const keyed = PROVIDER_KINDS.filter((kind) => kindInfo(kind).key === 'required');
  const where = source === 'defaults' ? 'a .ensemble/config.json in the workspace (or --config FILE)' : source;
  throw new ConfigError(
    bound
      .map(
        (b) =>
          `${b.who} uses provider "${b.provider}" (model ${b.model}): VS Code's language models can only be used by the Ensemble extension inside VS Code, not from the command line.`,
      )
      .join('\n') +
      `\nIn ${where}, bind ${orList(bound.map((b) => b.who))} to a provider with an API key (${orList(keyed)}) or an openai-compatible endpoint (e.g. a local Ollama), or start this session from VS Code (Ensemble: Start Orchestration).`,
  );
}

function givenPlan(file: string, cfg: EngineConfig): ReturnType<typeof readPlanFile> {
  try {
    return readPlanFile(file, planRules(cfg));
  } catch (e) {
    throw e instanceof PlanFileError ? new UsageError(e.message) : e;
  }
}

/**
 * `ensemble plan`: the orchestrator plans, and the plan is written to a file (default
 * `.ensemble/plan.json`) to read, edit and run with `ensemble run --plan FILE`. No workspace file is
 * written and no agent runs: the session stops at the proposal (its log keeps what planning cost, and
 * it ends "cancelled" with that reason).
 */
export async function planCommand(
  flags: { goal?: string; workspace?: string; config?: string; out?: string; json?: boolean },
  terminal: Output = stdio,
): Promise<number> {
  const goal = flags.goal?.trim();
  if (!goal) throw new UsageError('ensemble plan needs --goal "what to build".');
  const workspace = path.resolve(flags.workspace ?? process.cwd());
  const out = path.resolve(flags.out ?? defaultPlanFile(workspace));
  const { config, source } = loadConfig(workspace, flags.config);
  refuseEditorOnly(config, source);
  refuseIfBusy(workspace);
  const resolver = buildResolver(config, envKeys());
  const secrets = resolver.secrets();
  const io = redacting(terminal, new Redactor(secrets));
  const missing = missingKeys(config, resolver.hasKey);
  if (missing.length)
    throw new ConfigError(missing.map((m) => `No API key for provider "${m.provider}" (used by ${m.usedBy.join(', ')}): set ${m.envVar}.`).join('\n'));
  let proposal: PlanProposal | undefined;
  const reviewPlan: EngineDeps['reviewPlan'] = async (p) => ((proposal = p), { action: 'cancel', reason: `planned only: the plan is in ${out}` });
  const handle = startSession({
    goal,
    config: { ...config, planApproval: 'ask' },
    // No copies: nothing runs, so none is made ahead of a race either.
    deps: { ...deps('ensemble plan', workspace, (id) => resolver.resolve(id), undefined, secrets, reviewPlan), copies: undefined },
  });
  io.err(`Ensemble planning session ${handle.sessionId} in ${workspace}`);
  const sub = handle.log.onDidAppend((e) => {
    const line = describeEvent(e, handle.state);
    if (line) io.err(line);
  });
  const state = await handle.done.finally(() => sub.dispose());
  if (!proposal) {
    io.err(`No plan: ${state.error ?? state.status}`);
    return state.status === 'cancelled' ? EXIT.cancelled : EXIT.failed;
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, planFileText({ goal, rationale: proposal.rationale, tasks: proposal.tasks }));
  io.err(planLines(proposal).join('\n'));
  io.err(
    `Plan written to ${out}. Edit it if you like, then: ensemble run --plan ${path.relative(process.cwd(), out) || out}${flags.workspace ? ` --workspace ${flags.workspace}` : ''}`,
  );
  if (flags.json) io.out(JSON.stringify({ goal, rationale: proposal.rationale, tasks: proposal.tasks, estimateUsd: proposal.estimateUsd, file: out }, null, 2));
  return EXIT.completed;
}

/** What is about to run: each role's provider and model, a typical session's cost, the budget, the project rules, where commands run. */
function preflight(cfg: EngineConfig, rules: readonly RulesFile[], sandbox: SandboxUse, io: Output): void {
  const ref = (r: { provider: string; model: string; fallback?: { provider: string; model: string } }) =>
    `${r.provider}/${r.model}${r.fallback ? ` (fallback ${r.fallback.provider}/${r.fallback.model})` : ''}`;
  io.err(`  orchestrator  ${ref(cfg.orchestrator)}`);
  for (const [name, r] of Object.entries(cfg.roles)) io.err(`  ${name.padEnd(13)} ${ref(r)}`);
  const est = typicalSessionCost(cfg);
  io.err(
    `  cost          ${estimateText(est.estimateUsd, est.unknownModels)}${est.estimateUsd === null ? '' : ' for a typical session'}; budget ${budgetText(cfg.budgetUsd)}`,
  );
  io.err(`  prices        ${describePriceSource(est.prices)}`);
  io.err(`  project rules ${rules.length ? describeRules(rules) : 'none (an AGENTS.md at the workspace root would give every agent your conventions)'}`);
  io.err(`  sandbox       ${describeSandbox(sandbox)}`);
  const best = Object.keys(cfg.roles).flatMap((n) => {
    const c = candidatesFor({ role: n, check: cfg.bestOf ? 'its check' : undefined }, cfg);
    return c ? [`${n}: ${c.map((x) => `${x.provider}/${x.model}`).join(', ')}`] : [];
  });
  if (best.length)
    io.err(
      `  best of       ${best.join('; ')}${cfg.bestOf ? ' (tasks with a check)' : ''}, each in its own copy; the cheapest that passes its check is applied`,
    );
  const mcp = [['orchestrator', cfg.orchestrator.mcp] as const, ...Object.entries(cfg.roles).map(([n, r]) => [n, r.mcp] as const)].filter(([, m]) => m?.length);
  if (mcp.length && cfg.mcp.run !== 'never')
    io.err(
      `  mcp           ${mcp.map(([n, m]) => `${n}: ${m!.join(', ')}`).join('; ')} (calls ${cfg.mcp.run === 'always' ? 'run without asking' : `matching mcp.allow${cfg.mcp.allowReadOnly ? ' or read-only' : ''} run, ${cfg.mcp.run === 'ask' ? 'others are asked' : 'others are denied'}`})`,
    );
}

export async function replayCommand(
  file: string | undefined,
  flags: { workspace?: string; yes?: boolean; json?: boolean; demo?: boolean; 'allow-command'?: string[] },
  io: Output = stdio,
): Promise<number> {
  if (!file) throw new UsageError('ensemble replay needs the cassette file: ensemble replay FILE [--workspace DIR].');
  const cassette = loadCassette(file);
  const workspace = path.resolve(flags.workspace ?? process.cwd());
  refuseIfBusy(workspace);
  const replay = await startReplay(cassette);
  try {
    io.err(
      flags.demo
        ? "Ensemble demo: the model answers are SCRIPTED (a cassette), served by local servers that speak each provider's wire protocol to the real SDKs. No key is needed and nothing leaves this machine."
        : `Replaying ${file}: scripted answers from local servers; no real model is called.`,
    );
    if (cassette.note) io.err(cassette.note);
    io.err(`Workspace: ${workspace}`);
    const config = withAllowedCommands(withConsentSetting(replay.config, flags.yes), flags['allow-command']);
    // No key is used, but the environment's secrets are still kept out of the log and what the (local) models read.
    const handle = startSession({
      goal: cassette.goal,
      config,
      deps: deps(flags.demo ? 'ensemble demo' : `ensemble replay ${file}`, workspace, replay.resolve, consentFor(flags), secretsInEnv(process.env)),
      scripted: true,
    });
    return await follow(handle, { json: flags.json, io });
  } finally {
    await replay.close();
  }
}

export async function demoCommand(dir: string | undefined, flags: { json?: boolean }, io: Output = stdio): Promise<number> {
  const workspace = path.resolve(dir ?? 'ensemble-demo');
  try {
    fs.mkdirSync(workspace, { recursive: true });
  } catch (e) {
    throw workspaceError(workspace, e);
  }
  // The demo's generated tests are part of the script: running them is what the demo shows.
  return replayCommand(demoCassettePath(), { workspace, yes: true, json: flags.json, demo: true }, io);
}

export async function reportCommand(dir: string | undefined, flags: { json?: boolean }, terminal: Output = stdio): Promise<number> {
  if (!dir) throw new UsageError('ensemble report needs a session folder: ensemble report .ensemble/sessions/<id> [--json].');
  const file = path.join(dir, 'events.jsonl');
  if (!fs.existsSync(file)) throw new UsageError(`${file} does not exist: give the folder of a session (under .ensemble/sessions).`);
  // A log written by an older version may hold a key: the report is redacted of the keys this
  // environment and the workspace's configuration name (when it loads), and of key shapes.
  const redactor = new Redactor(reportSecrets(workspaceOf(dir)));
  const io = redacting(terminal, redactor);
  const { state, skipped, logBytes } = foldSession(dir);
  if (skipped) io.err(`(${skipped} damaged line${skipped === 1 ? '' : 's'} in the log were skipped)`);
  const report = buildReport(state);
  // Printed first: a full disk or a read-only folder must not cost the user the report.
  io.out(flags.json ? JSON.stringify(report, null, 2) : renderMarkdown(report));
  try {
    writeReportFiles(dir, state, redactor);
    writeSummary(dir, state, logBytes);
  } catch (e) {
    // A full disk or a read-only folder: the report was printed all the same.
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOSPC' ? 'the disk is full' : code === 'EROFS' ? 'the folder is on a read-only filesystem' : (e as Error).message;
    io.err(`The report could not be written to ${dir} (${why}); it is printed above.`);
    return EXIT.failed;
  }
  return EXIT.completed;
}

function reportSecrets(workspace: string | undefined): string[] {
  try {
    if (workspace === undefined) throw new Error('a session folder outside a workspace');
    return buildResolver(loadConfig(workspace).config, envKeys()).secrets();
  } catch {
    return buildResolver(defaultConfig(), envKeys()).secrets(); // an invalid config still leaves the environment's keys
  }
}

export async function resumeCommand(
  session: string | undefined,
  flags: { workspace?: string; config?: string; yes?: boolean; json?: boolean; approvePlan?: boolean; 'allow-command'?: string[] },
  terminal: Output = stdio,
): Promise<number> {
  if (!session) throw new UsageError('ensemble resume needs a session: its id or its folder.');
  const workspace = path.resolve(flags.workspace ?? process.cwd());
  const found = findSession(workspace, session);
  if (!found) {
    const ids = resumableSessions(workspace).map((s) => s.sessionId);
    throw new UsageError(
      `No session "${session}" in ${sessionsDir(workspace)} (give its id, or its folder .ensemble/sessions/<id>).${ids.length ? ` Sessions that can be resumed there: ${ids.join(', ')}.` : ''}`,
    );
  }
  const { dir, workspace: ws } = found;
  refuseIfBusy(ws, path.basename(dir));
  const { config: file, source } = loadConfig(ws, flags.config);
  refuseEditorOnly(file, source);
  const resolver = buildResolver(file, envKeys());
  const missing = missingKeys(file, resolver.hasKey);
  if (missing.length) throw new ConfigError(missing.map((m) => `No API key for provider "${m.provider}": set ${m.envVar}.`).join('\n'));
  const mcp = await withMcp(file, ws);
  const loaded = mcp.config;
  const secrets = [...resolver.secrets(), ...mcp.secrets];
  const redactor = new Redactor(secrets);
  const io = redacting(terminal, redactor);
  const { config, reviewPlan } = planApproval(loaded, flags.approvePlan, redactor);
  let handle: SessionHandle;
  try {
    handle = resumeSession({
      dir,
      config: withAllowedCommands(withConsentSetting(config, flags.yes), flags['allow-command']),
      deps: deps(`ensemble resume ${path.basename(dir)}`, ws, (id) => resolver.resolve(id), consentFor(flags), secrets, reviewPlan),
    });
  } catch (e) {
    if (e instanceof WorkspaceBusyError || e instanceof WorkspaceNotWritableError || e instanceof DiskFullError) throw e;
    throw new UsageError((e as Error).message);
  }
  io.err(`Resuming session ${handle.sessionId}`);
  return follow(handle, { json: flags.json, io });
}

/** The sessions of the workspace, newest first: id, status ("interrupted" for one whose log never ended), cost, goal. */
export function sessionsCommand(flags: { workspace?: string; json?: boolean }, io: Output = stdio): number {
  const workspace = path.resolve(flags.workspace ?? process.cwd());
  const listed = listSessions(workspace);
  if (flags.json)
    io.out(
      JSON.stringify(
        listed.map((s) => ({ ...s.summary, status: reportedStatus(s.summary.status), dir: s.dir })),
        null,
        2,
      ),
    );
  else if (!listed.length) io.err(`No session in ${sessionsDir(workspace)}.`);
  else for (const s of listed) io.out(`${s.sessionId}  ${statusText(s.summary.status).padEnd(16)} ${s.summary.costText.padEnd(18)} ${s.summary.goal}`);
  return EXIT.completed;
}

/**
 * Serves a cassette from local provider servers until interrupted, printing the environment that
 * points Ensemble (the CLI or the extension) at them: a recorded session becomes a live fixture.
 */
export async function serveCommand(file: string | undefined, io: Output = stdio, until: Promise<unknown> = interrupted()): Promise<number> {
  const cassette = loadCassette(file ?? demoCassettePath());
  const replay = await startReplay(cassette);
  try {
    for (const e of replay.endpoints) {
      const settings = replay.config.providers[e.provider]!;
      io.out(`${baseUrlEnvVar(e.provider)}=${e.baseUrl}`);
      const keyVar = keyEnvVar(e.provider, settings);
      if (keyVar) io.out(`${keyVar}=scripted-no-key`);
    }
    io.err(`Serving ${file ?? 'the demo cassette'} (scripted answers) until Ctrl-C.`);
    await until;
    return EXIT.completed;
  } finally {
    await replay.close();
  }
}

function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export { summary };
