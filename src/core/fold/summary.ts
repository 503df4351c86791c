// A session in a few figures, as its list shows it (the panel, Resume Session, `ensemble resume`),
// and its status in words: one definition of each, folded from the log.

import type { SessionStatus } from '../events';
import { moneyText } from './money';
import type { SessionState } from './state';

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
  tasks: { total: number; completed: number };
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
    tasks: { total: s.taskOrder.length, completed: s.taskOrder.filter((id) => s.tasks[id]?.status === 'completed').length },
    money: { spentUsd, chargedUsd, unknownCalls, ...(planCalls ? { planCalls } : {}) },
    costText: moneyText(s.money),
  };
}

/** Sessions Resume can continue: not completed, not a scripted replay. */
export function isResumable(x: Pick<SessionSummary, 'status' | 'scripted'>): boolean {
  return x.status !== 'completed' && x.status !== 'idle' && !x.scripted;
}
