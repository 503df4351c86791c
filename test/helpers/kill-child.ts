// Run as a child process by the resume test: starts a session whose second task hangs, so that the
// parent can kill this process with SIGKILL mid-session.
import { nodeWorkspace } from '../../src/node/workspace';
import { startSession } from '../../src/core/session/session';
import { ScriptedProvider, conv, planStep, writesThenFinishes } from './scripted';
import { testConfig } from './session';

const workspace = process.argv[2]!;
const providers: Record<string, ScriptedProvider> = {
  orch: new ScriptedProvider('orch', () => planStep([{ id: 't1', role: 'a' }, { id: 't2', role: 'b', dependsOn: ['t1'] }])),
  p1: new ScriptedProvider('p1', (req) => writesThenFinishes({ 'a.txt': 'first' })(req)),
  p2: new ScriptedProvider('p2', (req) => (conv(req) === 'task/t2' ? { hang: true } : { hang: true })),
};
const handle = startSession({ goal: 'resume me', config: testConfig(), deps: { ...nodeWorkspace(workspace), resolve: (id) => providers[id] } });
process.stdout.write(handle.dir + '\n');
