// What the user can do to a running session besides cancelling it: send a working agent a note
// (read before its next model call) and stop one task (its calls are aborted; the session goes on).
// Each action is an event first (`agent.messaged`, `task.stopped`), so the log says what the user did.

import type { EventSink } from '../events';
import { isWorking, type SessionState } from '../fold/state';

/** Why a task's agent stopped: the user stopped its task (not the whole session). */
export class TaskStoppedError extends Error {
  constructor(readonly taskId: string) {
    super(`task ${taskId} was stopped by the user`);
    this.name = 'TaskStoppedError';
  }
}

/** A note the user can send is at most this long (it goes into a model's context as it is). */
export const MAX_NOTE_CHARS = 8000;

export class Steering {
  private readonly notes = new Map<string, string[]>();
  private readonly tasks = new Map<string, AbortController>();
  /** Tasks the user has stopped (at least once). */
  private readonly stopped = new Set<string>();

  constructor(
    private readonly sink: EventSink,
    private readonly state: SessionState,
    /** The session's signal: a task's signal follows it. */
    private readonly session: AbortSignal,
  ) {}

  /** Queues `text` for a working agent; throws an error that says why when it cannot be delivered. */
  message(agentId: string, text: string): void {
    const note = text.trim();
    const a = this.state.agents[agentId];
    if (!a) throw new Error(`There is no agent "${agentId}" in this session.`);
    if (!isWorking(a)) throw new Error(`Agent ${agentId} is not working any more (${a.status.toLowerCase()}): a message would not be read.`);
    if (!note) throw new Error('The message is empty.');
    if (note.length > MAX_NOTE_CHARS) throw new Error(`The message is ${note.length} characters long; at most ${MAX_NOTE_CHARS} are sent to an agent.`);
    this.sink.emit({ type: 'agent.messaged', agentId, taskId: a.taskId, text: note });
    const q = this.notes.get(agentId);
    if (q) q.push(note);
    else this.notes.set(agentId, [note]);
  }

  /** The notes sent to `agentId` since it last asked, oldest first (and forgets them). */
  take(agentId: string): string[] {
    const q = this.notes.get(agentId);
    if (!q) return [];
    this.notes.delete(agentId);
    return q;
  }

  /**
   * A signal for one task's work (its model calls, its commands, a question to the user), aborted when
   * the user stops that task or when the session is cancelled (with the session's reason), so that the
   * work needs no other. Call `release` when the work ends.
   */
  track(taskId: string): { signal: AbortSignal; release(): void } {
    const c = new AbortController();
    const cancelled = () => c.abort(this.session.reason);
    if (this.session.aborted) cancelled();
    else this.session.addEventListener('abort', cancelled, { once: true });
    this.tasks.set(taskId, c);
    return {
      signal: c.signal,
      release: () => {
        this.session.removeEventListener('abort', cancelled);
        if (this.tasks.get(taskId) === c) this.tasks.delete(taskId);
      },
    };
  }

  /**
   * Stops a task's running work (its agent's, or the orchestrator's once it is escalated). A task the
   * user already stopped and that has no running work (the first stop is taking effect, or the task
   * ended since) is left as it is, with no second `task.stopped`: a second click is no new decision.
   * Throws an error that says why when there is no such task, or it is not running and was never
   * stopped (not started yet, finished, or its session cancelled).
   */
  stop(taskId: string): void {
    const c = this.tasks.get(taskId);
    const t = this.state.tasks[taskId];
    if (!t) throw new Error(`There is no task "${taskId}" in this session.`);
    if (!c || c.signal.aborted) {
      if (this.stopped.has(taskId)) return;
      throw new Error(`Task ${taskId} is not running (${t.status}): there is nothing to stop.`);
    }
    this.stopped.add(taskId);
    this.sink.emit({ type: 'task.stopped', taskId, by: 'user' });
    c.abort(new TaskStoppedError(taskId));
  }
}
