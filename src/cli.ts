// The `ensemble` command line: parses arguments and hands each command to src/cli/commands.ts.

import { parseArgs } from 'node:util';
import { ConfigError } from './core/config';
import { WorkspaceNotWritableError } from './core/session/session';
import { demoCommand, planCommand, replayCommand, reportCommand, resumeCommand, runCommand, serveCommand, sessionsCommand, UsageError } from './cli/commands';
import { EXIT, stdio } from './cli/runner';
import { WorkspaceBusyError } from './core/store/lock';
import { DiskFullError } from './core/store/disk';

const HELP = `Usage:
  ensemble run --goal TEXT [--workspace DIR] [--config FILE] [--yes] [--json] [--record FILE]
               [--plan FILE] [--approve-plan] [--allow-command PATTERN]... [--best-of N]
  ensemble plan --goal TEXT [--workspace DIR] [--config FILE] [--out FILE]
                                           plans only and writes the plan file (default
                                           <workspace>/.ensemble/plan.json) to edit and run
  ensemble demo [DIR]                      an offline session with scripted answers (no keys)
  ensemble replay FILE [--workspace DIR] [--yes] [--json] [--allow-command PATTERN]...
  ensemble resume SESSION [--workspace DIR] [--config FILE] [--yes] [--json] [--approve-plan]
               [--allow-command PATTERN]...
  ensemble sessions [--workspace DIR] [--json]  the workspace's sessions, newest first
  ensemble report SESSION_DIR [--json]     re-folds a session's log into its report
  ensemble serve [FILE]                    serves a cassette (default: the demo's) on local provider
                                           servers and prints the variables that point at them

--yes consents to running the generated project's tests (validation) and nothing else.
--allow-command PATTERN lets agents run matching commands (e.g. "npm test", "npm run *"); other
commands are asked about on a terminal, and denied when there is none (see commands in the README).
--best-of N (2-4) has every task that has a check done by the first N configured providers, each in
its own copy of the workspace; the cheapest whose check passes is applied (see best of several).
Keys come from OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY (and *_BASE_URL).
Exit codes: 0 completed, 1 ran but something failed, 2 bad usage or configuration (also: another
session is running in the workspace, or it is read-only), 3 the disk is full, 130 cancelled.`;

async function main(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      goal: { type: 'string' },
      workspace: { type: 'string' },
      config: { type: 'string' },
      record: { type: 'string' },
      plan: { type: 'string' },
      out: { type: 'string' },
      'approve-plan': { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      json: { type: 'boolean' },
      'allow-command': { type: 'string', multiple: true },
      'best-of': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, arg] = positionals;
  if (v.help || !command) {
    process.stdout.write(HELP + '\n');
    return command || v.help ? EXIT.completed : EXIT.usage;
  }
  switch (command) {
    case 'run':
      return runCommand({ ...v, approvePlan: v['approve-plan'], bestOf: v['best-of'] });
    case 'plan':
      return planCommand(v);
    case 'demo':
      return demoCommand(arg, v);
    case 'replay':
      return replayCommand(arg, v);
    case 'resume':
      return resumeCommand(arg, { ...v, approvePlan: v['approve-plan'] });
    case 'report':
      return reportCommand(arg, v);
    case 'sessions':
      return sessionsCommand(v);
    case 'serve':
      return serveCommand(arg);
    default:
      throw new UsageError(`Unknown command "${command}".`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    // Not the user's usage: a read-only workspace, another session running there, a full disk.
    const environment = e instanceof WorkspaceNotWritableError || e instanceof WorkspaceBusyError;
    const usage = environment || e instanceof UsageError || e instanceof ConfigError || (e as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS');
    stdio.err(`ensemble: ${(e as Error)?.message ?? e}`); // redacted, like all the CLI prints
    if (usage && !environment) stdio.err(`Run "ensemble --help" for usage.`);
    process.exit(e instanceof DiskFullError ? EXIT.diskFull : usage ? EXIT.usage : EXIT.failed);
  },
);
