// A session whose one agent runs the given shell commands with run_command, one per turn, then
// finishes: what each command's tool result told the model, and the session's log. Run as a script
// (`node --import tsx command-session.ts WORKSPACE COMMANDS_JSON POLICY_JSON`), it prints
// `{status, results}` as JSON: the sandbox tests start Ensemble as its own process this way, with a
// canary in that process's environment from its start.

import { startSession, type EngineDeps } from '../../src/core/session/session';
import type { EnsembleEvent } from '../../src/core/events';
import type { ChatMessage, Sandbox } from '../../src/core/ports';
import { NodeCommandRunner } from '../../src/node/command-runner';
import { NodeFileStore } from '../../src/node/file-store';
import { platformSandbox } from '../../src/node/sandbox';
import { ScriptedProvider, conv, planStep, turn } from './scripted';
import { testConfig } from './session';

export interface CommandSession {
  status: string;
  error?: string;
  /** The tool result the model was sent for each command, in order. */
  results: string[];
  events: EnsembleEvent[];
}

export async function commandSession(workspace: string, commands: string[], policy: Record<string, unknown>, opts: { sandbox?: Sandbox | null; deps?: Partial<EngineDeps>; config?: Record<string, unknown> } = {}): Promise<CommandSession> {
  const orch = new ScriptedProvider('orch', (req) => (conv(req) === 'plan' ? planStep([{ id: 't1', role: 'a' }]) : { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }));
  const agent = new ScriptedProvider('p1', (req) => {
    const n = turn(req);
    return n <= commands.length ? { toolCalls: [{ name: 'run_command', arguments: { command: commands[n - 1]! } }] } : { toolCalls: [{ name: 'finish', arguments: { summary: 'ran them' } }] };
  });
  const providers: Record<string, ScriptedProvider> = { orch, p1: agent, p2: agent };
  const sandbox = opts.sandbox === null ? undefined : (opts.sandbox ?? platformSandbox());
  const handle = startSession({
    goal: 'run commands',
    config: testConfig({ commands: policy, ...opts.config }),
    deps: { workspace, store: new NodeFileStore(workspace), runner: new NodeCommandRunner(), sandbox, resolve: (id) => providers[id], ...opts.deps },
  });
  const state = await handle.done;
  const results = commands.map((_, i) => {
    const next = agent.requests.find((r) => r.trace === `task/t1#${i + 2}`);
    const tool = next?.messages.filter((m): m is Extract<ChatMessage, { role: 'tool' }> => m.role === 'tool').at(-1);
    return tool?.content ?? '(no tool result)';
  });
  return { status: state.status, error: state.error, results, events: handle.log.readAll() };
}

if (require.main === module) {
  const [workspace, commands, policy] = process.argv.slice(2);
  void commandSession(workspace!, JSON.parse(commands!) as string[], JSON.parse(policy!) as Record<string, unknown>).then((r) => process.stdout.write(JSON.stringify({ status: r.status, error: r.error, results: r.results })));
}
