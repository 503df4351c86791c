// A plan as text: the plan file of `ensemble plan` / `ensemble run --plan` and the JSON document a
// user edits in VS Code. Same shape as submit_plan's arguments (`{rationale, tasks}`, plus an optional
// `goal`), checked by the same rules (validatePlan), with each problem placed where it is in the text
// (parsed by jsonc-parser, the parser VS Code itself uses, which keeps every value's offset):
// the line of the offending task's field, so the CLI can name it and the editor can underline it.

import type { TaskSpec } from '../events';
import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError, type ParseErrorCode } from 'jsonc-parser';
import { validatePlan, type PlanIssue, type PlanRules } from './plan';

export interface PlanProblem {
  message: string;
  /** 0-based offsets of the text at fault, and the 1-based line and column of its start. */
  start: number;
  end: number;
  line: number;
  column: number;
}

export type PlanTextCheck = { ok: true; goal?: string; rationale: string; tasks: TaskSpec[] } | { ok: false; problems: PlanProblem[] };

/** What a plan file holds: submit_plan's arguments, and the goal they were planned for. */
export function planFileText(plan: { goal?: string; rationale: string; tasks: readonly TaskSpec[] }): string {
  return JSON.stringify({ ...(plan.goal === undefined ? {} : { goal: plan.goal }), rationale: plan.rationale, tasks: plan.tasks }, null, 2) + '\n';
}

export function checkPlanText(text: string, roles: readonly string[] | PlanRules): PlanTextCheck {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  // jsonc-parser recovers from errors to keep a tree: any error means the text is not a plan file.
  const first = errors[0];
  if (first || !root) {
    const offset = first?.offset ?? 0;
    const what = first ? describeError(first.error) : 'the text is empty';
    return { ok: false, problems: [locate(text, `Not valid JSON: ${what}.`, offset, Math.min(text.length, offset + Math.max(1, first?.length ?? 1)))] };
  }
  const value = getNodeValue(root) as unknown;
  const check = validatePlan(value, roles);
  if (check.ok) {
    const goal = (value as { goal?: unknown }).goal;
    return { ok: true, goal: typeof goal === 'string' ? goal : undefined, rationale: check.rationale, tasks: check.tasks };
  }
  return { ok: false, problems: check.issues.map((i) => place(text, root, i)) };
}

function describeError(code: ParseErrorCode): string {
  // printParseErrorCode gives e.g. "PropertyNameExpected": as words, "property name expected".
  return printParseErrorCode(code)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

/** Where an issue is: the task's field, else the task, else the `tasks` array, else the whole document. */
function place(text: string, root: JsonNode, issue: PlanIssue): PlanProblem {
  const tasks = findNodeAtLocation(root, ['tasks']);
  const task = issue.task !== undefined && tasks?.type === 'array' ? tasks.children?.[issue.task] : undefined;
  const field = task && issue.field ? findNodeAtLocation(task, [issue.field]) : undefined;
  // A task object's first character is enough to point at it (the whole object would underline many lines).
  const [start, end] = field
    ? [field.offset, field.offset + field.length]
    : task
      ? [task.offset, task.offset + 1]
      : tasks
        ? [tasks.offset, tasks.offset + tasks.length]
        : [root.offset, root.offset + root.length];
  return locate(text, issue.message, start, end);
}

function locate(text: string, message: string, start: number, end: number): PlanProblem {
  const before = text.slice(0, start);
  const line = before.split('\n').length;
  const column = start - (before.lastIndexOf('\n') + 1) + 1;
  return { message, start, end: Math.max(end, start), line, column };
}
