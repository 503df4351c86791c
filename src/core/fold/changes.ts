// What the session changed in the workspace, as the reducer folds it: the files it wrote, deleted or
// let a command change (with their review), the commands agents asked to run, and the writes refused.

import type { EnsembleEvent, EventBody } from '../events';
import { setStep } from './agents';
import { mark } from './marks';
import { confinementNow, type Confinement } from './sandbox';
import type { SessionState } from './state';

export interface FileState {
  path: string;
  change: 'created' | 'modified' | 'deleted';
  /** Content hash before the session first touched it (null: it did not exist). */
  beforeSha: string | null;
  /** Content hash the session last left (null: deleted). */
  afterSha: string | null;
  /**
   * The file existed before the session first touched it, but a command changed it and the session had
   * no copy of it (`beforeSha` is then null and means nothing): the change cannot be reverted.
   */
  beforeUnknown?: boolean;
  taskId?: string;
  role?: string;
  provider?: string;
  model?: string;
  review: 'pending' | 'kept' | 'reverted';
}

/** One run_command request: what was asked, what was decided, and (when it ran) what it did. */
export interface CommandState {
  id: string;
  agentId: string;
  taskId?: string;
  role: string;
  command: string;
  cwd: string;
  requestedAt: number;
  /** Absent until decided (a session killed while the user was being asked never decides). */
  decision?: 'allowed' | 'approved' | 'denied';
  by?: 'policy' | 'user';
  scope?: 'once' | 'session';
  reason?: string;
  /** Set once it ran. */
  result?: Omit<Extract<EventBody, { type: 'command.ran' }>, 'type' | 'commandId'>;
  /** Set once it ran: the sandbox it ran in (the run's `sandbox.checked`). */
  ranIn?: Confinement;
}

/** Whether the file existed before the session first touched it (a created file, even deleted again, did not). */
function existedBefore(f: FileState): boolean {
  return f.beforeSha !== null || !!f.beforeUnknown;
}

function touchFile(s: SessionState, path: string, init: () => FileState): FileState {
  let f = s.files[path];
  if (!f) {
    f = s.files[path] = init();
    s.fileOrder.push(path);
  }
  return f;
}

/** The events this module folds. */
export type ChangeEvent = Extract<
  EnsembleEvent,
  {
    type:
      | 'file.written'
      | 'file.deleted'
      | 'file.changed'
      | 'file.refused'
      | 'command.requested'
      | 'command.decided'
      | 'command.ran'
      | 'review.kept'
      | 'review.reverted';
  }
>;

/** Applies one change event to the state, in place (applyEvent's part for the workspace's changes). */
export function applyChange(s: SessionState, e: ChangeEvent): void {
  switch (e.type) {
    case 'file.written': {
      const f = touchFile(s, e.path, () => ({ path: e.path, change: e.change, beforeSha: e.beforeSha, afterSha: e.afterSha, review: 'pending' }));
      Object.assign(f, { afterSha: e.afterSha, taskId: e.taskId, role: e.role, provider: e.provider, model: e.model, review: 'pending' });
      f.change = existedBefore(f) ? 'modified' : 'created';
      const t = e.taskId ? s.tasks[e.taskId] : undefined;
      if (t && !t.files.includes(e.path)) t.files.push(e.path);
      break;
    }
    case 'file.deleted': {
      const f = touchFile(s, e.path, () => ({ path: e.path, change: 'deleted', beforeSha: e.beforeSha, afterSha: null, review: 'pending' }));
      Object.assign(f, { afterSha: null, taskId: e.taskId, review: 'pending', change: existedBefore(f) ? 'deleted' : 'created' });
      break;
    }
    case 'file.changed': {
      const f = touchFile(s, e.path, () => ({
        path: e.path,
        change: e.change,
        beforeSha: e.beforeSha,
        afterSha: e.afterSha,
        review: 'pending',
        ...(e.beforeKnown ? {} : { beforeUnknown: true }),
      }));
      Object.assign(f, { afterSha: e.afterSha, taskId: e.taskId, role: e.role, provider: e.provider, model: e.model, review: 'pending' });
      f.change = !existedBefore(f) ? 'created' : f.afterSha === null ? 'deleted' : 'modified';
      const t = e.taskId ? s.tasks[e.taskId] : undefined;
      if (t && !t.files.includes(e.path)) t.files.push(e.path);
      break;
    }
    case 'command.requested':
      if (!s.commands[e.commandId]) s.commandOrder.push(e.commandId);
      s.commands[e.commandId] = { id: e.commandId, agentId: e.agentId, taskId: e.taskId, role: e.role, command: e.command, cwd: e.cwd, requestedAt: e.ts };
      setStep(s.agents, e.agentId, `waiting for approval to run ${e.command}`); // the policy's answer follows at once when it need not ask
      break;
    case 'command.decided': {
      const c = s.commands[e.commandId];
      if (c) Object.assign(c, { decision: e.decision, by: e.by, scope: e.scope, reason: e.reason });
      if (c) setStep(s.agents, c.agentId, e.decision === 'denied' ? 'thinking' : `running ${c.command}`);
      break;
    }
    case 'command.ran': {
      const c = s.commands[e.commandId];
      if (c)
        c.result = {
          exitCode: e.exitCode,
          timedOut: e.timedOut,
          cancelled: e.cancelled,
          durationMs: e.durationMs,
          outputTail: e.outputTail,
          omittedChars: e.omittedChars,
          files: e.files,
        };
      if (c) c.ranIn = confinementNow(s);
      break;
    }
    case 'file.refused':
      s.refusals.push({ seq: e.seq, path: e.path, reason: e.reason, message: e.message });
      break;
    case 'review.kept':
    case 'review.reverted': {
      const f = s.files[e.path];
      if (f) f.review = e.type === 'review.kept' ? 'kept' : 'reverted';
      mark(s, e, e.type === 'review.kept' ? 'kept' : 'reverted', `${e.type === 'review.kept' ? 'Kept' : 'Reverted'} ${e.path}`);
      break;
    }
    default: {
      const unhandled: never = e;
      return unhandled;
    }
  }
}
