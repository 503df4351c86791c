// The Node side of a session's workspace in one call: the file store, the command runner, the
// sandbox (bubblewrap where it works), the change tracker (git + watcher, else the scan), the text
// search (ripgrep: `rgPath`, else `rg` on PATH), the MCP client and the copier of the workspace for
// best-of-N candidates, as the CLI, the extension and the tests wire them.

import type { EngineDeps } from '../core/session/session';
import { nodeChangeTracker } from './changes';
import { NodeCommandRunner } from './command-runner';
import { NodeWorkspaceCopier } from './copies';
import { NodeFileStore } from './file-store';
import { NodeMcpClient } from './mcp-client';
import { RipgrepSearch } from './ripgrep';
import { platformSandbox } from './sandbox';

export function nodeWorkspace(
  root: string,
  opts: { rgPath?: string } = {},
): Pick<EngineDeps, 'workspace' | 'store' | 'runner' | 'changes' | 'sandbox' | 'search' | 'mcp' | 'copies'> {
  const store = new NodeFileStore(root);
  return {
    workspace: root,
    store,
    runner: new NodeCommandRunner(),
    sandbox: platformSandbox(),
    changes: () => nodeChangeTracker(root, store),
    search: new RipgrepSearch(root, { rgPath: opts.rgPath }),
    mcp: new NodeMcpClient(root),
    copies: new NodeWorkspaceCopier(root, { rgPath: opts.rgPath, reuse: true }),
  };
}
