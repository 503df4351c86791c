// The append-only event log: one JSON line per event in `.ensemble/sessions/<id>/events.jsonl`.
// Appends are synchronous single writes, so events keep their order and a crash (even SIGKILL) leaves
// at most one partial line at the end, which the reader skips and the next writer cuts off.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { EVENT_VERSION, type EnsembleEvent, type EventBody, type EventSink } from '../events';
import { Emitter } from '../emitter';
import { systemClock, type Clock } from '../ports';
import { Redactor } from '../redact';

export const ENSEMBLE_DIR = '.ensemble';

export function sessionsDir(workspace: string): string {
  return path.join(workspace, ENSEMBLE_DIR, 'sessions');
}

export function sessionDir(workspace: string, sessionId: string): string {
  return path.join(sessionsDir(workspace), sessionId);
}

export interface ReadResult {
  events: EnsembleEvent[];
  /** Lines that were not valid events (a truncated last line after a crash, or damage). */
  skipped: number;
}

/** Parses a log's text, tolerating a truncated or damaged line. */
export function parseEvents(text: string): ReadResult {
  const events: EnsembleEvent[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as EnsembleEvent;
      if (e && typeof e === 'object' && typeof e.type === 'string' && typeof e.seq === 'number') events.push(e);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { events, skipped };
}

export function readEvents(file: string): ReadResult {
  return parseEvents(fs.readFileSync(file, 'utf8'));
}

export class EventLog implements EventSink {
  private readonly _onDidAppend = new Emitter<EnsembleEvent>();
  readonly onDidAppend = this._onDidAppend.event;
  private fd: number | undefined;
  private seq: number;

  private constructor(
    readonly file: string,
    readonly existing: EnsembleEvent[],
    private readonly clock: Clock,
    /** What every event is redacted with (the report files use the same). */
    readonly redactor: Redactor,
  ) {
    this.seq = existing.reduce((m, e) => Math.max(m, e.seq), 0);
  }

  /**
   * Opens (creating if needed) the log in `dir`, cutting off a partial last line left by a crash.
   * Every event is redacted by `redactor` (the session's secrets, and key shapes) before it is stored.
   */
  static open(dir: string, clock: Clock = systemClock, redactor: Redactor = new Redactor()): EventLog {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'events.jsonl');
    let existing: EnsembleEvent[] = [];
    if (fs.existsSync(file)) {
      const text = fs.readFileSync(file, 'utf8');
      existing = parseEvents(text).events;
      const lastNewline = text.lastIndexOf('\n');
      if (lastNewline !== text.length - 1) fs.truncateSync(file, Buffer.byteLength(text.slice(0, lastNewline + 1)));
    }
    const log = new EventLog(file, existing, clock, redactor);
    log.fd = fs.openSync(file, 'a');
    return log;
  }

  emit(body: EventBody): EnsembleEvent {
    if (this.fd === undefined) throw new Error(`event log ${this.file} is closed`);
    // Redacted before it is written AND before listeners see it: the panel and the CLI fold from them.
    const event = this.redactor.value({ ...body, v: EVENT_VERSION, seq: ++this.seq, ts: this.clock.now() } as EnsembleEvent);
    fs.writeSync(this.fd, JSON.stringify(event) + '\n');
    this._onDidAppend.fire(event);
    return event;
  }

  /** All events: those read at open plus those appended since. */
  readAll(): EnsembleEvent[] {
    return readEvents(this.file).events;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this._onDidAppend.dispose();
  }
}
