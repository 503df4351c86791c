// The append-only event log: one JSON line per event in `.ensemble/sessions/<id>/events.jsonl`.
// Appends are synchronous single writes, so events keep their order and a crash (even SIGKILL) leaves
// at most one partial line at the end, which the reader skips and the next writer cuts off.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { EVENT_VERSION, type EnsembleEvent, type EventBody, type EventSink } from '../events';
import { Emitter } from '../emitter';
import { systemClock, type Clock } from '../ports';
import { Redactor } from '../redact';
import { diskFullError, type DiskFullError } from './disk';

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

const isEvent = (e: unknown): e is EnsembleEvent =>
  !!e && typeof e === 'object' && typeof (e as EnsembleEvent).type === 'string' && typeof (e as EnsembleEvent).seq === 'number';

/** Parses a log's text, tolerating a truncated or damaged line. */
export function parseEvents(text: string): ReadResult {
  const lines = text.split('\n').filter((l) => l.trim());
  // One parse of the whole log is faster than one per line; a damaged line makes it fail, and then
  // (or when a line held more than one value) the lines are parsed one by one.
  try {
    const all = JSON.parse(`[${lines.join(',')}]`) as unknown[];
    if (all.length === lines.length) {
      const events = all.filter(isEvent);
      return { events, skipped: all.length - events.length };
    }
  } catch {
    // parsed line by line below
  }
  const events: EnsembleEvent[] = [];
  let skipped = 0;
  for (const line of lines) {
    try {
      const e = JSON.parse(line) as unknown;
      if (isEvent(e)) events.push(e);
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

/**
 * The events in the complete lines of `file` from byte `from` on; `end` is the byte after the last of
 * them, `size` the file's (larger when it ends with a partial line: a crash, or a write under way).
 */
export function readEventsFrom(file: string, from: number): ReadResult & { end: number; size: number } {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= from) return { events: [], skipped: 0, end: from, size };
    const buf = Buffer.allocUnsafe(size - from);
    const n = fs.readSync(fd, buf, 0, buf.length, from);
    const nl = buf.subarray(0, n).lastIndexOf(10);
    // a line still being written (no newline yet) is left for the next read
    return { ...parseEvents(buf.toString('utf8', 0, nl + 1)), end: from + nl + 1, size };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The end of the last complete line at or before byte `end` of the open file `fd`, and the last
 * valid event before it, read backwards a growing chunk at a time: a long log is never read whole.
 */
export function lastEvent(fd: number, end: number): { end: number; last?: EnsembleEvent } {
  for (let span = 1 << 16; ; span *= 4) {
    const start = Math.max(0, end - span);
    const buf = Buffer.allocUnsafe(end - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    const nl = buf.lastIndexOf(10);
    if (nl < 0 && start > 0) continue;
    const lineEnd = nl < 0 ? 0 : start + nl + 1;
    // Complete lines only: before `start` the first one may have begun (a newline byte never occurs inside a UTF-8 character).
    const from = start === 0 ? 0 : buf.indexOf(10) + 1;
    const lines = from <= nl ? buf.toString('utf8', from, nl + 1).split('\n') : [];
    for (let i = lines.length - 1; i >= 0; i--) {
      const e = parseEvents(lines[i]!).events[0];
      if (e) return { end: lineEnd, last: e };
    }
    if (start === 0) return { end: lineEnd };
  }
}

export class EventLog implements EventSink {
  private readonly _onDidAppend = new Emitter<EnsembleEvent>();
  readonly onDidAppend = this._onDidAppend.event;
  /** An event could not be written because the disk is full (the event is not in the log; `emit` throws the same error). */
  private readonly _onDiskFull = new Emitter<DiskFullError>();
  readonly onDiskFull = this._onDiskFull.event;
  private fd: number | undefined;
  private _existing: EnsembleEvent[] | undefined;
  /** Bytes of the log through its last complete line (what a reader of the file would fold). */
  private _bytes: number;

  private constructor(
    readonly file: string,
    /** The log's size when it was opened: `existing` is what it held. */
    private readonly openedBytes: number,
    private seq: number,
    private readonly clock: Clock,
    /** What every event is redacted with (the report files use the same). */
    readonly redactor: Redactor,
  ) {
    this._bytes = openedBytes;
  }

  /**
   * Opens (creating if needed) the log in `dir`, cutting off a partial last line left by a crash. Only
   * the log's end is read (for the last seq): a resume reads `existing`, a review decision never does.
   * Every event is redacted by `redactor` (the session's secrets, and key shapes) before it is stored.
   */
  static open(dir: string, clock: Clock = systemClock, redactor: Redactor = new Redactor()): EventLog {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'events.jsonl');
    const fd = fs.openSync(file, 'a+');
    try {
      const size = fs.fstatSync(fd).size;
      const { end, last } = lastEvent(fd, size);
      if (end !== size) fs.ftruncateSync(fd, end);
      const log = new EventLog(file, end, last?.seq ?? 0, clock, redactor);
      log.fd = fd;
      return log;
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  /** The events the log held when it was opened (read on first use). */
  get existing(): EnsembleEvent[] {
    if (!this._existing) {
      const buf = Buffer.allocUnsafe(this.openedBytes);
      const fd = fs.openSync(this.file, 'r');
      try {
        fs.readSync(fd, buf, 0, buf.length, 0);
      } finally {
        fs.closeSync(fd);
      }
      this._existing = parseEvents(buf.toString('utf8')).events;
    }
    return this._existing;
  }

  /** Bytes of the log through the last event written (an offset to read new events from). */
  get bytes(): number {
    return this._bytes;
  }

  /** The seq of the last event written (0: none). */
  get lastSeq(): number {
    return this.seq;
  }

  emit(body: EventBody): EnsembleEvent {
    if (this.fd === undefined) throw new Error(`event log ${this.file} is closed`);
    // Redacted before it is written AND before listeners see it: the panel and the CLI fold from them.
    // Most events hold nothing a secret could be in: the line is checked once, and only walked if it might.
    let event = { ...body, v: EVENT_VERSION, seq: ++this.seq, ts: this.clock.now() } as EnsembleEvent;
    let line = JSON.stringify(event);
    if (this.redactor.mayHold(line)) {
      event = this.redactor.value(event);
      line = JSON.stringify(event);
    }
    const text = line + '\n';
    let written = 0;
    try {
      written = fs.writeSync(this.fd, text);
      const size = Buffer.byteLength(text);
      if (written < size) {
        // The system took part of it (a disk filling up): the rest, or the error that stops it.
        const bytes = Buffer.from(text);
        while (written < size) written += fs.writeSync(this.fd, bytes, written);
      }
      this._bytes += size;
    } catch (e) {
      this.seq--;
      // Half a line would glue the next event to it: what was written of it is cut off again.
      if (written > 0) {
        try {
          fs.ftruncateSync(this.fd, fs.fstatSync(this.fd).size - written);
        } catch {
          // the next open cuts a partial last line off
        }
      }
      const full = diskFullError(e, path.dirname(this.file), 'the event log');
      if (full) this._onDiskFull.fire(full);
      throw full ?? e;
    }
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
    this._onDiskFull.dispose();
  }
}
