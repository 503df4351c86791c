// Prints a session's progress as it happens: one line per meaningful event (phases, tasks, switches,
// escalations, files), never one per token. Everything shown is read from the event.

import type { EnsembleEvent } from '../core/events';
import { describePriceSource } from '../core/pricing';

const PHASE_NAMES: Record<string, string> = { setup: 'Setup', planning: 'Planning', development: 'Development', integration: 'Integration', validation: 'Validation', report: 'Report' };

export function describeEvent(e: EnsembleEvent): string | undefined {
  switch (e.type) {
    case 'phase.started':
      return `▶ ${PHASE_NAMES[e.phase] ?? e.phase}`;
    case 'phase.ended':
      return e.outcome === 'ok' ? undefined : `  ${PHASE_NAMES[e.phase] ?? e.phase} ${e.outcome}${e.note ? `: ${e.note}` : ''}`;
    case 'plan.rejected':
      return `  plan rejected (attempt ${e.attempt}): ${e.errors.join(' ')}`;
    case 'decision':
      return `  decision [${e.kind}] ${e.summary}`;
    case 'budget.estimated': {
      const prices = e.prices ? `; prices: ${describePriceSource(e.prices)}` : '';
      return e.estimateUsd === null ? `  cost estimate: unknown (no price for ${e.unknownModels.join(', ')})${prices}` : `  cost estimate: $${e.estimateUsd.toFixed(2)}${e.limitUsd ? ` (budget $${e.limitUsd.toFixed(2)})` : ''}${prices}`;
    }
    case 'task.started':
      return `  ⋯ ${e.taskId} started on ${e.provider}/${e.model}`;
    case 'task.completed':
      return `  ✓ ${e.taskId} completed`;
    case 'task.failed':
      return `  ✗ ${e.taskId} failed: ${e.error}`;
    case 'task.skipped':
      return `  – ${e.taskId} skipped: ${e.reason}`;
    case 'task.escalated':
      return `  ↑ ${e.taskId} escalated to the orchestrator: ${e.reason}`;
    case 'provider.switched':
      return `  ⇄ ${e.taskId ?? 'orchestrator'}: switched ${e.from.provider}/${e.from.model} → ${e.to.provider}/${e.to.model}`;
    case 'llm.error':
      return `  ! ${e.provider}/${e.model}: ${e.message}${e.retryable ? ' (will retry)' : ''}`;
    case 'file.written':
      return `  + ${e.path} (${e.change}, ${e.bytes} bytes)`;
    case 'file.refused':
      return `  ⊘ ${e.path}: ${e.message}`;
    case 'integration.checked':
      return `  contract check: ${e.matched.length} matched, ${e.callsWithoutRoute.length} calls without a route, ${e.routesNeverCalled.length} routes never called`;
    case 'validation.ran':
      return `  tests: \`${e.command}\` exited ${e.exitCode ?? 'killed'}${e.timedOut ? ' (timed out)' : ''}: ${e.passed ?? '?'} passed, ${e.failed ?? '?'} failed${e.coverage === null ? '' : `, line coverage ${e.coverage}%`}`;
    case 'validation.skipped':
      return `  tests not run: ${e.reason}`;
    case 'budget.exhausted':
      return `  budget of $${e.limitUsd.toFixed(2)} reached ($${e.spentUsd.toFixed(4)} spent)`;
    case 'session.ended':
      return `■ session ${e.status}${e.error ? `: ${e.error}` : ''}`;
    default:
      return undefined;
  }
}
