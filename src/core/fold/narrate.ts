// A session's progress in words: one line per meaningful event (phases, tasks, switches, escalations,
// files), never one per token, with a level. The CLI's progress on stderr and the extension's Output
// channel both print these lines, so progress is worded one way. Everything shown is read from the event.

import type { CandidateCheck, EnsembleEvent, EventOf, Phase, PriceSourceInfo, RulesFile } from '../events';
import type { CandidateStatus } from './candidates';
import { costText } from './figures';
import { budgetText, estimateText, usdText } from './money';
import type { SandboxUse } from './sandbox';
import type { SessionState } from './state';

export type NarrationLevel = 'info' | 'warn' | 'error';

const PHASE_NAMES: Record<Phase, string> = {
  setup: 'Setup',
  planning: 'Planning',
  development: 'Development',
  integration: 'Integration',
  validation: 'Validation',
  report: 'Report',
};

/** The one name of a phase, in every view (CLI, status bar, notification, panel): "Planning". */
export function phaseName(phase: Phase | undefined): string {
  return phase ? PHASE_NAMES[phase] : 'Starting';
}

/** "@pydantic/genai-prices 0.1.8 (data of 2026-09-23), your pricing for ollama/qwen": for the pre-flight and the estimate. */
export function describePriceSource(p: PriceSourceInfo & { overrides?: readonly string[] }): string {
  const base = `${p.source} ${p.version} (data of ${p.publishedAt})`;
  return p.overrides?.length ? `${base}, your pricing for ${p.overrides.join(', ')}` : base;
}

/** 2.1 KB, 512 B. */
export function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} KB`;
}

/** "AGENTS.md (2.1 KB), .ensemble/rules.md (300 B)": the pre-flight, the progress and the report name the project rules so. */
export function describeRules(files: readonly RulesFile[]): string {
  return files.length ? files.map((f) => `${f.path} (${formatBytes(f.bytes)}${f.truncated ? ', cut to fit' : ''})`).join(', ') : 'none';
}

/**
 * Where commands and the generated tests run, in words: "bubblewrap 0.8.0: …", "none (bwrap is not
 * installed): every command is asked …". The pre-flight and the progress say it so.
 */
export function describeSandbox(u: SandboxUse): string {
  if (u.sandbox !== null)
    return `${u.sandbox}: commands and tests write only the workspace (not its .git or .ensemble folders), see no other process, network ${u.network}`;
  if (u.setting === 'off') return `none (${u.reason ?? 'commands.sandbox is "off"'}): commands and tests run unconfined; the policy is the only guard`;
  return `none (${u.reason ?? 'no sandbox here'}): every command is asked before it runs, whatever commands.run and commands.allow say (commands.sandbox "off" runs them without one)`;
}

/** What a compaction did, in words (the progress, the Output channel and the transcript say it the same way). */
export function compactionText(c: {
  how: 'elided' | 'summarised';
  messages: number;
  tokensBefore: number;
  tokensAfter: number;
  window: number;
  trigger: 'estimate' | 'provider';
}): string {
  const n = (x: number) => x.toLocaleString('en');
  const what =
    c.how === 'elided'
      ? `tool output elided from ${n(c.messages)} message${c.messages === 1 ? '' : 's'}`
      : `${n(c.messages)} earlier message${c.messages === 1 ? '' : 's'} summarised by the model`;
  const why = c.trigger === 'provider' ? 'after the provider refused the prompt as too long' : `to fit the model's window of ${n(c.window)} tokens`;
  return `conversation compacted ${why}: ${what}, ~${n(c.tokensBefore)} → ~${n(c.tokensAfter)} tokens`;
}

/** "4.1 s", "1m 05s": a wall time in the progress and the report. */
export function secondsText(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

/** A candidate's check in words, wherever a race is shown: "passed", "failed (exit 1)", "timed out", "killed", "not run". */
export function checkText(c: { status: CandidateStatus; check?: CandidateCheck }): string {
  const k = c.check;
  if (!k) return 'not run';
  if (k.timedOut) return 'timed out';
  if (k.exitCode === null) return 'killed';
  return k.exitCode === 0 ? 'passed' : `failed (exit ${k.exitCode})`;
}

/** A change's size in words: "+64 −3 in 3 files", "no change". */
export function changeText(c: { added: number; removed: number; files: number }): string {
  return c.files ? `+${c.added} −${c.removed} in ${c.files} file${c.files === 1 ? '' : 's'}` : 'no change';
}

/** How a candidate stands, in a word or two: "running", "finished", "gave up"… */
export function candidateStatusText(status: CandidateStatus): string {
  return status === 'gave_up' ? 'gave up' : status;
}

/** "api#2 (openai/gpt-5)", or the id alone when the fold does not know it. */
function candidateName(e: { taskId: string; candidateId: string }, s: SessionState | undefined): string {
  const c = s?.tasks[e.taskId]?.race?.candidates.find((x) => x.candidateId === e.candidateId);
  return c ? `${e.candidateId} (${c.provider}/${c.model})` : e.candidateId;
}

function candidateFinished(e: EventOf<'candidate.finished'>, s: SessionState | undefined): string {
  const c = s?.tasks[e.taskId]?.race?.candidates.find((x) => x.candidateId === e.candidateId);
  const added = e.files.reduce((n, f) => n + f.added, 0);
  const removed = e.files.reduce((n, f) => n + f.removed, 0);
  const what = [
    e.outcome === 'finished' ? `check ${checkText({ status: 'finished', check: e.check })}` : (e.error ?? e.summary ?? ''),
    c ? costText(c.figures) : '',
    changeText({ added, removed, files: e.files.length }),
    secondsText(e.wallMs),
  ].filter(Boolean);
  return `  ${e.outcome === 'finished' ? '◆' : '✗'} candidate ${candidateName(e, s)} ${candidateStatusText(e.outcome)}: ${what.join(', ')}`;
}

/** The line an event adds to the progress, with its level; undefined for events too small to mention. `s`: the fold through `e`, for the figures an event does not carry (a candidate's cost). */
export function narrate(e: EnsembleEvent, s?: SessionState): { level: NarrationLevel; text: string } | undefined {
  const text = describeEvent(e, s);
  if (text === undefined) return undefined;
  return { level: levelOf(e), text };
}

function levelOf(e: EnsembleEvent): NarrationLevel {
  switch (e.type) {
    case 'task.failed':
    case 'report.failed':
      return 'error';
    case 'session.ended':
      return e.status === 'completed' || e.status === 'cancelled' ? 'info' : 'error';
    case 'phase.ended':
      return e.outcome === 'failed' ? 'warn' : 'info';
    case 'llm.error':
    case 'provider.switched':
    case 'task.escalated':
    case 'task.stopped':
    case 'file.refused':
    case 'plan.rejected':
    case 'plan.edit_rejected':
      return 'warn';
    case 'command.decided':
      return e.decision === 'denied' ? 'warn' : 'info';
    case 'command.ran':
      return e.exitCode === 0 ? 'info' : 'warn';
    case 'mcp.server':
      return e.status === 'failed' || e.status === 'exited' ? 'warn' : 'info';
    case 'mcp.decided':
      return e.decision === 'denied' ? 'warn' : 'info';
    case 'mcp.result':
      return e.ok ? 'info' : 'warn';
    case 'candidate.finished':
      return e.outcome === 'finished' && e.check?.exitCode === 0 && !e.check.timedOut ? 'info' : 'warn';
    case 'candidate.chosen':
      return e.candidateId === null ? 'warn' : 'info';
    case 'budget.exhausted':
      return 'warn';
    case 'sandbox.checked':
      return e.sandbox === null ? 'warn' : 'info';
    default:
      return 'info';
  }
}

/**
 * The progress line of one event. `s`: the session's fold through `e` (the running session's state when
 * its log appends `e`), for what the event does not carry itself — a candidate's provider, model and
 * cost; without it those are left out.
 */
export function describeEvent(e: EnsembleEvent, s?: SessionState): string | undefined {
  switch (e.type) {
    case 'phase.started':
      return `▶ ${phaseName(e.phase)}`;
    case 'phase.ended':
      return e.outcome === 'ok' ? undefined : `  ${phaseName(e.phase)} ${e.outcome}${e.note ? `: ${e.note}` : ''}`;
    case 'plan.rejected':
      return `  plan rejected (attempt ${e.attempt}): ${e.errors.join(' ')}`;
    case 'plan.proposed':
      return `  plan ${e.proposal} proposed${e.source === 'file' ? ' (from a plan file)' : ''}: ${e.tasks.length} task${e.tasks.length === 1 ? '' : 's'}, estimate ${estimateText(e.estimateUsd, e.unknownModels, e.planModels)}`;
    case 'plan.edit_rejected':
      return `  edited plan refused: ${e.errors.join(' ')}`;
    case 'plan.edited':
      return `  plan ${e.proposal} edited by the user: ${e.tasks.length} task${e.tasks.length === 1 ? '' : 's'}`;
    case 'plan.feedback':
      return `  plan ${e.proposal}: new plan asked for${e.feedback ? `: ${e.feedback}` : ''}`;
    case 'plan.approved':
      return `  plan ${e.proposal} approved ${e.by === 'user' ? 'by the user' : 'automatically'}`;
    case 'decision':
      return `  decision [${e.kind}] ${e.summary}`;
    case 'rules.loaded':
      return e.files.length ? `  project rules: ${describeRules(e.files)}` : undefined;
    case 'sandbox.checked':
      return `  sandbox: ${describeSandbox(e)}`;
    case 'budget.estimated': {
      const prices = e.prices ? `; prices: ${describePriceSource(e.prices)}` : '';
      return `  cost estimate: ${estimateText(e.estimateUsd, e.unknownModels, e.planModels)}${e.planModels?.length ? ` (${e.planModels.join(', ')}: requests counted, no dollar figure)` : ''}${e.limitUsd ? ` (budget ${budgetText(e.limitUsd)}${e.planModels?.length ? ', which counts only calls with a per-token price' : ''})` : ''}${prices}`;
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
    case 'task.stopped':
      return `  ■ ${e.taskId} stopped by the user`;
    case 'agent.messaged':
      return `  ✉ message to ${e.agentId}: ${e.text.length > 120 ? `${e.text.slice(0, 119)}…` : e.text}`;
    case 'provider.switched':
      return `  ⇄ ${e.taskId ?? 'orchestrator'}: switched ${e.from.provider}/${e.from.model} → ${e.to.provider}/${e.to.model}`;
    case 'llm.error':
      return `  ! ${e.provider}/${e.model}: ${e.message}${e.retryable ? ' (will retry)' : e.code === 'context_overflow' ? ' (compacting, then the same provider again)' : ''}`;
    case 'context.compacted':
      return `  ⇲ ${e.taskId ?? e.agentId}: ${compactionText(e)}`;
    case 'candidate.started':
      return `  ⋯ candidate ${e.candidateId} (${e.provider}/${e.model}) started${e.round > 1 ? ` (round ${e.round})` : ''}`;
    case 'candidate.copied':
      return `  ⋯ candidate ${e.candidateId}: its own copy of the workspace is ready (${e.copy}, ${e.ms} ms)`;
    case 'candidate.finished':
      return candidateFinished(e, s);
    case 'candidate.judged': {
      const costs = e.ranking.map((r) => `${r.candidateId} ${r.passed ? usdText(r.costUsd) : 'did not pass'}`).join(', ');
      return `  ⚖ ${e.taskId} judged: ${e.winner ?? 'no winner'} — ${e.reason}${costs ? ` (${costs})` : ''}`;
    }
    case 'candidate.chosen':
      return e.candidateId === null
        ? `  ★ ${e.taskId}: no candidate applied${e.by === 'user' ? ' (your choice)' : ''}: ${e.reason}`
        : `  ★ ${e.taskId}: applying ${candidateName({ taskId: e.taskId, candidateId: e.candidateId }, s)}, chosen ${e.by === 'user' ? 'by the user' : 'automatically'}: ${e.reason}`;
    case 'file.written':
      return `  + ${e.path} (${e.change}, ${e.bytes} bytes)`;
    case 'file.changed':
      return `  + ${e.path} (${e.change} by a command${e.beforeKnown ? '' : '; no copy of it before, so it cannot be reverted'})`;
    case 'command.requested':
      return `  $ ${e.taskId ?? e.agentId} (${e.role}) asks to run \`${e.command}\`${e.cwd === '.' ? '' : ` in ${e.cwd}`} [${e.commandId}]`;
    case 'command.decided':
      return e.decision === 'denied'
        ? `    [${e.commandId}] denied${e.by === 'user' ? ' by the user' : ''}: ${e.reason}`
        : `    [${e.commandId}] ${e.decision}${e.by === 'user' ? ` by the user${e.scope === 'session' ? ' for this session' : ' once'}` : ''}: ${e.reason}`;
    case 'command.ran': {
      const how = e.timedOut ? 'timed out (killed)' : e.cancelled ? 'cancelled (killed)' : `exited ${e.exitCode ?? 'killed'}`;
      return `    [${e.commandId}] ${how} after ${(e.durationMs / 1000).toFixed(1)} s${e.files.length ? `; ${e.files.length} file${e.files.length === 1 ? '' : 's'} changed` : ''}`;
    }
    case 'file.refused':
      return `  ⊘ ${e.path}: ${e.message}`;
    case 'mcp.server':
      return e.status === 'started'
        ? `  ⚙ MCP server ${e.server} started (${e.transport}${e.transport === 'stdio' ? (e.sandbox ? ` in ${e.sandbox}` : ', no sandbox') : ''}): ${e.tools?.length ?? 0} tool${e.tools?.length === 1 ? '' : 's'}`
        : e.status === 'tools_changed'
          ? `  ⚙ MCP server ${e.server}: its tools changed (${e.tools?.length ?? 0} now)`
          : `  ⚙ MCP server ${e.server} ${e.status}${e.error ? `: ${e.error}` : ''}`;
    case 'mcp.called':
      return `  ⚙ ${e.taskId ?? e.agentId} (${e.role}) calls ${e.server}/${e.tool} ${e.arguments} [${e.callId}]`;
    case 'mcp.decided':
      return e.decision === 'denied'
        ? `    [${e.callId}] denied${e.by === 'user' ? ' by the user' : ''}: ${e.reason}`
        : `    [${e.callId}] ${e.decision}${e.by === 'user' ? ` by the user${e.scope === 'session' ? ' for this session' : ' once'}` : ''}: ${e.reason}`;
    case 'mcp.result':
      return `    [${e.callId}] ${e.ok ? 'answered' : 'failed'} after ${(e.durationMs / 1000).toFixed(1)} s: ${e.ok ? e.summary : (e.error ?? e.summary)}${e.files.length ? `; ${e.files.length} file${e.files.length === 1 ? '' : 's'} changed` : ''}`;
    case 'integration.checked':
      return `  contract check: ${e.matched.length} matched, ${e.callsWithoutRoute.length} calls without a route, ${e.routesNeverCalled.length} routes never called`;
    case 'validation.ran':
      return `  tests: \`${e.command}\` exited ${e.exitCode ?? 'killed'}${e.timedOut ? ' (timed out)' : ''}: ${e.passed ?? '?'} passed, ${e.failed ?? '?'} failed${e.coverage === null ? '' : `, line coverage ${e.coverage}%`}`;
    case 'validation.skipped':
      return `  tests not run: ${e.reason}`;
    case 'budget.exhausted':
      return `  budget of ${usdText(e.limitUsd)} reached (${usdText(e.spentUsd)} counted against it)`;
    case 'session.ended':
      return `■ session ${e.status}${e.error ? `: ${e.error}` : ''}`;
    case 'report.failed':
      return `  the report could not be written: ${e.error}`;
    default:
      return undefined;
  }
}
