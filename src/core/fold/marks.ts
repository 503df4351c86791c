// The timeline's marks: what the user did and when the session was resumed, placed between the phases
// (the panel's timeline and the report read them).

import type { EnsembleEvent } from '../events';
import type { SessionState } from './state';

/** A user action or a resume, shown on the timeline between the phases. */
export interface TimelineMark {
  seq: number;
  ts: number;
  kind: 'resumed' | 'message' | 'stop' | 'kept' | 'reverted';
  text: string;
  /** How many phases had started before it: it goes after `phases[atPhase - 1]`. */
  atPhase: number;
}

/** Adds a mark for event `e`, after the phases started so far. */
export function mark(s: SessionState, e: EnsembleEvent, kind: TimelineMark['kind'], text: string): void {
  s.timelineMarks.push({ seq: e.seq, ts: e.ts, kind, text, atPhase: s.phases.length });
}
