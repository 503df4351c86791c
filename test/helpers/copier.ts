// A WorkspaceCopier for engine tests made of the Node adapters' parts (until src/node/copies.ts lands).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { WorkspaceCopier, WorkspaceCopy } from '../../src/core/ports';
import { NodeFileStore } from '../../src/node/file-store';
import { ScanTracker } from '../../src/core/store/workspace-snapshot';
import { tempWorkspace } from './tmp';

export function plainCopier(workspace: string): WorkspaceCopier & { made: string[] } {
  const base = tempWorkspace('ensemble-copies-');
  const made: string[] = [];
  return {
    made,
    async create(name): Promise<WorkspaceCopy> {
      const root = path.join(base, name);
      fs.mkdirSync(path.dirname(root), { recursive: true });
      fs.cpSync(workspace, root, { recursive: true, filter: (src) => !/[/\\](\.git|\.ensemble|node_modules)$/.test(src) });
      made.push(root);
      const store = new NodeFileStore(root);
      return { root, kind: 'copy', store, tracker: new ScanTracker(store), remove: async () => fs.rmSync(root, { recursive: true, force: true }) };
    },
    async sweep() {
      return 0;
    },
  };
}
