// The Node side of a session's workspace in one call: the file store, the command runner, the
// sandbox (bubblewrap where it works) and the change tracker (git + watcher, else the scan), as the CLI, the extension and the tests wire them.

import type { EngineDeps } from '../core/session/session';
import { nodeChangeTracker } from './changes';
import { NodeCommandRunner } from './command-runner';
import { NodeFileStore } from './file-store';
import { platformSandbox } from './sandbox';

export function nodeWorkspace(root: string): Pick<EngineDeps, 'workspace' | 'store' | 'runner' | 'changes' | 'sandbox'> {
  const store = new NodeFileStore(root);
  return { workspace: root, store, runner: new NodeCommandRunner(), sandbox: platformSandbox(), changes: () => nodeChangeTracker(root, store) };
}
