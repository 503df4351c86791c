// Run as a child process by the kill -9 test: `start WORKSPACE` or `resume SESSION_DIR WORKSPACE`.
// Prints one line once the session runs (its folder), then runs it to the end unless killed.
import { startSession, resumeSession } from '../../src/core/session/session';
import { nodeWorkspace } from '../../src/node/workspace';
import { config, providers } from './kill-writes';

const [mode, a, b] = process.argv.slice(2) as [string, string, string | undefined];
const p = providers();
const workspace = mode === 'start' ? a : b!;
const deps = { ...nodeWorkspace(workspace), resolve: (id: string) => p[id] };
try {
  const handle = mode === 'start' ? startSession({ goal: 'kill me', config: config(), deps }) : resumeSession({ dir: a, config: config(), deps });
  process.stdout.write(handle.dir + '\n');
  void handle.done.then((s) => process.exit(s.status === 'completed' ? 0 : 1));
} catch (e) {
  process.stdout.write(`cannot resume: ${(e as Error).message}\n`);
  process.exit(3);
}
