// The words the engine says to models. Kept together so that their contract (which tools, which
// shapes) is easy to review against src/core/tools.ts.

import type { ModelRef, TaskSpec } from '../events';
import type { RoleConfig } from '../config';
import type { FileStore } from '../ports';
import { rulesSection } from './rules';

/** The prompt's parts, without the empty ones (no project rules: no section). */
const sections = (...parts: string[]) => parts.filter(Boolean).join('\n\n');

/** `rules`: the project rules text (AGENTS.md, .ensemble/rules.md), '' when there are none. */
export function planningSystem(roles: Record<string, RoleConfig>, rules = '', models: readonly ModelRef[] = []): string {
  const roleLines = Object.entries(roles).map(([name, r]) => `- ${name}: ${r.description ?? 'specialist'} (runs on ${r.provider}/${r.model})`);
  const providers = new Set(models.map((m) => m.provider));
  return sections(
    "You are the orchestrator of a team of AI specialists that build software directly in the user's workspace.",
    'Plan the work for the goal you are given, then call the submit_plan tool exactly once.',
    "Split the work into a few cohesive tasks, each owned by one role. Tasks with no dependency between them run in parallel, so only add a dependency when a task truly needs another task's files.",
    'Each task description must be self-contained: the files to create or change (workspace-relative paths), the interfaces to honour (HTTP routes with methods and JSON shapes, function names), and how it will be tested. When the workspace already holds a project, build on its code and conventions rather than starting over. Give a task a `check` when there is a way to verify it (e.g. "npm test").',
    'Prefer plain Node.js (node:http, node:test) and browser JavaScript with no build step and no dependencies unless the goal needs them.',
    `Roles available:\n${roleLines.join('\n')}`,
    providers.size >= 2
      ? `For a hard task whose check decides whether it is done, you may give \`candidates\`: 2 to 4 of these models (${models.map((m) => `${m.provider}/${m.model}`).join(', ')}). Each does the task in its own copy of the workspace and the cheapest whose check passes is kept; it costs each candidate's work, so keep it for the tasks that need it.`
      : '',
    rulesSection(rules),
  );
}

/** How many folder levels of the workspace the planner is shown (files deeper are left to list_files). */
export const PICTURE_DEPTH = 3;
const PICTURE_FILES = 200;

/**
 * What the orchestrator is shown of the workspace: its files to three levels deep (at most 200 of
 * them), its README's first lines and its package.json files. It reads no folder deeper than that, so
 * it costs the same in a 30,000-file repository as in a small project; list_files shows the rest.
 */
export async function workspacePicture(files: FileStore): Promise<string> {
  const entries = await files.list('.', { depth: PICTURE_DEPTH, limit: Number.POSITIVE_INFINITY });
  const tree = entries.slice(0, PICTURE_FILES).map((e) => `  ${e.path}`);
  if (entries.length > PICTURE_FILES) tree.push(`  … and ${entries.length - PICTURE_FILES} more files to this depth`);
  const deep = entries.some((e) => e.path.split('/').length === PICTURE_DEPTH);
  const head = `Files in the workspace${deep ? `, to ${PICTURE_DEPTH} levels deep (list_files shows every folder with its file count, and deeper files)` : ''} (${entries.length}):`;
  const parts = [`${head}\n${tree.length ? tree.join('\n') : '  (empty folder)'}`];
  const readme = entries.find((e) => /^readme(\.md|\.txt)?$/i.test(e.path));
  if (readme) {
    const text = Buffer.from((await files.read(readme.path)) ?? new Uint8Array()).toString('utf8');
    parts.push(`${readme.path} (first lines):\n${text.split('\n').slice(0, 30).join('\n')}`);
  }
  for (const m of entries.filter((e) => /(^|\/)package\.json$/.test(e.path)).slice(0, 3)) {
    const text = Buffer.from((await files.read(m.path)) ?? new Uint8Array()).toString('utf8');
    parts.push(`${m.path}:\n${text.slice(0, 2000)}`);
  }
  return parts.join('\n\n');
}

export function planningRequest(goal: string, picture: string): string {
  return `Goal: ${goal}\n\n${picture}\n\nCall submit_plan with your plan.`;
}

export function planRepair(errors: string[]): string {
  return `The plan was rejected:\n${errors.map((e) => `- ${e}`).join('\n')}\n\nCall submit_plan again with a corrected plan.`;
}

/** A new planning round after the user's feedback on a proposed plan (also after a resume: it needs no earlier turn). */
export function replanRequest(goal: string, picture: string, previous: { rationale: string; tasks: TaskSpec[] }, feedback: string): string {
  const words = feedback.trim() ? `The user's feedback on it:\n${feedback.trim()}` : 'The user asked for a different plan without saying more.';
  return `Goal: ${goal}\n\n${picture}\n\nYou proposed this plan:\n${JSON.stringify(previous, null, 2)}\n\n${words}\n\nCall submit_plan with a revised plan that takes the feedback into account.`;
}

/** How every agent works with the files (the role agents' and the orchestrator's when it does a task itself). */
const FILE_TOOLS_GUIDE = [
  'Look before you change: list_files to see the project, search_files to find where a name is defined or used, read_file to read (give startLine/endLine for a large file: the lines come back numbered).',
  'Change an existing file with edit_file: replace exact text (copied from the file without the line-number prefixes, with enough surrounding lines to occur once); several edits in one call apply together. Create a new file with write_file (the complete content); rewrite a whole existing file only when most of it changes.',
].join(' ');

export function agentSystem(role: string, cfg: RoleConfig, rules = '', opts: { runCommand?: boolean } = {}): string {
  return sections(
    `You are the ${role} specialist in a team of AI agents building software in the user's workspace. ${cfg.description ?? ''}`.trim(),
    `Work only through the tools. ${FILE_TOOLS_GUIDE} Call finish when your task is done.`,
    opts.runCommand
      ? "Use run_command to run the project's tests or build (e.g. `npm test`) and check your work; when you write tests, run them and fix what fails. The user decides which commands may run: when one is refused, carry on without it and say so in your summary."
      : '',
    'Paths are relative to the workspace root. Never write outside it. If a change is refused because the user changed the file, read it again and respect their version.',
    'Stay within your task: other specialists own the other tasks. When done, call finish with a summary naming the files you wrote or changed and anything the next task must know.',
    rulesSection(rules),
  );
}

export function taskRequest(
  goal: string,
  task: TaskSpec,
  context: { doneSummaries: string[]; skipped: string[]; filesSoFar: string[]; resumed: boolean },
): string {
  const parts = [`Overall goal: ${goal}`, `Your task (${task.id}): ${task.title}\n\n${task.description}`];
  if (task.check) parts.push(`How this task is checked: ${task.check}`);
  if (context.doneSummaries.length) parts.push(`Tasks already done:\n${context.doneSummaries.join('\n')}`);
  if (context.skipped.length) parts.push(`Skipped tasks (their work does not exist; adapt or work around it):\n${context.skipped.join('\n')}`);
  if (context.filesSoFar.length) parts.push(`Files written by the tasks this one builds on:\n${context.filesSoFar.map((f) => `- ${f}`).join('\n')}`);
  if (context.resumed) parts.push('This task was interrupted earlier and is being restarted: check what already exists before writing.');
  parts.push('Begin.');
  return parts.join('\n\n');
}

export function escalationSystem(roles: string[], rules = ''): string {
  return sections(
    'You are the orchestrator. A specialist could not complete its task and it has been escalated to you.',
    'Decide: do the task yourself with the file tools, then call finish; give it to another role with reassign_task; or give it up with skip_task.',
    FILE_TOOLS_GUIDE,
    `Roles: ${roles.join(', ')}.`,
    rulesSection(rules),
  );
}

export function escalationRequest(goal: string, task: TaskSpec, reason: string, filesSoFar: string[]): string {
  return [
    `Overall goal: ${goal}`,
    `Escalated task (${task.id}, role ${task.role}): ${task.title}\n\n${task.description}${task.check ? `\n\nHow this task is checked: ${task.check}` : ''}`,
    `Why it was escalated: ${reason}`,
    filesSoFar.length
      ? `Files written by this task and the tasks it builds on:\n${filesSoFar.map((f) => `- ${f}`).join('\n')}`
      : 'No files were written for it yet.',
  ].join('\n\n');
}

export function fixRequest(goal: string, what: string, details: string): string {
  return `Overall goal: ${goal}\n\n${what}\n\n${details}\n\nFix it with the tools, then call finish.`;
}

/** The user's notes to a working agent, as the agent reads them before its next model call. */
/** What an agent is told when it answered without calling a tool. */
export const CONTINUE_NUDGE = 'Continue by calling the tools. When your task is complete, call finish with a summary.';

export function userNote(notes: readonly string[]): string {
  const body = notes.length === 1 ? notes[0]! : notes.map((n, i) => `${i + 1}. ${n}`).join('\n');
  return `A message from the user, who is watching your work (take it into account, then carry on with your task):\n${body}`;
}
