// The orchestrator's review of the integration: it gets the measured contract check (calls without a
// route, routes never called, with file and line) and decides which mismatches are real, asking the
// owning role for a fix with request_fix. It reviews only when the check found a call with no route;
// otherwise the measurement speaks for itself and no model is paid to restate it.

import type { TaskSpec } from '../events';
import type { ContractReport } from '../quality/integration';
import { runAgent, type ExtraToolHandler } from './agent';
import { routesFor, type SessionContext } from './context';
import { parseToolArgs, REVIEW_TOOLS } from './tools';

function findings(report: ContractReport): string {
  const fmt = (xs: ContractReport['calls']) => xs.map((x) => `- ${x.method} ${x.path} (${x.file}:${x.line})`).join('\n') || '- none';
  return [
    `Calls the front end makes with no matching route:\n${fmt(report.callsWithoutRoute)}`,
    `Routes the back end defines that nothing calls:\n${fmt(report.routesNeverCalled)}`,
    `Matched: ${report.matched.map((m) => `${m.method} ${m.path}`).join(', ') || 'none'}`,
  ].join('\n\n');
}

/** Asks the orchestrator to review the contract check; returns the fix tasks it requested. */
export async function reviewIntegration(ctx: SessionContext, report: ContractReport, newId: () => string): Promise<TaskSpec[] | 'unavailable'> {
  const roles = Object.keys(ctx.config.roles);
  const fixes: TaskSpec[] = [];
  const extraTools: ExtraToolHandler = async (name, args) => {
    if (name !== 'request_fix') return { result: `Tool "${name}" is not available here.`, isError: true };
    const a = parseToolArgs(name, args);
    if (!a.ok) return { result: a.error, isError: true };
    if (!roles.includes(a.value.role)) return { result: `Unknown role "${a.value.role}". Roles: ${roles.join(', ')}.`, isError: true };
    const task: TaskSpec = { id: newId(), title: a.value.title, description: a.value.description, role: a.value.role, dependsOn: [] };
    fixes.push(task);
    ctx.sink.emit({ type: 'task.added', task, reason: a.value.reason });
    ctx.sink.emit({ type: 'decision', kind: 'fix', taskId: task.id, summary: `${task.title} → ${task.role}`, rationale: a.value.reason });
    return { result: `Fix task ${task.id} created for ${task.role}.` };
  };
  const agentId = ctx.nextAgentId('orchestrator');
  const routes = routesFor(ctx, ctx.config.orchestrator);
  const first = routes[0] ?? ctx.config.orchestrator;
  ctx.sink.emit({ type: 'agent.spawned', agentId, role: 'orchestrator', provider: first.provider, model: first.model, taskId: 'integration-review' });
  const outcome = await runAgent(
    {
      agentId,
      role: 'orchestrator',
      routes,
      system:
        'You are the orchestrator reviewing how the parts your specialists built fit together. The contract check below was computed from the code, not guessed. For each mismatch that is real, call request_fix for the role that owns the code to change (search and read the files first if needed). Then call finish with your assessment.',
      messages: [{ role: 'user', content: `Goal: ${ctx.goal}\n\n${findings(report)}` }],
      tools: REVIEW_TOOLS,
      maxTurns: 8,
      maxOutputTokens: ctx.config.maxOutputTokens,
      trace: 'review',
      extraTools,
    },
    { caller: ctx.caller, windows: ctx.windows, files: ctx.files, sink: ctx.sink, inbox: ctx.steering, search: ctx.search },
  );
  ctx.sink.emit({
    type: 'agent.ended',
    agentId,
    status: outcome.kind === 'finished' ? 'COMPLETED' : 'FAILED',
    summary: outcome.kind === 'gave_up' ? outcome.reason : outcome.summary,
  });
  if (outcome.kind !== 'finished') return fixes.length ? fixes : 'unavailable';
  ctx.sink.emit({
    type: 'decision',
    kind: 'review',
    summary: `Integration reviewed: ${fixes.length} fix${fixes.length === 1 ? '' : 'es'} requested`,
    rationale: outcome.summary,
  });
  return fixes;
}
