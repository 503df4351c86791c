import type { ToolHandler } from './handler';
import { orToolError } from './handler';

const MAX_LIST_ENTRIES = 400;

export const listFiles: ToolHandler<'list_files'> = {
  summary: (a) => a.path ?? '.',
  run: (a, { deps }) =>
    orToolError(async () => {
      const entries = await deps.files.list(a.path);
      const lines = entries.slice(0, MAX_LIST_ENTRIES).map((e) => `${e.path} (${e.size ?? 0} bytes)`);
      if (entries.length > MAX_LIST_ENTRIES) lines.push(`… and ${entries.length - MAX_LIST_ENTRIES} more`);
      return { result: lines.length ? lines.join('\n') : '(no files)', summary: `${entries.length} file${entries.length === 1 ? '' : 's'}` };
    }),
};
