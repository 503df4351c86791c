// A session in a few figures, as its list shows it (the panel, Resume Session, `ensemble resume`),
// and its status in words: one definition of each, folded from the log.

import type { SessionStatus } from '../events';
import { moneyText } from './money';
import { phaseName } from './narrate';
import type { SessionState } from './state';

/** The tasks of the plan by outcome: what every view counts (a skipped or failed task is not done, and is said). */
export interface TaskCounts {
  total: number;
  completed: number;
  /** Absent in summaries written before they were counted. */
  skipped?: number;
  failed?: number;
}

export function taskCounts(s: SessionState): Required<TaskCounts> {
  return countTasks(s.taskOrder.map((id) => s.tasks[id]?.status));
}

/** The same from the tasks' statuses (report.json's). */
export function countTasks(statuses: readonly (string | undefined)[]): Required<TaskCounts> {
  const c = { total: statuses.length, completed: 0, skipped: 0, failed: 0 };
  for (const st of statuses) if (st === 'completed' || st === 'skipped' || st === 'failed') c[st]++;
  return c;
}

/** The tasks in words, in every view (progress notification, status bar, panel, final notification, CLI, report): "2/4 tasks done, 1 skipped". */
export function tasksText(c: TaskCounts): string {
  const more = [c.skipped ? `${c.skipped} skipped` : '', c.failed ? `${c.failed} failed` : ''].filter(Boolean);
  return `${c.completed}/${c.total} task${c.total === 1 ? '' : 's'} done${more.length ? `, ${more.join(', ')}` : ''}`;
}

/** A running session in one line, as the progress notification and the status bar say it: "Development · 2/4 tasks done · $0.1234". */
export function progressText(s: SessionState): string {
  const c = taskCounts(s);
  return [phaseName(s.currentPhase), c.total ? tasksText(c) : '', moneyText(s.money)].filter(Boolean).join(' · ');
}

/** An ended session in one line, as the final notification says it: "completed · 3/4 tasks done, 1 skipped · 6 files changed · $0.1234". */
export function outcomeText(s: SessionState): string {
  const c = taskCounts(s);
  const files = s.fileOrder.length;
  return [
    `${statusText(s.status)}${s.error ? ` (${s.error})` : ''}`,
    c.total ? tasksText(c) : '',
    `${files} file${files === 1 ? '' : 's'} changed`,
    moneyText(s.money),
  ].join(' · ');
}

/** A session's status as it is reported: one whose log never ended, and that is not running now, was interrupted. */
export type ReportedStatus = SessionStatus | 'interrupted';

export function reportedStatus(status: SessionStatus | 'idle', live = false): ReportedStatus {
  if (status === 'running' || status === 'idle') return live ? 'running' : 'interrupted';
  return status;
}

/** The status in words: "interrupted", "budget exhausted"… */
export function statusText(status: SessionStatus | 'idle', live = false): string {
  return reportedStatus(status, live).replace('_', ' ');
}

export interface SessionSummary {
  sessionId: string;
  goal: string;
  /** As folded: `running` for a session whose log never ended (say it with `statusText`). */
  status: SessionStatus | 'idle';
  startedAt: number | null;
  endedAt: number | null;
  scripted: boolean;
  /** Files the session changed. */
  files: number;
  tasks: TaskCounts;
  /** `planCalls`: calls paid by the user's plan (VS Code's language models; absent in older summaries). */
  money: { spentUsd: number; chargedUsd: number; unknownCalls: number; planCalls?: number };
  /** `money` in words ("$0.1234 + unknown"). */
  costText: string;
}

/** The summary of a folded session; undefined when its log holds no session start. */
export function summarise(s: SessionState): SessionSummary | undefined {
  if (!s.sessionId) return undefined;
  const { spentUsd, chargedUsd, unknownCalls, planCalls } = s.money;
  return {
    sessionId: s.sessionId,
    goal: s.goal ?? '',
    status: s.status,
    startedAt: s.startedAt ?? null,
    endedAt: s.endedAt ?? null,
    scripted: s.scripted,
    files: s.fileOrder.length,
    tasks: taskCounts(s),
    money: { spentUsd, chargedUsd, unknownCalls, ...(planCalls ? { planCalls } : {}) },
    costText: moneyText(s.money),
  };
}

/** Sessions Resume can continue: not completed, not a scripted replay. */
export function isResumable(x: Pick<SessionSummary, 'status' | 'scripted'>): boolean {
  return x.status !== 'completed' && x.status !== 'idle' && !x.scripted;
}
