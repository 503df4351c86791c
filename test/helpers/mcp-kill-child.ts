// Run as a child process by the MCP tests: a session whose agent calls a stdio MCP server's tool (the
// server started with `marker` among its arguments, to be found among the system's processes, and
// `--stay`: it does not end when its stdin closes), then
// waits forever, so that the parent can kill this process with SIGKILL while the server runs.
// argv: workspace, marker, commands.sandbox ("auto" or "off").
import { nodeWorkspace } from '../../src/node/workspace';
import { startSession } from '../../src/core/session/session';
import { ScriptedProvider, conv, planStep, turn } from './scripted';
import { testConfig } from './session';
import { SERVERS, stdio } from './mcp';

const [workspace, marker, sandbox] = process.argv.slice(2) as [string, string, 'auto' | 'off'];
const providers: Record<string, ScriptedProvider> = {
  orch: new ScriptedProvider('orch', () => planStep([{ id: 't1', role: 'a' }])),
  p1: new ScriptedProvider('p1', (req) => (conv(req) === 'task/t1' && turn(req) === 1 ? { toolCalls: [{ name: 'mcp__grow__ping', arguments: {} }] } : { hang: true })),
};
const config = testConfig({
  roles: { a: { provider: 'p1', model: 'm-1', mcp: ['grow'] } },
  mcpServers: { grow: stdio(SERVERS.test, ['grow', marker, '--stay']) },
  mcp: { run: 'always' },
  commands: { sandbox },
});
const handle = startSession({ goal: 'kill me', config, deps: { ...nodeWorkspace(workspace), resolve: (id) => providers[id] } });
process.stdout.write(handle.dir + '\n');
