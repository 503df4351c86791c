// The words the engine says to models. Kept together so that their contract (which tools, which
// shapes) is easy to review against src/core/tools.ts.

import type { TaskSpec } from '../events';
import type { RoleConfig } from '../config';
import type { FileStore } from '../ports';

export function planningSystem(roles: Record<string, RoleConfig>): string {
  const roleLines = Object.entries(roles).map(([name, r]) => `- ${name}: ${r.description ?? 'specialist'} (runs on ${r.provider}/${r.model})`);
  return [
    'You are the orchestrator of a team of AI specialists that build software directly in the user\'s workspace.',
    'Plan the work for the goal you are given, then call the submit_plan tool exactly once.',
    'Split the work into a few cohesive tasks, each owned by one role. Tasks with no dependency between them run in parallel, so only add a dependency when a task truly needs another task\'s files.',
    'Each task description must be self-contained: the files to create (workspace-relative paths), the interfaces to honour (HTTP routes with methods and JSON shapes, function names), and how it will be tested.',
    'Prefer plain Node.js (node:http, node:test) and browser JavaScript with no build step and no dependencies unless the goal needs them.',
    `Roles available:\n${roleLines.join('\n')}`,
  ].join('\n\n');
}

export async function workspacePicture(files: FileStore): Promise<string> {
  const entries = await files.list();
  const tree = entries.slice(0, 200).map((e) => `  ${e.path}`);
  if (entries.length > 200) tree.push(`  … and ${entries.length - 200} more files`);
  const parts = [`Files in the workspace (${entries.length}):\n${tree.length ? tree.join('\n') : '  (empty folder)'}`];
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

export function agentSystem(role: string, cfg: RoleConfig, opts: { runCommand?: boolean } = {}): string {
  return [
    `You are the ${role} specialist in a team of AI agents building software in the user's workspace. ${cfg.description ?? ''}`.trim(),
    'Work only through the tools: list_files and read_file to look, write_file to create or replace a file (always the complete content), finish when your task is done.',
    ...(opts.runCommand
      ? ["Use run_command to run the project's tests or build (e.g. `npm test`) and check your work; when you write tests, run them and fix what fails. The user decides which commands may run: when one is refused, carry on without it and say so in your summary."]
      : []),
    'Paths are relative to the workspace root. Never write outside it. If a write is refused because the user changed the file, read it again and respect their version.',
    'Stay within your task: other specialists own the other tasks. When done, call finish with a summary naming the files you wrote and anything the next task must know.',
  ].join('\n\n');
}

export function taskRequest(goal: string, task: TaskSpec, context: { doneSummaries: string[]; skipped: string[]; filesSoFar: string[]; resumed: boolean }): string {
  const parts = [`Overall goal: ${goal}`, `Your task (${task.id}): ${task.title}\n\n${task.description}`];
  if (context.doneSummaries.length) parts.push(`Tasks already done:\n${context.doneSummaries.join('\n')}`);
  if (context.skipped.length) parts.push(`Skipped tasks (their work does not exist; adapt or work around it):\n${context.skipped.join('\n')}`);
  if (context.filesSoFar.length) parts.push(`Files written in this session so far:\n${context.filesSoFar.map((f) => `- ${f}`).join('\n')}`);
  if (context.resumed) parts.push('This task was interrupted earlier and is being restarted: check what already exists before writing.');
  parts.push('Begin.');
  return parts.join('\n\n');
}

export function escalationSystem(roles: string[]): string {
  return [
    'You are the orchestrator. A specialist could not complete its task and it has been escalated to you.',
    'Decide: do the task yourself (use list_files, read_file, write_file, then finish), give it to another role with reassign_task, or give it up with skip_task.',
    `Roles: ${roles.join(', ')}.`,
  ].join('\n\n');
}

export function escalationRequest(goal: string, task: TaskSpec, reason: string, filesSoFar: string[]): string {
  return [
    `Overall goal: ${goal}`,
    `Escalated task (${task.id}, role ${task.role}): ${task.title}\n\n${task.description}`,
    `Why it was escalated: ${reason}`,
    filesSoFar.length ? `Files written in this session so far:\n${filesSoFar.map((f) => `- ${f}`).join('\n')}` : 'No files were written yet.',
  ].join('\n\n');
}

export function fixRequest(goal: string, what: string, details: string): string {
  return `Overall goal: ${goal}\n\n${what}\n\n${details}\n\nFix it with the tools, then call finish.`;
}
