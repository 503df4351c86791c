// Run as a child process by the best-of kill test: a session whose task races two candidates, each of
// which writes out.txt in its copy and then hangs, so that the parent can kill this process mid-race.
import { nodeWorkspace } from '../../src/node/workspace';
import { NodeWorkspaceCopier } from '../../src/node/copies';
import { startSession } from '../../src/core/session/session';
import { ScriptedProvider, turn } from './scripted';
import { bestOfConfig, bestOfTask, TWO } from './best-of';

const [workspace, tmpRoot] = process.argv.slice(2) as [string, string];
const hangs = (id: string) =>
  new ScriptedProvider(id, (req) =>
    turn(req) === 1 ? { toolCalls: [{ name: 'write_file', arguments: { path: 'out.txt', content: `half-done by ${id}\n` } }] } : { hang: true },
  );
const providers: Record<string, ScriptedProvider> = { orch: new ScriptedProvider('orch', () => ({ hang: true })), pa: hangs('pa'), pb: hangs('pb') };
const handle = startSession({
  goal: 'best of two, killed',
  config: bestOfConfig(),
  deps: { ...nodeWorkspace(workspace), copies: new NodeWorkspaceCopier(workspace, { tmpRoot }), resolve: (id) => providers[id] },
  plan: {
    rationale: 'r',
    tasks: [bestOfTask({ candidates: TWO })],
  },
});
process.stdout.write(handle.dir + '\n');
