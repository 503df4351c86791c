// What every section renders from: the fold of the focused session's log, the session list, and a
// way to post to the extension. Nothing else.
import type { EventType } from '../src/core/events';
import type { SessionState } from '../src/core/fold/state';
import type { TranscriptState } from '../src/core/fold/transcript';
import type { Question, SessionSummary, WebviewMessage } from '../src/protocol';

export interface View {
  state: SessionState;
  sessionId: string | null;
  sessions: SessionSummary[];
  /** The focused session is running in this window now. */
  live: boolean;
  /** The proposal the session running in this window waits on (the host says so); null or absent: none. */
  planAwaiting?: number | null;
  /** What the session running in this window asks the user now (the host says so). */
  questions?: Question[];
  post(m: WebviewMessage): void;
  /** The open agent's transcript (asked for when it is opened; undefined until it comes), and that agent. */
  transcript?: TranscriptState;
  selectedAgent?: string;
  /** Opens an agent's transcript (undefined: closes it). */
  selectAgent?(agentId: string | undefined): void;
}

export type SectionId =
  | 'header'
  | 'plan'
  | 'questions'
  | 'timeline'
  | 'tasks'
  | 'candidates'
  | 'agents'
  | 'transcript'
  | 'decisions'
  | 'incidents'
  | 'metrics'
  | 'files'
  | 'quality'
  | 'sessions';

export interface Section {
  readonly id: SectionId;
  /** Renders the section from the view (append-only sections add only what is new). */
  render(v: View): void;
  /** Forgets what was rendered (a different session was loaded). */
  reset(): void;
}

/** Sections an event changes; `all` for the events that change the session as a whole. */
export function touches(type: EventType): SectionId[] | 'all' {
  switch (type) {
    case 'session.started':
    case 'session.resumed':
    case 'session.ended':
      return 'all';
    case 'phase.started':
    case 'phase.ended':
      return ['header', 'timeline'];
    case 'plan.proposed':
    case 'plan.edited':
    case 'plan.edit_rejected':
    case 'plan.feedback':
    case 'plan.approved':
      return ['header', 'plan', 'timeline'];
    case 'plan.accepted':
      return ['header', 'plan', 'tasks', 'agents'];
    case 'task.added':
    case 'task.reassigned':
      return ['header', 'tasks', 'agents'];
    case 'decision':
      return ['decisions'];
    case 'budget.estimated':
    case 'budget.exhausted':
    case 'report.written':
    case 'report.failed':
    case 'pricing.loaded':
      return ['header'];
    case 'agent.ended':
    case 'task.completed':
    case 'task.failed':
      return ['header', 'tasks', 'agents', 'transcript'];
    case 'agent.spawned':
    case 'task.started':
    case 'task.skipped':
      return ['header', 'tasks', 'agents'];
    case 'llm.request':
      return ['header', 'agents', 'candidates']; // a candidate's step
    case 'task.escalated':
    case 'provider.switched':
      return ['tasks', 'agents', 'incidents', 'transcript'];
    case 'task.stopped':
      return ['timeline', 'tasks', 'agents', 'transcript'];
    case 'llm.response':
      return ['header', 'tasks', 'candidates', 'metrics'];
    case 'llm.error':
      return ['header', 'tasks', 'candidates', 'metrics', 'incidents', 'transcript'];
    case 'llm.retrying':
    case 'tool.called':
      return ['agents', 'candidates', 'transcript'];
    case 'agent.prompt':
    case 'agent.text':
    case 'context.compacted':
    case 'tool.failed':
    case 'tool.result':
      return ['transcript'];
    case 'agent.messaged':
      return ['timeline', 'transcript'];
    case 'file.written':
      return ['files', 'transcript'];
    case 'file.deleted':
    case 'file.changed':
      return ['files'];
    case 'review.kept':
    case 'review.reverted':
      return ['files', 'timeline'];
    case 'file.refused':
      return ['incidents', 'transcript'];
    case 'command.requested':
    case 'command.decided':
      return ['tasks', 'agents', 'candidates']; // the agent's step: waiting for approval, running
    case 'command.ran':
      return ['tasks'];
    case 'candidate.started':
    case 'candidate.copied':
    case 'candidate.finished':
    case 'candidate.judged':
    case 'candidate.chosen':
      return ['header', 'tasks', 'candidates', 'agents', 'transcript'];
    case 'mcp.called':
    case 'mcp.decided':
      return ['agents']; // the agent's step: waiting for approval, calling
    case 'mcp.server':
    case 'mcp.result':
      return [];
    case 'integration.checked':
    case 'validation.ran':
    case 'validation.skipped':
    case 'validation.consent':
      return ['quality'];
    case 'plan.rejected':
    case 'rules.loaded':
    case 'sandbox.checked':
    case 'file.writing':
      return [];
    default: {
      const unhandled: never = type;
      return unhandled;
    }
  }
}
