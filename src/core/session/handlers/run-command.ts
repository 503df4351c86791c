import type { ToolHandler } from './handler';
import { toolError, writer } from './handler';

/** run_command goes through the session's CommandTool (policy, approval, the runner port, attribution of changed files). */
export const runCommand: ToolHandler<'run_command'> = {
  summary: (a) => a.command.slice(0, 200),
  run: async (a, run) => {
    if (!run.deps.commands) return toolError('run_command is not available in this session.');
    const r = await run.deps.commands.run(a, writer(run), run.deps.signal);
    return r.failed ? toolError(r.result) : { result: r.result, isError: r.isError, summary: r.summary };
  },
};
