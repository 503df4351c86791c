import type { ToolHandler } from './handler';
import { writeResult, writer } from './handler';

export const writeFile: ToolHandler<'write_file'> = {
  summary: (a) => `${a.path} (${Buffer.byteLength(a.content)} bytes)`,
  run: async (a, run) => writeResult(await run.deps.files.write(a.path, a.content, writer(run)), (w) => `Wrote ${a.path} (${w.change}, ${w.bytes} bytes).`),
};
