// The planning phase: the orchestrator sees the goal and a picture of the workspace and must answer
// with submit_plan. An invalid plan gets one repair round that shows the model the exact errors.
// A valid plan is proposed (plan.proposed, with its cost estimate); with `planApproval: "ask"` it waits
// for the user: approve, an edit (checked by the same rules, proposed again when it breaks them),
// feedback (a new planning round with the user's words) or cancel. Each step is an event, so a resumed
// session carries on from the log: a plan waiting for approval is proposed again, never re-planned.
// Every assignment becomes a decision event with its rationale.

import type { ChatMessage, PlanProposal, PlanReviewAnswer, ToolSpec } from '../ports';
import type { TaskSpec } from '../events';
import type { ProposedPlan } from '../fold/state';
import { estimateSessionCost } from '../money/estimate';
import { ContextOverflowError, RouteExhaustedError } from './caller';
import { routesFor, type SessionContext } from './context';
import { toolSpec } from './tools';
import { foreseenRaces, prepareRaces } from './candidates';
import { planRules, validatePlan, type PlanRules } from './plan';
import { candidatesFor, modelsInUse } from '../config';
import { planningRequest, planningSystem, planRepair, replanRequest, workspacePicture } from './prompts';

export class PlanningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanningError';
  }
}

const MAX_ATTEMPTS = 2; // the first plan and one repair

interface Plan {
  rationale: string;
  tasks: TaskSpec[];
}

/** submit_plan with its `role` field narrowed to the configured roles (the schema guides the model). */
function planTool(roles: string[]): ToolSpec {
  const spec = structuredClone(toolSpec('submit_plan')); // the shared spec is frozen: narrow a copy
  const task = (spec.parameters.properties.tasks as { items: { properties: Record<string, Record<string, unknown>> } }).items;
  task.properties.role = { ...task.properties.role, enum: roles };
  return spec;
}

export async function runPlanning(ctx: SessionContext): Promise<TaskSpec[]> {
  const roles = Object.keys(ctx.config.roles);
  for (;;) {
    const p = ctx.state.plan;
    const last = p.steps.at(-1)?.kind;
    if (p.latest && last === 'approved') return accept(ctx, p.latest);
    // An edit is the user's approval; a run killed between the two events approves it on resume.
    if (p.latest && last === 'edited') {
      ctx.sink.emit({ type: 'plan.approved', proposal: p.latest.proposal, by: 'user' });
      continue;
    }
    if (!p.latest || last === 'feedback') {
      const given = !p.latest ? ctx.givenPlan : undefined;
      // The copies races will need are made while the orchestrator plans (or the user reviews the plan).
      prepareRaces(ctx, given ? given.tasks : foreseenRaces(ctx));
      const plan = given
        ? checkGiven(given, planRules(ctx.config))
        : await orchestratorPlan(ctx, roles, p.latest && { previous: p.latest, feedback: p.feedback.at(-1) ?? '', round: p.feedback.length });
      const est = estimateSessionCost(plan.tasks, ctx.config);
      ctx.sink.emit({
        type: 'plan.proposed',
        proposal: p.proposals + 1,
        source: given ? 'file' : 'orchestrator',
        rationale: plan.rationale,
        tasks: plan.tasks,
        estimateUsd: est.estimateUsd,
        unknownModels: est.unknownModels,
        ...(est.planModels.length ? { planModels: est.planModels } : {}),
      });
      prepareRaces(ctx, plan.tasks);
      continue;
    }
    const proposal = p.latest;
    if (ctx.config.planApproval === 'auto') {
      ctx.sink.emit({ type: 'plan.approved', proposal: proposal.proposal, by: 'auto' });
      continue;
    }
    const answer = await ask(ctx, proposalFor(ctx, proposal));
    switch (answer.action) {
      case 'approve':
        ctx.sink.emit({ type: 'plan.approved', proposal: proposal.proposal, by: 'user' });
        break;
      case 'edit': {
        const check = validatePlan({ rationale: answer.rationale ?? proposal.rationale, tasks: answer.tasks }, planRules(ctx.config));
        if (check.ok) ctx.sink.emit({ type: 'plan.edited', proposal: proposal.proposal, rationale: check.rationale, tasks: check.tasks });
        else ctx.sink.emit({ type: 'plan.edit_rejected', proposal: proposal.proposal, errors: check.errors });
        break;
      }
      case 'replan':
        ctx.sink.emit({ type: 'plan.feedback', proposal: proposal.proposal, feedback: answer.feedback.trim() });
        break;
      case 'cancel':
        ctx.cancel(answer.reason ?? 'the plan was cancelled by the user');
        throw ctx.signal.reason;
      default: {
        const unknown: never = answer;
        throw new PlanningError(`Unknown answer to the plan review: ${JSON.stringify(unknown)}`);
      }
    }
  }
}

/** A plan's rules without the roles (the proposal names those already). */
function withoutRoles({ roles: _roles, ...rest }: PlanRules): Omit<PlanRules, 'roles'> {
  return rest;
}

/** What the reviewer is shown: the plan, each task's route, the estimate, and why an edit was refused. */
function proposalFor(ctx: SessionContext, p: ProposedPlan): PlanProposal {
  const routes: PlanProposal['routes'] = {};
  for (const t of p.tasks) {
    const r = ctx.config.roles[t.role]!;
    const best = candidatesFor(t, ctx.config);
    routes[t.id] = {
      provider: r.provider,
      model: r.model,
      ...(r.fallback ? { fallback: { provider: r.fallback.provider, model: r.fallback.model } } : {}),
      ...(best ? { candidates: best } : {}),
    };
  }
  return {
    proposal: p.proposal,
    rationale: p.rationale,
    tasks: p.tasks,
    roles: Object.keys(ctx.config.roles),
    ...withoutRoles(planRules(ctx.config)),
    routes,
    estimateUsd: p.estimateUsd,
    unknownModels: p.unknownModels,
    planModels: p.planModels ?? [],
    errors: ctx.state.plan.editErrors,
  };
}

/** The reviewer's answer, or the session's cancel, whichever comes first. */
function ask(ctx: SessionContext, proposal: PlanProposal): Promise<PlanReviewAnswer> {
  const review = ctx.reviewPlan;
  if (!review)
    return Promise.reject(
      new PlanningError('planApproval is "ask" but nothing can ask the user here: set planApproval to "auto" (or use --approve-plan on a terminal).'),
    );
  if (ctx.signal.aborted) return Promise.reject(ctx.signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    review(proposal, ctx.signal)
      .then(resolve, reject)
      .finally(() => ctx.signal.removeEventListener('abort', onAbort));
  });
}

function checkGiven(plan: Plan, rules: PlanRules): Plan {
  const check = validatePlan(plan, rules);
  if (!check.ok) throw new PlanningError(`The plan given is invalid: ${check.errors.join(' ')}`);
  return check;
}

function accept(ctx: SessionContext, plan: Plan): TaskSpec[] {
  ctx.sink.emit({ type: 'plan.accepted', rationale: plan.rationale, tasks: plan.tasks });
  ctx.sink.emit({
    type: 'decision',
    kind: 'plan',
    summary: `Planned ${plan.tasks.length} task${plan.tasks.length === 1 ? '' : 's'}`,
    rationale: plan.rationale,
  });
  for (const t of plan.tasks) {
    const r = ctx.config.roles[t.role]!;
    const best = candidatesFor(t, ctx.config);
    ctx.sink.emit({
      type: 'decision',
      kind: 'assign',
      taskId: t.id,
      summary: `${t.title} → ${t.role} (${best ? `best of ${best.map((c) => `${c.provider}/${c.model}`).join(', ')}` : `${r.provider}/${r.model}`})`,
      rationale: t.rationale ?? plan.rationale,
    });
  }
  return plan.tasks;
}

/**
 * One planning round with the orchestrator: its plan, repaired once if invalid. A round after the user's
 * feedback starts afresh with the previous plan and the feedback in the request; its traces continue
 * the numbering (`plan#3`, `plan#4` for the first replan), so each turn has its own key.
 */
async function orchestratorPlan(ctx: SessionContext, roles: string[], replan?: { previous: Plan; feedback: string; round: number }): Promise<Plan> {
  const agentId = 'orchestrator';
  const system = planningSystem(
    ctx.config.roles,
    ctx.rules,
    modelsInUse(ctx.config).filter((m) => ctx.resolve(m.provider)),
  );
  const picture = await workspacePicture(ctx.store);
  const request = replan
    ? replanRequest(ctx.goal, picture, { rationale: replan.previous.rationale, tasks: replan.previous.tasks }, replan.feedback)
    : planningRequest(ctx.goal, picture);
  const messages: ChatMessage[] = [{ role: 'user', content: request }];
  const routes = routesFor(ctx, ctx.config.orchestrator);
  const first = (replan?.round ?? 0) * MAX_ATTEMPTS;
  let routeIndex = 0;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS;) {
    const route = routes[routeIndex];
    if (!route) throw new PlanningError('No provider is available for the orchestrator.');
    let result;
    try {
      result = await ctx.caller.call(
        route,
        { system, messages, tools: [planTool(roles)], maxOutputTokens: ctx.config.maxOutputTokens },
        { agentId, trace: `plan#${first + attempt}` },
      );
    } catch (e) {
      // Another provider would get the same oversized request: a clear failure instead.
      if (e instanceof ContextOverflowError)
        throw new PlanningError(
          `Planning failed: the planning request is larger than ${route.provider}/${route.model}'s context window (${e.message}). Choose an orchestrator model with a larger window.`,
        );
      if (!(e instanceof RouteExhaustedError) || !routes[routeIndex + 1])
        throw e instanceof RouteExhaustedError ? new PlanningError(`Planning failed: ${e.message}`) : e;
      ctx.sink.emit({ type: 'provider.switched', agentId, from: route, to: routes[routeIndex + 1]!, reason: e.message });
      routeIndex++;
      continue;
    }
    const call = result.toolCalls.find((c) => c.name === 'submit_plan');
    const check = call
      ? validatePlan(call.arguments, planRules(ctx.config))
      : { ok: false as const, errors: ['You did not call submit_plan. Call it with the plan.'] };
    if (check.ok) return check;
    ctx.sink.emit({ type: 'plan.rejected', attempt: first + attempt, errors: check.errors });
    if (attempt === MAX_ATTEMPTS) throw new PlanningError(`The orchestrator's plan was invalid twice: ${check.errors.join(' ')}`);
    messages.push({
      role: 'assistant',
      content: result.text,
      toolCalls: result.toolCalls.length ? result.toolCalls : undefined,
      ...(result.providerData ? { providerData: result.providerData } : {}),
    });
    // The errors go in the tool result where there is one (no back-to-back user turns for any provider).
    if (result.toolCalls.length === 0) messages.push({ role: 'user', content: planRepair(check.errors) });
    for (const c of result.toolCalls)
      messages.push({
        role: 'tool',
        toolCallId: c.id,
        name: c.name,
        content: c === call ? planRepair(check.errors) : 'Not run: only submit_plan is available.',
        isError: true,
      });
    attempt++;
  }
  throw new PlanningError('Planning ended without a plan.');
}
