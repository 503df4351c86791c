import type { ToolHandler } from './handler';

export const finish: ToolHandler<'finish'> = {
  summary: (a) => a.summary.slice(0, 200),
  run: async (a) => ({ result: 'Finished.', summary: 'finished', stop: { kind: 'finished', summary: a.summary } }),
};
