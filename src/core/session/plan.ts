// Plan validation: a plan is accepted only if its ids are unique, every role is configured, every
// dependency exists, there is no cycle and there is at least one task. The errors are written for
// the model: the orchestrator gets them verbatim in its one repair round.

import type { TaskSpec } from '../events';
import { MAX_CANDIDATES, MIN_CANDIDATES, type EngineConfig } from '../config';
import { toolSchemas } from './tools';

/** What a plan is checked against: the configured roles, and — for best-of tasks — the providers and the roles with `bestOf`. */
export interface PlanRules {
  roles: readonly string[];
  /** The configured provider ids; absent: a candidate's provider is not checked. */
  providers?: readonly string[];
  /** Roles whose tasks are done best of several (`bestOf`): each of their tasks needs a check. */
  bestOfRoles?: readonly string[];
}

/** The plan rules of a configuration. */
export function planRules(cfg: Pick<EngineConfig, 'roles' | 'providers'>): PlanRules {
  return {
    roles: Object.keys(cfg.roles),
    providers: Object.keys(cfg.providers),
    bestOfRoles: Object.entries(cfg.roles)
      .filter(([, r]) => r.bestOf?.length)
      .map(([name]) => name),
  };
}

/** One problem of a plan, in words for the model and the user, with the task (its index) and field at fault when there is one. */
export interface PlanIssue {
  message: string;
  task?: number;
  field?: string;
}

export type PlanCheck = { ok: true; rationale: string; tasks: TaskSpec[] } | { ok: false; errors: string[]; issues: PlanIssue[] };

/** The same rules for the orchestrator's submit_plan, a user's edit and a plan file. */
export function validatePlan(args: unknown, rules: readonly string[] | PlanRules): PlanCheck {
  const { roles, providers, bestOfRoles = [] } = 'roles' in rules ? rules : { roles: rules };
  const parsed = toolSchemas.submit_plan.safeParse(args);
  if (!parsed.success) {
    return fail(
      parsed.error.issues.map((i) => {
        const [top, index, field] = i.path;
        const where = i.path.join('.') || '(arguments)';
        return {
          message: `Invalid arguments for submit_plan: ${where}: ${i.message}`,
          ...(top === 'tasks' && typeof index === 'number' ? { task: index, ...(typeof field === 'string' ? { field } : {}) } : {}),
        };
      }),
    );
  }
  const { rationale, tasks } = parsed.data;
  const issues: PlanIssue[] = [];
  if (tasks.length === 0) issues.push({ message: 'The plan has no tasks: give at least one.' });
  const ids = new Set<string>();
  tasks.forEach((t, task) => {
    if (ids.has(t.id)) issues.push({ message: `Task id "${t.id}" is used more than once: ids must be unique.`, task, field: 'id' });
    ids.add(t.id);
    if (!roles.includes(t.role))
      issues.push({ message: `Task "${t.id}" has role "${t.role}", which is not configured. Use one of: ${roles.join(', ')}.`, task, field: 'role' });
    issues.push(...candidateIssues(t, task, providers, bestOfRoles.includes(t.role)));
  });
  tasks.forEach((t, task) => {
    for (const d of t.dependsOn) {
      if (d === t.id) issues.push({ message: `Task "${t.id}" depends on itself.`, task, field: 'dependsOn' });
      else if (!ids.has(d)) issues.push({ message: `Task "${t.id}" depends on "${d}", which is not a task in the plan.`, task, field: 'dependsOn' });
    }
  });
  const cycle = findCycle(tasks);
  if (cycle)
    issues.push({
      message: `The dependencies form a cycle: ${cycle.join(' → ')}. Remove one of these dependencies.`,
      task: tasks.findIndex((t) => t.id === cycle[0]),
      field: 'dependsOn',
    });
  if (issues.length) return fail(issues);
  return { ok: true, rationale, tasks: tasks.map((t) => ({ ...t, dependsOn: [...new Set(t.dependsOn)] })) };
}

/** What is wrong with a task's best-of-several request: too few or too many candidates, one twice, an unknown provider, no check. */
function candidateIssues(t: TaskSpec, task: number, providers: readonly string[] | undefined, roleBestOf: boolean): PlanIssue[] {
  const out: PlanIssue[] = [];
  const c = t.candidates;
  if (c && c.length) {
    if (c.length < MIN_CANDIDATES || c.length > MAX_CANDIDATES)
      out.push({ message: `Task "${t.id}" has ${c.length} candidates: give ${MIN_CANDIDATES} to ${MAX_CANDIDATES} (or none).`, task, field: 'candidates' });
    const keys = c.map((x) => `${x.provider}/${x.model}`);
    const twice = keys.find((k, i) => keys.indexOf(k) !== i);
    if (twice) out.push({ message: `Task "${t.id}" names candidate ${twice} twice: each candidate must be a different model.`, task, field: 'candidates' });
    for (const x of c)
      if (providers && !providers.includes(x.provider))
        out.push({
          message: `Task "${t.id}" has a candidate on provider "${x.provider}", which is not configured. Use one of: ${providers.join(', ')}.`,
          task,
          field: 'candidates',
        });
  }
  if ((c?.length || roleBestOf) && !t.check?.trim())
    out.push({
      message: `Task "${t.id}" is done by several candidates (${c?.length ? 'its candidates' : `role "${t.role}" has bestOf`}) but has no check: give a command that tells whether the task is done (e.g. "npm test"), which judges them.`,
      task,
      field: 'check',
    });
  return out;
}

function fail(issues: PlanIssue[]): PlanCheck {
  return { ok: false, errors: issues.map((i) => i.message), issues };
}

/** A dependency cycle as a list of ids (first repeated at the end), or undefined. */
export function findCycle(tasks: readonly Pick<TaskSpec, 'id' | 'dependsOn'>[]): string[] | undefined {
  const deps = new Map(tasks.map((t) => [t.id, t.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done' || !deps.has(id)) return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const d of deps.get(id) ?? []) {
      if (d === id) continue;
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const t of tasks) {
    const c = visit(t.id);
    if (c) return c;
  }
  return undefined;
}

/** The length of the longest dependency chain, weighting each task by `weight` (critical path). */
export function criticalPath(tasks: readonly Pick<TaskSpec, 'id' | 'dependsOn'>[], weight: (id: string) => number = () => 1): number {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const memo = new Map<string, number>();
  const finish = (id: string): number => {
    const cached = memo.get(id);
    if (cached !== undefined) return cached;
    const t = byId.get(id);
    const start = Math.max(0, ...(t?.dependsOn ?? []).filter((d) => byId.has(d)).map(finish));
    const v = start + weight(id);
    memo.set(id, v);
    return v;
  };
  return Math.max(0, ...tasks.map((t) => finish(t.id)));
}
