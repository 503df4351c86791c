// The tools offered to models. Their names and argument shapes are the product's public contract
// with any model, cassette or fake (see README "Tools offered to models"): change them only
// compatibly. Each is one zod schema, from which both the JSON Schema sent to providers and the
// validation of what a model answers are derived.

import { z } from 'zod';
import type { JsonSchema, ToolSpec } from '../ports';

const taskSchema = z.object({
  id: z.string().min(1).describe('Short unique id, e.g. "backend-api"'),
  title: z.string().min(1),
  description: z.string().min(1).describe('Everything the specialist needs: files to create, interfaces to honour'),
  role: z.string().min(1).describe('One of the configured roles'),
  dependsOn: z.array(z.string()).describe('Ids of tasks that must finish first'),
  rationale: z.string().optional().describe('Why this role gets this task'),
  check: z.string().optional().describe('How to verify this task, e.g. "npm test" or "node --test test/api.test.js"'),
  candidates: z
    .array(z.object({ provider: z.string().min(1), model: z.string().min(1) }))
    .optional()
    .describe('Best of several (2–4 models): each does the task in its own copy, and the cheapest whose check passes is kept. Needs a check.'),
});

const line = z.number().int().min(1).max(1e9);

export const toolSchemas = {
  submit_plan: z.object({
    rationale: z.string().describe('Why the work is split this way'),
    tasks: z.array(taskSchema),
  }),
  list_files: z.object({
    path: z.string().optional().describe('Folder relative to the workspace root; default the root'),
    depth: z.number().int().min(1).max(20).optional().describe('Show subfolders (with file counts) this many levels deep'),
    offset: z.number().int().min(0).optional().describe('List the files from this position (0-based), 400 at a time'),
  }),
  read_file: z.object({
    path: z.string().describe('File path relative to the workspace root'),
    startLine: line.optional().describe('First line to read (1-based); give a range for large files'),
    endLine: line.optional().describe('Last line to read (inclusive)'),
  }),
  search_files: z.object({
    pattern: z.string().min(1).describe('The text to find (a regular expression when regex is true)'),
    path: z.string().optional().describe('Folder or file to search, relative to the workspace root; default the root'),
    glob: z.string().optional().describe('Only files whose path matches, gitignore-style: "*.ts", "src/**/*.test.js"; several separated by commas'),
    regex: z.boolean().optional().describe('Treat pattern as a JavaScript regular expression; default false (literal text)'),
    caseSensitive: z.boolean().optional().describe('Default true'),
    maxResults: z.number().int().min(1).max(1000).optional().describe('Matching lines to show; default 100'),
    offset: z.number().int().min(0).optional().describe('Skip this many matching lines: the next page'),
  }),
  write_file: z.object({ path: z.string().describe('File path relative to the workspace root'), content: z.string().describe('The complete new content') }),
  edit_file: z.object({
    path: z.string().describe('File path relative to the workspace root'),
    edits: z
      .array(
        z.object({
          oldText: z
            .string()
            .min(1)
            .describe(
              'Exact text to replace, as it is in the file now (without read_file line-number prefixes); it must occur exactly once, so include enough surrounding lines',
            ),
          newText: z.string().describe('The text to put in its place'),
        }),
      )
      .min(1)
      .describe('Applied together: all succeed or nothing changes; they must not overlap'),
  }),
  finish: z.object({ summary: z.string().describe('What was done, which files, anything the next task must know') }),
  run_command: z.object({
    command: z.string().trim().min(1).describe('A shell command line, e.g. "npm test"'),
    cwd: z.string().optional().describe('Folder relative to the workspace root to run it in; default the root'),
    timeoutMs: z.number().int().positive().optional().describe('Stop it after this many milliseconds (never longer than the user allows)'),
  }),
  reassign_task: z.object({ taskId: z.string(), role: z.string(), reason: z.string() }),
  skip_task: z.object({ taskId: z.string(), reason: z.string() }),
  request_fix: z.object({
    role: z.string().describe('The role that owns the code to fix'),
    title: z.string().min(1),
    description: z.string().min(1).describe('What is wrong (with file and line) and what to change'),
    reason: z.string().describe('Why this mismatch is real and worth fixing'),
  }),
} as const;

export type ToolName = keyof typeof toolSchemas;
export type ToolArgs<T extends ToolName> = z.infer<(typeof toolSchemas)[T]>;

const descriptions: Record<ToolName, string> = {
  submit_plan: 'Submit the plan: the tasks, the role that does each, and their dependencies.',
  list_files: "List the files in the workspace (or under a folder); a large folder answers with its subfolders' file counts.",
  read_file:
    'Read a text file from the workspace. For a large file give startLine/endLine: the range comes back with line numbers ("  12| text") and the file\'s line count.',
  search_files: 'Search the files list_files lists for a pattern: answers "path:line: text" for each matching line, a page at a time.',
  write_file: 'Create a file, or replace one with the complete content given. To change part of an existing file use edit_file.',
  edit_file:
    'Change an existing file by replacing exact text: each oldText must occur exactly once in the file as it is now. All edits apply together or not at all.',
  finish: 'Call when your task is complete, with a summary of what you did.',
  run_command:
    "Run a shell command in the workspace (the project's tests, its build, a linter) and get its exit code and the end of its output. The user's policy decides which commands run; a refused one is reported back and not run.",
  reassign_task: 'Give the failed task to another role (its agent starts it afresh).',
  skip_task: 'Give up on the failed task; its dependants are told it was skipped.',
  request_fix: 'Ask the role that owns the code to fix a mismatch the contract check found.',
};

const specs = new Map<ToolName, ToolSpec>();

/** The tool as offered to a model. Computed once per tool (every agent's request carries it) and frozen, since it is shared. */
export function toolSpec(name: ToolName): ToolSpec {
  let spec = specs.get(name);
  if (!spec) {
    const schema = z.toJSONSchema(toolSchemas[name]) as Record<string, unknown>;
    delete schema.$schema;
    specs.set(name, (spec = deepFreeze({ name, description: descriptions[name], parameters: schema as JsonSchema })));
  }
  return spec;
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

export const AGENT_TOOLS: ToolName[] = ['list_files', 'read_file', 'search_files', 'write_file', 'edit_file', 'finish'];
export const ESCALATION_TOOLS: ToolName[] = [...AGENT_TOOLS, 'reassign_task', 'skip_task'];
export const REVIEW_TOOLS: ToolName[] = ['list_files', 'read_file', 'search_files', 'request_fix', 'finish'];

/** Validates a model's arguments; returns a message the model can act on when they are wrong. */
export function parseToolArgs<T extends ToolName>(name: T, args: unknown): { ok: true; value: ToolArgs<T> } | { ok: false; error: string } {
  const r = toolSchemas[name].safeParse(args);
  if (r.success) return { ok: true, value: r.data as ToolArgs<T> };
  const issues = r.error.issues.map((i) => `${i.path.join('.') || '(arguments)'}: ${i.message}`).join('; ');
  return { ok: false, error: `Invalid arguments for ${name}: ${issues}` };
}

export function isToolName(name: string): name is ToolName {
  return Object.hasOwn(toolSchemas, name);
}
