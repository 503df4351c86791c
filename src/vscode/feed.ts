// What the panel is sent: a snapshot of the focused session (the fold of its log so far: the running
// session's live state, else its state snapshot plus the log's tail — never the whole log), then its
// new events in batches (one message per `flushMs`, never one per event), the session list when it
// changes, and an agent's transcript events when the panel opens it. The events come from the log
// alone: live from the running session's `onDidAppend`, otherwise re-read from the file after a review
// decision appended to it.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { output } from './output';
import type { EnsembleEvent } from '../core/events';
import type { SessionState } from '../core/fold/state';
import { concernsAgent } from '../core/fold/transcript';
import { readEventsFrom, sessionDir } from '../core/store/log';
import { openSession } from '../core/store/state-snapshot';
import type { HostMessage, SessionSummary } from '../protocol';
import type { SessionFocus, SessionRef } from './focus';
import { listSessions } from '../core/store/sessions';
import type { SessionController } from './sessionController';

export class PanelFeed implements vscode.Disposable {
  private readonly _onDidMessage = new vscode.EventEmitter<HostMessage>();
  /** Every message for the panel, in order (the panel posts them; tests fold them). */
  readonly onDidMessage = this._onDidMessage.event;
  private readonly disposables: vscode.Disposable[] = [];
  private following: string | undefined;
  private lastSeq = 0;
  /** Bytes of the followed session's log already read (or followed live). */
  private readBytes = 0;
  private pending: EnsembleEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private live: { dispose(): void } | undefined;
  private known = new Map<string, SessionRef>();
  /** The followed session's agents whose transcript events were read: read once, then only the log's new lines. */
  private transcripts = new Map<string, { bytes: number; seq: number; events: EnsembleEvent[] }>();

  constructor(
    private readonly focus: SessionFocus,
    private readonly controller: SessionController,
    private readonly workspaces: () => string[],
    private readonly flushMs = 100,
  ) {
    this.disposables.push(
      focus.onDidChange(() => this.follow()),
      // A session resumed while it had the focus already: follow it live from now on.
      controller.onDidStart((a) => {
        if (this.focus.ref?.sessionId === a.ref.sessionId && !this.live) this.follow();
      }),
      controller.onDidEnd(() => {
        this.flush();
        // The ended session's log is closed: drop its subscription, so that resuming the focused
        // session in this window follows it live again (the check in onDidStart above).
        this.live?.dispose();
        this.live = undefined;
        this.refresh();
      }),
    );
  }

  /**
   * The focused session's state now and the seq it covers, and the session list (for a panel that just
   * loaded). Batches already on their way may repeat some of its events: the panel skips what it has (by `seq`).
   */
  snapshot(): Extract<HostMessage, { type: 'snapshot' }> {
    const ref = this.focus.ref;
    const { state, seq } = ref ? this.open(ref) : { state: null, seq: 0 };
    return { type: 'snapshot', sessionId: ref?.sessionId ?? null, state, seq, sessions: this.sessions() };
  }

  /** The fold of the session's log so far; remembers where it ends. */
  private open(ref: SessionRef): { state: SessionState | null; seq: number } {
    const active = this.controller.active;
    if (active?.ref.sessionId === ref.sessionId) {
      // The running session's own fold, kept in step with its log on every append: a copy, as it goes on changing.
      this.readBytes = active.handle.log.bytes;
      return { state: structuredClone(active.handle.state), seq: active.handle.log.lastSeq };
    }
    try {
      const opened = openSession(sessionDir(ref.workspace, ref.sessionId));
      this.readBytes = opened.logBytes;
      return { state: opened.state, seq: opened.seq };
    } catch (e) {
      output.warn(`Could not read the log of session ${ref.sessionId}`, e);
      return { state: null, seq: 0 };
    }
  }

  /**
   * The events agent `agentId`'s transcript folds, through the log's end now (the panel asked as it
   * opened it; later ones come in the batches). Undefined when that session is no longer followed.
   */
  transcript(sessionId: string, agentId: string): Extract<HostMessage, { type: 'transcript' }> | undefined {
    const ref = this.focus.ref;
    if (!ref || ref.sessionId !== sessionId || sessionId !== this.following) return undefined;
    const cached = this.transcripts.get(agentId) ?? { bytes: 0, seq: 0, events: [] };
    try {
      // The running session's log too: every event is written to the file before anyone hears of it.
      const r = readEventsFrom(path.join(sessionDir(ref.workspace, ref.sessionId), 'events.jsonl'), cached.bytes);
      for (const e of r.events) {
        if (e.seq <= cached.seq) continue;
        cached.seq = e.seq;
        if (concernsAgent(e, agentId)) cached.events.push(e);
      }
      cached.bytes = r.end;
    } catch (e) {
      output.warn(`Could not read the log of session ${ref.sessionId}`, e);
    }
    this.transcripts.set(agentId, cached);
    return { type: 'transcript', sessionId, agentId, seq: cached.seq, events: cached.events };
  }

  /** Starts following the focused session: a snapshot, then its new events in batches. */
  private follow(): void {
    this.stopFollowing();
    const ref = this.focus.ref;
    const active = this.controller.active;
    if (ref && active?.ref.sessionId === ref.sessionId) {
      const log = active.handle.log;
      this.live = log.onDidAppend((e) => {
        this.readBytes = log.bytes;
        this.push(e);
      });
    }
    const message = this.snapshot();
    this.following = ref?.sessionId;
    this.transcripts.clear();
    this.lastSeq = message.seq;
    this._onDidMessage.fire(message);
  }

  /** The focused session's events from byte `from` of its log on; remembers where they end. */
  private read(ref: SessionRef, from: number): EnsembleEvent[] {
    try {
      const r = readEventsFrom(path.join(sessionDir(ref.workspace, ref.sessionId), 'events.jsonl'), from);
      this.readBytes = r.end;
      return r.events;
    } catch (e) {
      output.warn(`Could not read the log of session ${ref.sessionId}`, e);
      return [];
    }
  }

  /** Picks up events appended to the focused session's log by someone else (a review decision): only the log's new lines are read. */
  refresh(): void {
    const ref = this.focus.ref;
    if (ref && ref.sessionId === this.following && !this.isLive(ref)) {
      for (const e of this.read(ref, this.readBytes)) this.push(e);
      this.flush();
    }
    this._onDidMessage.fire({ type: 'sessions', sessions: this.sessions() });
  }

  /** Sessions of the workspace folders (and of the focused session's folder, e.g. the demo's). */
  sessions(): SessionSummary[] {
    const folders = [...this.workspaces()];
    if (this.focus.ref) folders.push(this.focus.ref.workspace);
    const liveId = this.controller.active?.ref.sessionId;
    const listed = listSessions(folders);
    this.known = new Map(listed.map((s) => [s.sessionId, { workspace: s.workspace, sessionId: s.sessionId }]));
    return listed.map((s) => ({ ...s.summary, live: s.sessionId === liveId }));
  }

  /** The session behind an id the panel sent (only ids it was listed). */
  lookup(sessionId: string): SessionRef | undefined {
    return this.known.get(sessionId);
  }

  /** Sends the events waiting in the current batch now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.length || !this.following) return;
    const events = this.pending;
    this.pending = [];
    this._onDidMessage.fire({ type: 'events', sessionId: this.following, events });
  }

  private isLive(ref: SessionRef): boolean {
    return this.controller.active?.ref.sessionId === ref.sessionId;
  }

  private push(e: EnsembleEvent): void {
    if (e.seq <= this.lastSeq) return;
    this.lastSeq = e.seq;
    this.pending.push(e);
    this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  private stopFollowing(): void {
    this.live?.dispose();
    this.live = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }

  dispose(): void {
    this.stopFollowing();
    for (const d of this.disposables) d.dispose();
    this._onDidMessage.dispose();
  }
}
