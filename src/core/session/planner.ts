// The planning phase: the orchestrator sees the goal and a picture of the workspace and must answer
// with submit_plan. An invalid plan gets one repair round that shows the model the exact errors.
// Every assignment becomes a decision event with its rationale.

import type { ChatMessage, ToolSpec } from '../ports';
import type { TaskSpec } from '../events';
import { RouteExhaustedError } from './caller';
import { routesFor, type SessionContext } from './context';
import { toolSpec } from './tools';
import { validatePlan } from './plan';
import { planningRequest, planningSystem, planRepair, workspacePicture } from './prompts';

export class PlanningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanningError';
  }
}

const MAX_ATTEMPTS = 2; // the first plan and one repair

/** submit_plan with its `role` field narrowed to the configured roles (the schema guides the model). */
function planTool(roles: string[]): ToolSpec {
  const spec = structuredClone(toolSpec('submit_plan')); // the shared spec is frozen: narrow a copy
  const task = (spec.parameters.properties.tasks as { items: { properties: Record<string, Record<string, unknown>> } }).items;
  task.properties.role = { ...task.properties.role, enum: roles };
  return spec;
}

export async function runPlanning(ctx: SessionContext): Promise<TaskSpec[]> {
  const roles = Object.keys(ctx.config.roles);
  const agentId = 'orchestrator';
  const system = planningSystem(ctx.config.roles);
  const messages: ChatMessage[] = [{ role: 'user', content: planningRequest(ctx.goal, await workspacePicture(ctx.store)) }];
  const routes = routesFor(ctx, ctx.config.orchestrator);
  let routeIndex = 0;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; ) {
    const route = routes[routeIndex];
    if (!route) throw new PlanningError('No provider is available for the orchestrator.');
    let result;
    try {
      result = await ctx.caller.call(route, { system, messages, tools: [planTool(roles)], maxOutputTokens: ctx.config.maxOutputTokens }, { agentId, trace: `plan#${attempt}` });
    } catch (e) {
      if (!(e instanceof RouteExhaustedError) || !routes[routeIndex + 1]) throw e instanceof RouteExhaustedError ? new PlanningError(`Planning failed: ${e.message}`) : e;
      ctx.sink.emit({ type: 'provider.switched', agentId, from: route, to: routes[routeIndex + 1]!, reason: e.message });
      routeIndex++;
      continue;
    }
    const call = result.toolCalls.find((c) => c.name === 'submit_plan');
    const check = call ? validatePlan(call.arguments, roles) : { ok: false as const, errors: ['You did not call submit_plan. Call it with the plan.'] };
    if (check.ok) {
      ctx.sink.emit({ type: 'plan.accepted', rationale: check.rationale, tasks: check.tasks });
      ctx.sink.emit({ type: 'decision', kind: 'plan', summary: `Planned ${check.tasks.length} task${check.tasks.length === 1 ? '' : 's'}`, rationale: check.rationale });
      for (const t of check.tasks) {
        const r = ctx.config.roles[t.role]!;
        ctx.sink.emit({ type: 'decision', kind: 'assign', taskId: t.id, summary: `${t.title} → ${t.role} (${r.provider}/${r.model})`, rationale: t.rationale ?? check.rationale });
      }
      return check.tasks;
    }
    ctx.sink.emit({ type: 'plan.rejected', attempt, errors: check.errors });
    if (attempt === MAX_ATTEMPTS) throw new PlanningError(`The orchestrator's plan was invalid twice: ${check.errors.join(' ')}`);
    messages.push({ role: 'assistant', content: result.text, toolCalls: result.toolCalls.length ? result.toolCalls : undefined, ...(result.providerData ? { providerData: result.providerData } : {}) });
    // The errors go in the tool result where there is one (no back-to-back user turns for any provider).
    if (result.toolCalls.length === 0) messages.push({ role: 'user', content: planRepair(check.errors) });
    for (const c of result.toolCalls) messages.push({ role: 'tool', toolCallId: c.id, name: c.name, content: c === call ? planRepair(check.errors) : 'Not run: only submit_plan is available.', isError: true });
    attempt++;
  }
  throw new PlanningError('Planning ended without a plan.');
}
