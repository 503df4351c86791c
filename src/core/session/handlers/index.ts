// The tools the engine runs itself, by name. The tools a phase decides (reassign_task, skip_task,
// request_fix) are the phase's own `extraTools`; everything else is one handler here.

import type { ToolName } from '../tools';
import type { ToolHandler } from './handler';
import { editFile } from './edit-file';
import { finish } from './finish';
import { listFiles } from './list-files';
import { readFile } from './read-file';
import { runCommand } from './run-command';
import { searchFilesTool } from './search-files';
import { writeFile } from './write-file';

export const TOOL_HANDLERS: { readonly [K in ToolName]?: ToolHandler<K> } = {
  list_files: listFiles,
  read_file: readFile,
  search_files: searchFilesTool,
  write_file: writeFile,
  edit_file: editFile,
  run_command: runCommand,
  finish,
};
