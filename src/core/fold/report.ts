// report.json and report.md: folds of the log and nothing else. A figure the log does not hold is
// absent or null, never invented; a claim without a check behind it does not appear.

import type { CandidateState, CandidateStatus, Finisher, SessionState, ProviderFigures, RaceState } from './state';
import { checkPassed } from './candidates';
import { promptTokens } from './figures';
import type { DecisionKind, EnsembleEvent, RulesFile, ValidationRunBody } from '../events';
import { candidateStatusText, changeText, checkText, describeRules, secondsText } from './narrate';
import { ATTEMPTS_NOUN, foldEvents } from './state';
import { costWords, estimateText, knownCost, PLAN_TEXT, roundUsd, spendText } from './money';
import { countTasks, reportedStatus, tasksText, type ReportedStatus } from './summary';

export interface ReportJson {
  sessionId: string;
  goal: string;
  status: ReportedStatus;
  scripted: boolean;
  startedAt: string | null;
  endedAt: string | null;
  phases: { name: string; startedAt: string; endedAt: string | null; outcome: string | null }[];
  /**
   * provider/model: the route that finished the task (see finishedBy), else the one its role agent last ran on.
   * attempts: the model requests its role agents sent, retries and failed calls included ("calls" in report.md and the panel).
   * stoppedByUser: the user stopped it (Stop Task) since it last started.
   * planCalls: calls paid by the user's plan (VS Code's language models), in no dollar figure.
   */
  tasks: {
    id: string;
    title: string;
    role: string;
    provider: string | null;
    model: string | null;
    status: string;
    attempts: number;
    files: string[];
    /** `input` excludes cache reads (`cachedInput`), as in metrics.tokens. */
    tokens: { input: number; output: number; cachedInput: number };
    costUsd: number | null;
    planCalls: number;
    finishedBy: Finisher | null;
    spentBy: SpentBy[];
    stoppedByUser: boolean;
    /** Best of several: the candidates of the task's latest race, in the order given; empty for a task one agent did. */
    candidates: ReportCandidate[];
    /** The latest race's verdict and the candidate applied; null for a task without candidates. */
    candidateVerdict: ReportVerdict | null;
  }[];
  /** `beforeKnown` false: a command changed a file the session had no copy of; it cannot be reverted. */
  files: {
    path: string;
    change: 'created' | 'modified' | 'deleted';
    task: string | null;
    role: string | null;
    provider: string | null;
    model: string | null;
    review: string;
    beforeKnown: boolean;
  }[];
  /**
   * Every run_command request. `decision` null: the session stopped while it was being decided; `exitCode` null: it did not run or was killed.
   * `sandbox`: what confined it ("bubblewrap 0.8.0"; null: none, or it did not run); `network`: whether it had the network (null: it did not run).
   */
  commands: {
    taskId: string | null;
    role: string;
    command: string;
    cwd: string;
    decision: 'allowed' | 'approved' | 'denied' | null;
    by: 'policy' | 'user' | null;
    exitCode: number | null;
    timedOut: boolean;
    durationMs: number | null;
    files: string[];
    sandbox: string | null;
    network: 'on' | 'off' | null;
  }[];
  decisions: { kind: DecisionKind; taskId: string | null; summary: string; rationale: string }[];
  /** byUser: the user stopped the task, which went to the orchestrator to decide (not a failure of the agent). */
  escalationLog: { taskId: string; reason: string; byUser: boolean }[];
  /**
   * What the user did while the session ran, in order: messages to agents, stopped tasks (with what the
   * orchestrator then decided, null until it did) and edits of the plan that were refused (with why).
   */
  userActions: ({ at: string } & (
    | { kind: 'message'; agentId: string; taskId: string | null; text: string }
    | { kind: 'stop'; taskId: string; outcome: string | null }
    | { kind: 'edit_refused'; proposal: number; errors: string[] }
  ))[];
  switchLog: { taskId: string | null; from: string; to: string; reason: string }[];
  metrics: {
    tokens: Record<string, { input: number; output: number; cachedInput: number; cacheWrite: number }>;
    costUsd: Record<string, number | null> & { total: number | null };
    /**
     * Per provider: `reported` when the provider reported its usage (what it bills), `counted` when it reports
     * none (VS Code's language models) and Ensemble counted the tokens with the model's tokenizer: counted, not billed.
     */
    usageSource: Record<string, 'reported' | 'counted'>;
    /** Per provider: calls paid by the user's plan (VS Code's language models), in no dollar figure. */
    planCalls: Record<string, number>;
    /** Per `provider/model`: its requests (calls), failures, tokens and dollars. */
    byModel: Record<
      string,
      Pick<ProviderFigures, 'calls' | 'failures' | 'input' | 'output' | 'cachedInput' | 'cacheWrite' | 'planCalls'> & {
        costUsd: number | null;
        usageSource: 'reported' | 'counted';
      }
    >;
    byRole: Record<string, { calls: number; input: number; output: number; costUsd: number | null; planCalls: number }>;
    avgLatencyMs: number | null;
    successRate: number | null;
    calls: number;
    failures: number;
    providerSwitches: number;
    escalations: number;
    /** Context compactions (context.compacted) in all. */
    compactions: number;
  };
  /** Each agent whose conversation was compacted to fit its model's context window: how often, how much (estimated prompt tokens taken off). */
  compactions: {
    agentId: string;
    taskId: string | null;
    role: string | null;
    provider: string;
    model: string;
    window: number;
    elided: number;
    summarised: number;
    messages: number;
    tokensSaved: number;
  }[];
  integration: { matched: { method: string; path: string }[]; callsWithoutRoute: unknown[]; routesNeverCalled: unknown[] } | null;
  /** `sandbox`, `network`: as for a command. */
  validation:
    (Pick<ValidationRunBody, 'command' | 'exitCode' | 'passed' | 'failed' | 'skipped' | 'coverage'> & { sandbox: string | null; network: 'on' | 'off' }) | null;
  validationNote: string | null;
  /**
   * spentUsd: the total, null when a call's cost is unknown; knownUsd: the dollars known so far;
   * chargedUsd: what the cap counted (known + the worst case of each call of unknown cost).
   */
  /** `planCalls`: calls paid by the user's plan, which no dollar figure and not the cap counts; `planModels`: the models so paid that the estimate leaves out. */
  budget: {
    limitUsd: number | null;
    estimateUsd: number | null;
    spentUsd: number | null;
    knownUsd: number;
    chargedUsd: number;
    unknownCalls: number;
    planCalls: number;
    planModels: string[];
  };
  /** The price data that priced the calls (the version shipped with Ensemble; nothing is fetched) and each model's price origin. */
  pricing: {
    source: string;
    version: string;
    publishedAt: string;
    overrides: string[];
    models: { model: string; origin: string; priceKey: string | null }[];
  } | null;
  /** The project rules files (AGENTS.md, .ensemble/rules.md) the models were given; empty when none (or the log predates them). */
  rules: RulesFile[];
  /** The plan's review: plans proposed, who approved (null: not approved, or a log from before reviews), whether the user edited it, the user's feedback. */
  plan: { proposals: number; approvedBy: 'user' | 'auto' | null; edited: boolean; feedback: string[] };
  /**
   * Each MCP server the session started or tried to: its calls that ran, those that failed (the tool's
   * error, a timeout, a crash), those denied, the time its calls took, how often it was started, the tools
   * it listed last, what confined it (stdio; null: nothing), and why it last failed or exited.
   */
  mcp: {
    server: string;
    transport: 'stdio' | 'http';
    calls: number;
    errors: number;
    denied: number;
    durationMs: number;
    starts: number;
    tools: string[];
    sandbox: string | null;
    lastError: string | null;
  }[];
}

/**
 * One candidate of a best-of-several task. `outcome`: finished (its agent called finish), gave_up, failed
 * (no copy, or it broke), cancelled, interrupted, or running (the report of a session that has not ended).
 * `check`: its run of the task's check in its copy (null: not run). `passed`: the check exited 0 in time.
 * `wallMs`: from its start to the end of its check (null: not finished). `added`/`removed`: lines, over `files`.
 */
export interface ReportCandidate {
  candidateId: string;
  agentId: string;
  provider: string;
  model: string;
  outcome: CandidateStatus;
  check: { command: string; exitCode: number | null; timedOut: boolean; durationMs: number } | null;
  passed: boolean;
  costUsd: number | null;
  planCalls: number;
  calls: number;
  tokens: { input: number; output: number; cachedInput: number };
  wallMs: number | null;
  files: { path: string; change: 'created' | 'modified' | 'deleted'; added: number; removed: number }[];
  added: number;
  removed: number;
  /** Its changes were applied to the workspace. */
  chosen: boolean;
  error: string | null;
}

/**
 * A race's verdict: `winner` (null: none passed) and why, the ranking it used (best first; null cost:
 * unknown), and the candidate applied — `chosen` null until one is chosen, `chosen.candidateId` null when
 * none was applied; `by` auto (the verdict's) or user (candidateApproval "ask").
 */
export interface ReportVerdict {
  round: number;
  winner: string | null;
  reason: string;
  ranking: { candidateId: string; passed: boolean; costUsd: number | null; lines: number; files: number }[];
  chosen: { candidateId: string | null; by: 'auto' | 'user'; reason: string } | null;
}

/** One role on one route that made calls for a task: its share of the task's tokens and dollars. */
export interface SpentBy {
  role: string;
  provider: string;
  model: string;
  calls: number;
  /** input excludes cache reads (cachedInput), as in metrics.tokens. */
  tokens: { input: number; output: number; cachedInput: number };
  costUsd: number | null;
  planCalls: number;
}

/**
 * An ISO time as the reader's local time with its zone ("2026-11-27 14:05:09 GMT+1"): report.md is read by
 * people; report.json keeps ISO. The zone is the process's (TZ), so a CI run and a user each see theirs.
 */
/** One formatter per time zone: making one costs more than formatting every time of a report. */
const formatters = new Map<string | undefined, Intl.DateTimeFormat>();
const formatter = (timeZone: string | undefined) => {
  let f = formatters.get(timeZone);
  if (!f)
    formatters.set(
      timeZone,
      (f = new Intl.DateTimeFormat('en-CA', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
        timeZoneName: 'short',
      })),
    );
  return f;
};

export function localTime(isoTime: string | null, timeZone?: string): string {
  if (!isoTime) return '—';
  const d = new Date(isoTime);
  if (Number.isNaN(d.getTime())) return isoTime;
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(d)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
const cost = (f: ProviderFigures) => roundUsd(knownCost(f));
const round = (n: number) => Math.round(n * 1e6) / 1e6;
const usageSource = (f: ProviderFigures): 'reported' | 'counted' => (f.countedCalls ? 'counted' : 'reported');

function userActions(s: SessionState): ReportJson['userActions'] {
  return s.userActions.map((a) => {
    const at = iso(a.ts)!;
    switch (a.kind) {
      case 'message':
        return { at, kind: a.kind, agentId: a.agentId, taskId: a.taskId ?? null, text: a.text };
      case 'stop':
        return { at, kind: a.kind, taskId: a.taskId, outcome: a.outcome ?? null };
      case 'edit_refused':
        return { at, kind: a.kind, proposal: a.proposal, errors: [...a.errors] };
    }
  });
}

export function buildReport(s: SessionState): ReportJson {
  const providers = Object.entries(s.providers);
  const costs: Record<string, number | null> = {};
  for (const [id, f] of providers) costs[id] = cost(f);
  const m = s.money;
  const total = roundUsd(knownCost({ costUsd: m.spentUsd, unknownCalls: m.unknownCalls }));
  const calls = providers.reduce((a, [, f]) => a + f.calls, 0);
  const failures = providers.reduce((a, [, f]) => a + f.failures, 0);
  const latN = providers.reduce((a, [, f]) => a + f.latencyCount, 0);
  const latSum = providers.reduce((a, [, f]) => a + f.latencyMsTotal, 0);
  const v = s.validation && 'command' in s.validation ? s.validation : undefined;
  return {
    sessionId: s.sessionId ?? '',
    goal: s.goal ?? '',
    status: reportedStatus(s.status),
    scripted: s.scripted,
    startedAt: iso(s.startedAt),
    endedAt: iso(s.endedAt),
    phases: s.phases.map((p) => ({ name: p.name, startedAt: iso(p.startedAt)!, endedAt: iso(p.endedAt), outcome: p.outcome ?? null })),
    tasks: s.taskOrder
      .map((id) => s.tasks[id]!)
      .map((t) => ({
        id: t.id,
        title: t.title,
        role: t.role,
        provider: t.provider ?? null,
        model: t.model ?? null,
        status: t.status,
        attempts: t.attempts,
        files: t.files,
        tokens: { input: t.figures.input, output: t.figures.output, cachedInput: t.figures.cachedInput },
        costUsd: cost(t.figures),
        planCalls: t.figures.planCalls ?? 0,
        finishedBy: t.finishedBy ? { ...t.finishedBy } : null,
        spentBy: t.spentBy.map((x) => ({
          role: x.role,
          provider: x.provider,
          model: x.model,
          calls: x.figures.calls,
          tokens: { input: x.figures.input, output: x.figures.output, cachedInput: x.figures.cachedInput },
          costUsd: cost(x.figures),
          planCalls: x.figures.planCalls ?? 0,
        })),
        stoppedByUser: !!t.stopped,
        candidates: (t.race?.candidates ?? []).map((c) => reportCandidate(c, t.race!)),
        candidateVerdict: t.race?.verdict ? verdictOf(t.race) : null,
      })),
    files: s.fileOrder
      .map((p) => s.files[p]!)
      .map((f) => ({
        path: f.path,
        change: f.change,
        task: f.taskId ?? null,
        role: f.role ?? null,
        provider: f.provider ?? null,
        model: f.model ?? null,
        review: f.review,
        beforeKnown: !f.beforeUnknown,
      })),
    commands: s.commandOrder
      .map((id) => s.commands[id]!)
      .map((c) => ({
        taskId: c.taskId ?? null,
        role: c.role,
        command: c.command,
        cwd: c.cwd,
        decision: c.decision ?? null,
        by: c.by ?? null,
        exitCode: c.result?.exitCode ?? null,
        timedOut: c.result?.timedOut ?? false,
        durationMs: c.result?.durationMs ?? null,
        files: c.result?.files.map((f) => f.path) ?? [],
        sandbox: c.ranIn?.sandbox ?? null,
        network: c.ranIn?.network ?? null,
      })),
    decisions: s.decisions.map((d) => ({ kind: d.kind, taskId: d.taskId ?? null, summary: d.summary, rationale: d.rationale })),
    escalationLog: s.escalations.map((e) => ({ taskId: e.taskId, reason: e.reason, byUser: !!e.byUser })),
    userActions: userActions(s),
    switchLog: s.switches.map((w) => ({
      taskId: w.taskId ?? null,
      from: `${w.from.provider}/${w.from.model}`,
      to: `${w.to.provider}/${w.to.model}`,
      reason: w.reason,
    })),
    metrics: {
      tokens: Object.fromEntries(providers.map(([id, f]) => [id, { input: f.input, output: f.output, cachedInput: f.cachedInput, cacheWrite: f.cacheWrite }])),
      costUsd: { ...costs, total },
      usageSource: Object.fromEntries(providers.map(([id, f]) => [id, usageSource(f)])),
      planCalls: Object.fromEntries(providers.map(([id, f]) => [id, f.planCalls ?? 0])),
      byModel: Object.fromEntries(
        Object.entries(s.models ?? {}).map(([id, f]) => [
          id,
          {
            calls: f.calls,
            failures: f.failures,
            input: f.input,
            output: f.output,
            cachedInput: f.cachedInput,
            cacheWrite: f.cacheWrite,
            costUsd: cost(f),
            planCalls: f.planCalls ?? 0,
            usageSource: usageSource(f),
          },
        ]),
      ),
      byRole: Object.fromEntries(
        Object.entries(s.roles).map(([r, f]) => [r, { calls: f.calls, input: f.input, output: f.output, costUsd: cost(f), planCalls: f.planCalls ?? 0 }]),
      ),
      avgLatencyMs: latN ? Math.round(latSum / latN) : null,
      successRate: calls ? round((calls - failures) / calls) : null,
      calls,
      failures,
      providerSwitches: s.switches.length,
      escalations: s.escalations.length,
      compactions: s.compactionOrder.reduce((n, id) => n + s.compactions[id]!.elided + s.compactions[id]!.summarised, 0),
    },
    compactions: s.compactionOrder
      .map((id) => s.compactions[id]!)
      .map((c) => ({
        agentId: c.agentId,
        taskId: c.taskId ?? null,
        role: c.role ?? null,
        provider: c.provider,
        model: c.model,
        window: c.window,
        elided: c.elided,
        summarised: c.summarised,
        messages: c.messages,
        tokensSaved: c.tokensSaved,
      })),
    integration: s.integration
      ? { matched: s.integration.matched, callsWithoutRoute: s.integration.callsWithoutRoute, routesNeverCalled: s.integration.routesNeverCalled }
      : null,
    validation: v
      ? {
          command: v.command,
          exitCode: v.exitCode,
          passed: v.passed,
          failed: v.failed,
          skipped: v.skipped,
          coverage: v.coverage,
          sandbox: v.sandbox ?? null,
          network: v.network ?? 'on',
        }
      : null,
    validationNote: s.validation && 'notRun' in s.validation ? s.validation.notRun : null,
    budget: {
      limitUsd: s.budget.limitUsd ?? null,
      estimateUsd: s.budget.estimateUsd ?? null,
      spentUsd: total,
      knownUsd: round(m.spentUsd),
      chargedUsd: round(m.chargedUsd),
      unknownCalls: m.unknownCalls,
      planCalls: m.planCalls ?? 0,
      planModels: [...(s.budget.planModels ?? [])],
    },
    pricing: s.pricing ? { ...s.pricing, models: s.pricing.models.map((m) => ({ model: m.model, origin: m.origin, priceKey: m.priceKey ?? null })) } : null,
    rules: (s.rules ?? []).map((f) => ({ ...f })),
    plan: { proposals: s.plan.proposals, approvedBy: s.plan.approvedBy ?? null, edited: s.plan.edited, feedback: [...s.plan.feedback] },
    mcp: s.mcp.serverOrder
      .map((id) => s.mcp.servers[id]!)
      .map((m) => ({
        server: m.server,
        transport: m.transport,
        calls: m.calls,
        errors: m.errors,
        denied: m.denied,
        durationMs: m.durationMs,
        starts: m.starts,
        tools: [...m.tools],
        sandbox: m.sandbox ?? null,
        lastError: m.lastError ?? null,
      })),
  };
}

function reportCandidate(c: CandidateState, race: RaceState): ReportCandidate {
  const f = c.figures;
  return {
    candidateId: c.candidateId,
    agentId: c.agentId,
    provider: c.provider,
    model: c.model,
    outcome: c.status,
    check: c.check ? { command: c.check.command, exitCode: c.check.exitCode, timedOut: c.check.timedOut, durationMs: c.check.durationMs } : null,
    passed: checkPassed(c),
    costUsd: cost(f),
    planCalls: f.planCalls ?? 0,
    calls: f.calls,
    tokens: { input: f.input, output: f.output, cachedInput: f.cachedInput },
    wallMs: c.wallMs ?? null,
    files: c.files.map((x) => ({ path: x.path, change: x.change, added: x.added, removed: x.removed })),
    added: c.added,
    removed: c.removed,
    chosen: !!race.chosen && race.chosen.candidateId === c.candidateId,
    error: c.error ?? null,
  };
}

function verdictOf(race: RaceState): ReportVerdict {
  const v = race.verdict!;
  return {
    round: race.round,
    winner: v.winner,
    reason: v.reason,
    ranking: v.ranking.map((r) => ({ ...r, costUsd: roundUsd(r.costUsd) })),
    chosen: race.chosen ? { ...race.chosen } : null,
  };
}

export function reportFromEvents(events: EnsembleEvent[]): ReportJson {
  return buildReport(foldEvents(events));
}

/** Who finished a task, in words (the report and the panel say it the same way). */
export function finisherText(f: Finisher): string {
  const who = f.by === 'orchestrator' ? 'orchestrator after escalation' : f.by === 'reassigned' ? `${f.role} (reassigned)` : f.role;
  return `${who} on ${f.provider}/${f.model}`;
}

/** One thing the user did, in words (report.md). */
function userActionText(a: ReportJson['userActions'][number]): string {
  switch (a.kind) {
    case 'message':
      return `you messaged ${a.agentId}${a.taskId ? ` (task ${a.taskId})` : ''}: “${a.text}”`;
    case 'stop':
      return `you stopped task ${a.taskId}; ${a.outcome ? `the orchestrator then ${a.outcome}` : 'the session ended before the orchestrator decided what becomes of it'}`;
    case 'edit_refused':
      return `your edit of plan ${a.proposal} was refused: ${a.errors.join(' ')}`;
  }
}

/** A task's cost, split by who spent it when more than one did. */
function taskCost(t: ReportJson['tasks'][number]): string {
  if (t.spentBy.length < 2) return costWords(t.costUsd, t.planCalls);
  return `${costWords(t.costUsd, t.planCalls)}: ${t.spentBy.map((x) => `${x.role} ${x.provider}/${x.model} ${costWords(x.costUsd, x.planCalls)}`).join(' + ')}`;
}

/** A task's race in report.md: its candidates side by side, then the verdict and the candidate applied. */
function raceLines(t: ReportJson['tasks'][number]): string[] {
  const v = t.candidateVerdict;
  const command = t.candidates.find((c) => c.check)?.check?.command;
  const L = [
    `### ${t.id}: ${t.title} — best of ${t.candidates.length}${v && v.round > 1 ? ` (round ${v.round})` : ''}`,
    '',
    ...(command ? [`The check: \`${command.replace(/\n/g, ' ')}\`, run in each candidate's copy.`, ''] : []),
    '| candidate | provider/model | outcome | check | cost | tokens in / out | time | change | applied |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of t.candidates) {
    const check = checkText({ status: c.outcome, check: c.check ? { ...c.check, outputTail: '' } : undefined });
    L.push(
      `| ${c.candidateId} | ${c.provider}/${c.model} | ${candidateStatusText(c.outcome)}${c.error ? `: ${c.error.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 200)}` : ''} | ${check} | ${costWords(c.costUsd, c.planCalls)} | ${promptTokens(c.tokens)} / ${c.tokens.output} | ${c.wallMs === null ? '—' : secondsText(c.wallMs)} | ${changeText({ added: c.added, removed: c.removed, files: c.files.length })} | ${c.chosen ? 'yes' : '—'} |`,
    );
  }
  L.push('');
  if (!v) L.push('Verdict: not judged (the race did not end).');
  else {
    L.push(`Verdict: ${v.winner ?? 'no winner'} — ${v.reason}.`);
    const c = v.chosen;
    L.push(
      !c
        ? 'Applied: not chosen yet (waiting for your choice).'
        : c.candidateId === null
          ? `Applied: none${c.by === 'user' ? ', your choice' : ''} (${c.reason}).`
          : `Applied: ${c.candidateId}, chosen ${c.by === 'user' ? 'by you' : 'automatically'} (${c.reason}).`,
    );
  }
  return L;
}

/** A provider's or a model's tokens, marked when Ensemble counted them (the provider reported none). */
export function tokensText(n: number, source: 'reported' | 'counted' | undefined): string {
  return source === 'counted' ? `${n} (counted)` : String(n);
}

/** What the report says of tokens counted by Ensemble and of calls paid by the user's plan, when there are any. */
export function countedNote(r: Pick<ReportJson, 'metrics' | 'budget'>): string[] {
  const L: string[] = [];
  const counted = Object.entries(r.metrics.usageSource ?? {})
    .filter(([, u]) => u === 'counted')
    .map(([id]) => id);
  if (counted.length)
    L.push(
      `Tokens marked "counted" (${counted.join(', ')}) were counted by Ensemble with the model's own tokenizer on what was sent and received, because VS Code's language models report no usage: counted, not billed.`,
    );
  const plan = r.budget.planCalls ?? 0;
  if (plan)
    L.push(
      `${plan} call${plan === 1 ? ' was' : 's were'} made through ${PLAN_TEXT}: ${plan === 1 ? 'it is' : 'they are'} paid by your plan, not per token, so no dollar figure is given for ${plan === 1 ? 'it' : 'them'} and the budget does not count ${plan === 1 ? 'it' : 'them'}.`,
    );
  return L;
}

/** Where a process ran, in words: "in bubblewrap 0.8.0 with the network off", "without a sandbox". */
export function confinementText(c: { sandbox: string | null; network: 'on' | 'off' | null }): string {
  return c.sandbox === null ? 'without a sandbox' : `in ${c.sandbox} with the network ${c.network ?? 'on'}`;
}

/** What became of a command, in words (the report and the panel say it the same way). */
export function commandResult(c: { decision: string | null; exitCode: number | null; timedOut: boolean; durationMs: number | null }): string {
  if (c.decision !== 'allowed' && c.decision !== 'approved') return 'not run';
  if (c.durationMs === null) return 'did not finish (the session stopped)';
  const secs = `${(c.durationMs / 1000).toFixed(1)} s`;
  return c.timedOut ? `timed out after ${secs} (killed)` : c.exitCode === null ? `killed after ${secs}` : `exit ${c.exitCode} in ${secs}`;
}

export function renderMarkdown(r: ReportJson): string {
  const L: string[] = [];
  const tasks = countTasks(r.tasks.map((t) => t.status));
  L.push(
    `# Ensemble session report`,
    '',
    `**Goal:** ${r.goal}`,
    '',
    `**Status:** ${r.status}${tasks.total ? ` · ${tasksText(tasks)}` : ''}  `,
    `**Session:** ${r.sessionId}  `,
    `**Started:** ${localTime(r.startedAt)} · **Ended:** ${localTime(r.endedAt)}`,
  );
  if (r.rules.length) L.push('', `**Project rules:** ${describeRules(r.rules)}`);
  if (r.scripted)
    L.push(
      '',
      '> The model answers in this session were scripted (a cassette replayed through the real SDKs against local servers). No real model was called.',
    );
  L.push('', '## Timeline', '', '| phase | started | ended | outcome |', '|---|---|---|---|');
  for (const p of r.phases) L.push(`| ${p.name} | ${localTime(p.startedAt)} | ${localTime(p.endedAt)} | ${p.outcome ?? '—'} |`);
  if (r.plan.proposals) {
    const p = r.plan;
    L.push(
      '',
      '## Plan review',
      '',
      `Plans proposed: ${p.proposals} · approved: ${p.approvedBy === 'user' ? 'by you' : p.approvedBy === 'auto' ? 'automatically (planApproval auto)' : 'not approved'}${p.edited ? ' · edited by you' : ''}`,
    );
    for (const f of p.feedback) L.push(`- feedback: ${f || '(none given)'}`);
  }
  L.push('', '## Tasks', '', `| task | role | status | finished by | ${ATTEMPTS_NOUN} | files | cost |`, '|---|---|---|---|---|---|---|');
  for (const t of r.tasks)
    L.push(
      `| ${t.id}: ${t.title} | ${t.role} | ${t.status}${t.stoppedByUser ? ' (stopped by you)' : ''} | ${t.finishedBy ? finisherText(t.finishedBy) : t.provider ? `— (last ran on ${t.provider}/${t.model ?? '—'})` : '—'} | ${t.attempts} | ${t.files.length} | ${taskCost(t)} |`,
    );
  const raced = r.tasks.filter((t) => t.candidates.length);
  if (raced.length) {
    L.push(
      '',
      '## Best of several',
      '',
      "Each candidate did the task in its own copy of the workspace; the task's check judged them: passed, then the lowest cost, then the smaller change.",
    );
    for (const t of raced) L.push('', ...raceLines(t));
  }
  if (r.commands.length) {
    L.push('', '## Commands', '', '| task | role | command | decision | result | files changed |', '|---|---|---|---|---|---|');
    for (const c of r.commands)
      L.push(
        `| ${c.taskId ?? '—'} | ${c.role} | \`${c.command.replace(/\|/g, '\\|').replace(/\n/g, ' ')}\` | ${c.decision ? `${c.decision}${c.by ? ` (${c.by})` : ''}` : 'undecided'} | ${commandResult(c)} | ${c.files.length} |`,
      );
    const ran = [...new Set(r.commands.filter((c) => c.network !== null).map((c) => confinementText(c)))];
    if (ran.length) L.push('', `Commands ran ${ran.join('; some ')}.`);
  }
  if (r.userActions.length) {
    L.push('', '## What you did', '');
    for (const a of r.userActions) L.push(`- ${localTime(a.at)}: ${userActionText(a)}`);
  }
  if (r.mcp.length) {
    L.push('', '## MCP servers', '', '| server | transport | calls | errors | denied | time | tools | notes |', '|---|---|---|---|---|---|---|---|');
    for (const m of r.mcp)
      L.push(
        `| ${m.server} | ${m.transport} | ${m.calls} | ${m.errors} | ${m.denied} | ${(m.durationMs / 1000).toFixed(1)} s | ${m.tools.length} | ${[m.transport === 'stdio' ? (m.sandbox ? `in ${m.sandbox}` : 'no sandbox') : '', m.starts > 1 ? `started ${m.starts} times` : m.starts === 0 ? 'never started' : '', m.lastError ? `last error: ${m.lastError.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 200)}` : ''].filter(Boolean).join('; ')} |`,
      );
  }
  L.push('', '## Orchestration decisions', '');
  for (const d of r.decisions) L.push(`- **${d.kind}**${d.taskId ? ` (${d.taskId})` : ''}: ${d.summary} — ${d.rationale}`);
  if (r.escalationLog.length || r.switchLog.length) {
    L.push('', '## Escalations and provider switches', '');
    for (const e of r.escalationLog)
      L.push(e.byUser ? `- ${e.taskId} stopped by you: handed to the orchestrator to decide` : `- escalated ${e.taskId}: ${e.reason}`);
    for (const w of r.switchLog) L.push(`- switched ${w.taskId ?? 'orchestrator'} from ${w.from} to ${w.to}: ${w.reason}`);
  }
  const m = r.metrics;
  L.push('', '## Providers', '', '| provider | input tokens | output tokens | cost |', '|---|---|---|---|');
  for (const [id, t] of Object.entries(m.tokens))
    L.push(
      `| ${id} | ${tokensText(promptTokens(t), m.usageSource?.[id])} | ${tokensText(t.output, m.usageSource?.[id])} | ${costWords(m.costUsd[id] ?? null, m.planCalls?.[id])} |`,
    );
  L.push(`| **total** | | | ${costWords(m.costUsd.total, r.budget.planCalls)} |`);
  if (Object.keys(m.byModel ?? {}).length) {
    L.push('', '| model | requests | failures | input tokens | output tokens | cost |', '|---|---|---|---|---|---|');
    for (const [id, x] of Object.entries(m.byModel))
      L.push(
        `| ${id} | ${x.calls} | ${x.failures} | ${tokensText(promptTokens(x), x.usageSource)} | ${tokensText(x.output, x.usageSource)} | ${costWords(x.costUsd, x.planCalls)} |`,
      );
  }
  const note = countedNote(r);
  if (note.length) L.push('', ...note);
  L.push(
    '',
    `Calls: ${m.calls} · failures: ${m.failures} · success rate: ${m.successRate === null ? '—' : `${(m.successRate * 100).toFixed(1)}%`} · average response time: ${m.avgLatencyMs === null ? '—' : `${m.avgLatencyMs} ms`} · provider switches: ${m.providerSwitches} · escalations: ${m.escalations} · context compactions: ${m.compactions}`,
  );
  if (r.compactions.length) {
    L.push(
      '',
      '## Context compaction',
      '',
      "Conversations compacted to fit their model's context window (tokens are the engine's estimates of the prompt).",
      '',
      '| agent | task | model | window | elisions | summaries | messages elided or summarised | tokens saved |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const c of r.compactions)
      L.push(
        `| ${c.agentId}${c.role ? ` (${c.role})` : ''} | ${c.taskId ?? '—'} | ${c.provider}/${c.model} | ${c.window.toLocaleString('en')} | ${c.elided} | ${c.summarised} | ${c.messages} | ${c.tokensSaved.toLocaleString('en')} |`,
      );
  }
  const b = r.budget;
  const spend = spendText({ spentUsd: b.knownUsd, unknownCalls: b.unknownCalls, planCalls: b.planCalls, chargedUsd: b.chargedUsd, reservedUsd: 0 }, b.limitUsd);
  L.push(
    '',
    '## Budget',
    '',
    `${spend.spent}${spend.counted ? `; ${spend.counted}` : ''} · estimate before development: ${estimateText(b.estimateUsd, [], b.planModels)}`,
  );
  if (b.planCalls && b.limitUsd !== null)
    L.push('', `The limit counts only calls with a per-token price: the ${b.planCalls} through ${PLAN_TEXT} are not counted against it.`);
  if (r.pricing) {
    const p = r.pricing;
    const origin = (m: { model: string; origin: string; priceKey: string | null }) =>
      `${m.model} (${m.origin === 'unknown' ? 'no price: unknown cost' : m.origin === 'plan' ? `no per-token price: ${PLAN_TEXT}` : m.origin === 'override' ? `your pricing row ${m.priceKey}` : m.priceKey})`;
    L.push(
      '',
      `Prices: ${p.source} ${p.version} (data published ${p.publishedAt}, shipped with Ensemble; nothing fetched)${p.overrides.length ? `; overridden by your pricing for ${p.overrides.join(', ')}` : ''}. Models: ${p.models.map(origin).join(', ') || 'none'}.`,
    );
  }
  L.push('', '## Integration (contract check)', '');
  if (!r.integration) L.push('Not run.');
  else {
    L.push(`Matched: ${r.integration.matched.map((x) => `${x.method} ${x.path}`).join(', ') || 'none'}`);
    const fmt = (x: unknown) => {
      const f = x as { method: string; path: string; file: string; line: number };
      return `${f.method} ${f.path} (${f.file}:${f.line})`;
    };
    L.push(`Calls without a route: ${r.integration.callsWithoutRoute.map(fmt).join(', ') || 'none'}`);
    L.push(`Routes never called: ${r.integration.routesNeverCalled.map(fmt).join(', ') || 'none'}`);
  }
  L.push('', '## Validation (the generated tests, run)', '');
  if (r.validation) {
    const v = r.validation;
    L.push(
      `\`${v.command}\` exited ${v.exitCode ?? '(killed)'}: ${v.passed ?? '?'} passed, ${v.failed ?? '?'} failed, ${v.skipped ?? '?'} skipped${v.coverage === null ? '; coverage not measured' : `; line coverage ${v.coverage}%`}. It ran ${confinementText(v)}.`,
    );
  } else L.push(`Not run${r.validationNote ? `: ${r.validationNote}` : ''}.`);
  L.push('', '## Files', '', '| file | change | task | role | provider/model | review |', '|---|---|---|---|---|---|');
  for (const f of r.files)
    L.push(
      `| ${f.path} | ${f.change} | ${f.task ?? '—'} | ${f.role ?? '—'} | ${f.provider ?? '—'}/${f.model ?? '—'} | ${f.review}${f.beforeKnown ? '' : ' (changed by a command; its content before is unknown, so it cannot be reverted)'} |`,
    );
  L.push('');
  return L.join('\n');
}
