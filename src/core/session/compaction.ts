// Conversations that never overflow. Each model's context window comes from the configuration (a
// binding's `contextWindow`), else the price library's data, else a conservative default; a provider
// that refuses a prompt as too long teaches the engine its real window for the rest of the run.
//
// Before each request the agent loop asks the Compactor to fit its conversation. Near the window (the
// window less the answer's room, `maxOutputTokens`, and a margin) it compacts, in this order, until the
// prompt fits: (1) the oldest tool results (and long tool-call arguments, such as a written file's
// content, in turns that carry no provider data) are elided to one line saying what they were; (2) the older turns are summarised by the same
// model (a model call like any other: reserved against the budget, billed, logged); (3) the results of
// the latest turns are elided too, the last turn's largest first with a note to read them in parts. The
// system prompt (with the project rules) and the task are never touched, and the latest turns stay
// whole as long as anything else can go. Whole turns are replaced, never half of one, so an assistant
// turn with tool calls is always followed by its results, for every provider. Each compaction is a
// `context.compacted` event. When even the task and the latest turn cannot fit, ContextTooLargeError.

import type { EventSink, ModelRef } from '../events';
import type { ChatMessage, ToolCall, ToolSpec } from '../ports';
import { configuredWindows, type EngineConfig } from '../config';
import { estimateTokens } from '../money/budget';
import { ContextOverflowError, messageLength, promptLength, type ModelCaller } from './caller';
import { CONTINUE_NUDGE } from './prompts';

/** The window assumed for a model that neither the configuration nor the price library knows: the smallest of today's large models. */
export const DEFAULT_CONTEXT_WINDOW = 128_000;

export type WindowSource = 'config' | 'library' | 'default' | 'provider';

/** The context window of each model a session calls: the user's, the library's, a default; lowered by what providers say. */
export class ContextWindows {
  private readonly configured: Map<string, number>;
  private readonly learned = new Map<string, number>();

  constructor(
    config: Pick<EngineConfig, 'orchestrator' | 'roles'>,
    private readonly library: (ref: ModelRef) => number | undefined = () => undefined,
  ) {
    this.configured = configuredWindows(config);
  }

  /** The window in tokens, and where it comes from (`provider`: learned from a provider's refusal in this run). */
  of(ref: ModelRef): { tokens: number; source: WindowSource } {
    const key = `${ref.provider}/${ref.model}`;
    const user = this.configured.get(key);
    const lib = user === undefined ? this.library(ref) : undefined;
    const base: { tokens: number; source: WindowSource } =
      user !== undefined
        ? { tokens: user, source: 'config' }
        : lib !== undefined
          ? { tokens: lib, source: 'library' }
          : { tokens: DEFAULT_CONTEXT_WINDOW, source: 'default' };
    const learned = this.learned.get(key);
    return learned !== undefined && learned < base.tokens ? { tokens: learned, source: 'provider' } : base;
  }

  /** What a provider's refusal says the model takes (only ever lowers the window). */
  learn(ref: ModelRef, tokens: number): void {
    const key = `${ref.provider}/${ref.model}`;
    const t = Math.max(1, Math.floor(tokens));
    this.learned.set(key, Math.min(this.learned.get(key) ?? Infinity, t));
  }
}

/** The conversation cannot be made to fit: the system prompt, the task and the latest turn alone are too large. */
export class ContextTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContextTooLargeError';
  }
}

/** Share of the window kept free as a margin for the estimate's error. */
const MARGIN = 0.05;
/** Once compacting, down to this share of the limit: room for the next few turns before compacting again. */
const TARGET = 0.6;
/** Results (and tool-call arguments) shorter than this stay: their one-line note would save little. */
const MIN_ELIDE_CHARS = 400;
/** The latest turns (an assistant turn and its results) kept whole while older ones can go. */
const KEEP_TURNS = 2;
/** The most a summary may be. */
const SUMMARY_TOKENS = 1024;
/** What one message may bring to the summariser's transcript. */
const TRANSCRIPT_MESSAGE_CHARS = 3000;

const ELIDED = '[elided';

export const SUMMARY_SYSTEM = [
  "You write the working notes of an AI agent whose conversation has outgrown its model's context window. The notes replace the older part of the conversation: the agent carries on from them alone.",
  'Say what has been done (files read, written or changed, commands run and what they showed), what was learned that is still needed (paths, names, interfaces, line numbers, decisions, errors to avoid), and what remains to do.',
  `Be specific and brief: at most ${Math.round(SUMMARY_TOKENS * 0.6)} words. Do not call tools; answer with the notes only.`,
].join(' ');

export interface CompactorSpec {
  agentId: string;
  taskId?: string;
  system: string;
  tools: ToolSpec[];
  /** How many messages at the start are the task (never compacted). */
  head: number;
  maxOutputTokens: number;
  /** The conversation's trace key (`task/<id>`): the summary call is `summary/<trace>#<turn>`. */
  trace: string;
}

export interface CompactorDeps {
  caller: ModelCaller;
  sink: EventSink;
  windows: ContextWindows;
  signal?: AbortSignal;
}

/** One agent's conversation kept within its model's window. */
export class Compactor {
  /** The summary block last appended to the task's message, to replace when summarising again. */
  private summaryBlock: string | undefined;
  private head: number;

  constructor(
    private readonly spec: CompactorSpec,
    private readonly deps: CompactorDeps,
  ) {
    this.head = spec.head;
  }

  /** The prompt's budget on `route`: the window, the most a prompt may be (`limit`) and what compacting aims for (`target`). */
  budget(route: ModelRef): { window: number; limit: number; target: number } {
    const window = this.deps.windows.of(route).tokens;
    const answer = Math.min(this.spec.maxOutputTokens, Math.floor(window / 2));
    const limit = Math.max(1, window - answer - Math.ceil(window * MARGIN));
    return { window, limit, target: Math.floor(limit * TARGET) };
  }

  /** The prompt's estimated tokens with these messages. */
  tokens(messages: readonly ChatMessage[]): number {
    return estimateTokens(promptLength({ system: this.spec.system, tools: this.spec.tools, messages }));
  }

  /**
   * Compacts `messages` in place until the prompt fits `route`'s window (nothing when it fits already).
   * Throws ContextTooLargeError when it cannot; a failed summary call throws as any call does.
   */
  async fit(messages: ChatMessage[], route: ModelRef, turn: number, trigger: 'estimate' | 'provider' = 'estimate'): Promise<void> {
    const { window, limit, target } = this.budget(route);
    const start = this.tokens(messages);
    if (start <= limit) return;
    const event = (how: 'elided' | 'summarised', before: number, after: number, count: number, summary?: string) =>
      this.deps.sink.emit({
        type: 'context.compacted',
        agentId: this.spec.agentId,
        taskId: this.spec.taskId,
        provider: route.provider,
        model: route.model,
        window,
        tokensBefore: before,
        tokensAfter: after,
        how,
        messages: count,
        trigger,
        ...(summary === undefined ? {} : { summary }),
      });

    // 1. Old tool results (outside the latest turns), oldest first, down to the target.
    const keepFrom = this.keepFrom(messages);
    const old = this.elide(messages, this.head, keepFrom, target, false);
    let tokens = this.tokens(messages);
    if (old) event('elided', start, tokens, old);
    if (tokens <= limit) return;

    // 2. A summary of the older turns, by the same model.
    const before = tokens;
    const summarised = await this.summarise(messages, route, turn, window);
    if (summarised) {
      tokens = this.tokens(messages);
      event('summarised', before, tokens, summarised.count, summarised.text);
      if (tokens <= limit) return;
    }

    // 3. The latest turns' results too: the older ones first, then the last turn's largest.
    const recentBefore = tokens;
    const from = this.keepFrom(messages);
    const last = this.lastTurn(messages);
    let count = this.elide(messages, from, last, limit, false);
    if (this.tokens(messages) > limit) count += this.elide(messages, last, messages.length, limit, true);
    tokens = this.tokens(messages);
    if (count) event('elided', recentBefore, tokens, count);
    if (tokens > limit) {
      throw new ContextTooLargeError(
        `the conversation does not fit ${route.provider}/${route.model}'s context window of ${window.toLocaleString('en')} tokens: the system prompt, the task and the latest turn alone need about ${tokens.toLocaleString('en')} tokens, with ${Math.min(this.spec.maxOutputTokens, Math.floor(window / 2)).toLocaleString('en')} kept for the answer`,
      );
    }
  }

  /**
   * The provider refused the prompt as too long: learn the window it enforces (in the engine's estimate,
   * scaled when the provider counted more tokens than the engine estimated), so that the next fit compacts.
   */
  overflowed(e: ContextOverflowError): void {
    const sent = e.promptTokens;
    const { window, promptTokens } = e.error.overflow ?? {};
    if (window) this.deps.windows.learn(e.route, promptTokens && promptTokens > sent ? (window * sent) / promptTokens : window);
    // Whatever it said (or when it gave no numbers), the next prompt must be smaller than the one refused.
    if (this.budget(e.route).limit >= sent) this.deps.windows.learn(e.route, this.windowFor(Math.floor(0.85 * sent)));
  }

  /** The smallest window whose limit (see budget) is `limit`. */
  private windowFor(limit: number): number {
    const withAnswer = (limit + this.spec.maxOutputTokens) / (1 - MARGIN);
    return Math.ceil(this.spec.maxOutputTokens <= withAnswer / 2 ? withAnswer : limit / (0.5 - MARGIN));
  }

  /** Where the latest KEEP_TURNS turns begin (each turn begins with an assistant message). */
  private keepFrom(messages: readonly ChatMessage[]): number {
    const starts: number[] = [];
    for (let i = this.head; i < messages.length; i++) if (messages[i]!.role === 'assistant') starts.push(i);
    return starts.length >= KEEP_TURNS ? starts[starts.length - KEEP_TURNS]! : (starts[0] ?? messages.length);
  }

  private lastTurn(messages: readonly ChatMessage[]): number {
    for (let i = messages.length - 1; i >= this.head; i--) if (messages[i]!.role === 'assistant') return i;
    return messages.length;
  }

  /**
   * Elides tool results and long tool-call arguments in [from, to) until the prompt is at most `until`
   * tokens: oldest first, or (`largestFirst`, the last turn) largest first with a note to read in parts.
   * Returns how many messages it changed.
   */
  private elide(messages: ChatMessage[], from: number, to: number, until: number, largestFirst: boolean): number {
    const calls = new Map<string, ToolCall>();
    for (const m of messages) if (m.role === 'assistant') for (const c of m.toolCalls ?? []) calls.set(c.id, c);
    const order: number[] = [];
    for (let i = from; i < to; i++) if (elidable(messages[i]!)) order.push(i);
    if (largestFirst) order.sort((a, b) => messageLength(messages[b]!) - messageLength(messages[a]!));
    let chars = promptLength({ system: this.spec.system, tools: this.spec.tools, messages });
    let count = 0;
    for (const i of order) {
      if (estimateTokens(chars) <= until) break;
      const m = messages[i]!;
      // An elided result keeps no image.
      const next =
        m.role === 'tool'
          ? { role: m.role, toolCallId: m.toolCallId, name: m.name, isError: m.isError, content: elidedResult(m, calls.get(m.toolCallId), largestFirst) }
          : m.role === 'assistant'
            ? elidedArguments(m)
            : m;
      chars += messageLength(next) - messageLength(m);
      messages[i] = next;
      count++;
    }
    return count;
  }

  /** Replaces the turns before the latest ones with a summary the model writes; undefined when there is nothing worth it or the call could not be made to fit. */
  private async summarise(messages: ChatMessage[], route: ModelRef, turn: number, window: number): Promise<{ count: number; text: string } | undefined> {
    const from = this.head;
    const to = this.keepFrom(messages);
    if (to - from < 2) return undefined;
    const range = messages.slice(from, to);
    if (estimateTokens(range.reduce((n, m) => n + messageLength(m), 0)) < SUMMARY_TOKENS * 1.5) return undefined;
    const maxOut = Math.min(this.spec.maxOutputTokens, SUMMARY_TOKENS);
    // The summariser's own request must fit: its transcript keeps the most recent part when it is longer.
    const room = Math.max(2000, (window - maxOut - Math.ceil(window * MARGIN)) * 3 - SUMMARY_SYSTEM.length - 1000);
    const request = summaryRequest(this.summaryBlock, range, room);
    let text: string;
    try {
      const r = await this.deps.caller.call(
        route,
        { system: SUMMARY_SYSTEM, messages: [{ role: 'user', content: request }], tools: [], maxOutputTokens: maxOut },
        { agentId: this.spec.agentId, taskId: this.spec.taskId, trace: `summary/${this.spec.trace}#${turn}`, signal: this.deps.signal, quiet: true },
      );
      text = r.text.trim();
    } catch (e) {
      if (!(e instanceof ContextOverflowError)) throw e;
      this.overflowed(e);
      return undefined;
    }
    if (!text) return undefined;
    // The user's notes, verbatim (the engine's own nudge, to which a note may have been added, is not one).
    const notes = range.flatMap((m) =>
      m.role !== 'user' ? [] : m.content.startsWith(CONTINUE_NUDGE) ? [m.content.slice(CONTINUE_NUDGE.length).trim()].filter(Boolean) : [m.content],
    );
    const block = [
      `Summary of your earlier work on this task, written by you when the conversation outgrew the model's context window (it replaces ${to - from} earlier messages; read files again where you need their exact content):`,
      text,
      ...(notes.length ? ['The user said during that work (verbatim):', ...notes] : []),
    ].join('\n\n');
    const anchor = messages[from - 1];
    if (anchor?.role === 'user') {
      const base =
        this.summaryBlock !== undefined && anchor.content.endsWith(`\n\n${this.summaryBlock}`)
          ? anchor.content.slice(0, -(this.summaryBlock.length + 2))
          : anchor.content;
      messages[from - 1] = { role: 'user', content: `${base}\n\n${block}` };
      messages.splice(from, to - from);
    } else {
      messages.splice(from, to - from, { role: 'user', content: block });
      this.head++;
    }
    this.summaryBlock = block;
    return { count: to - from, text };
  }
}

/**
 * A tool result, or an assistant turn's tool calls with long arguments. Not a turn that carries provider
 * data (thinking blocks, thought signatures): the provider wants it back unchanged (Gemini checks the
 * signatures of every call since the last user text), so only a summary can replace it, whole.
 */
function elidable(m: ChatMessage): boolean {
  if (m.role === 'tool') return (m.content.length >= MIN_ELIDE_CHARS || !!m.images?.length) && !m.content.startsWith(ELIDED);
  if (m.role === 'assistant') return !m.providerData && (m.toolCalls ?? []).some((c) => hasLongString(c.arguments));
  return false;
}

function hasLongString(v: unknown): boolean {
  if (typeof v === 'string') return v.length >= MIN_ELIDE_CHARS && !v.startsWith(ELIDED);
  if (Array.isArray(v)) return v.some(hasLongString);
  if (v && typeof v === 'object') return Object.values(v).some(hasLongString);
  return false;
}

function shortenStrings(v: unknown): unknown {
  if (typeof v === 'string')
    return v.length >= MIN_ELIDE_CHARS && !v.startsWith(ELIDED)
      ? `${ELIDED}: ${v.length.toLocaleString('en')} characters, to keep the conversation within the model's context window]`
      : v;
  if (Array.isArray(v)) return v.map(shortenStrings);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shortenStrings(x)]));
  return v;
}

/** An assistant turn with its long argument strings (a written file's content, an edit's text) elided. */
function elidedArguments(m: Extract<ChatMessage, { role: 'assistant' }>): ChatMessage {
  return { ...m, toolCalls: (m.toolCalls ?? []).map((c) => ({ ...c, arguments: shortenStrings(c.arguments) as Record<string, unknown> })) };
}

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? undefined : JSON.stringify(v));

/** What a tool call was, in a few words: `read_file src/app.js lines 10–80`. */
export function describeCall(name: string, args: Record<string, unknown> = {}): string {
  switch (name) {
    case 'read_file': {
      const range =
        args.startLine !== undefined || args.endLine !== undefined ? ` lines ${str(args.startLine) ?? 1}–${str(args.endLine) ?? 'end'}` : ' (whole file)';
      return `read_file ${str(args.path) ?? '?'}${range}`;
    }
    case 'search_files':
      return `search_files "${(str(args.pattern) ?? '').slice(0, 80)}"${args.path ? ` in ${str(args.path)}` : ''}${args.glob ? ` (${str(args.glob)})` : ''}`;
    case 'list_files':
      return `list_files ${str(args.path) ?? '.'}`;
    case 'run_command':
      return `run_command \`${(str(args.command) ?? '').slice(0, 120)}\``;
    default: {
      const json = JSON.stringify(args);
      return `${name} ${json.length > 120 ? `${json.slice(0, 119)}…` : json}`;
    }
  }
}

const AGAIN: Record<string, string> = {
  read_file: 'read it again if you need it',
  search_files: 'search again if you need it',
  list_files: 'list it again if you need it',
  run_command: 'run the command again only if you need its output and it is safe to',
};

/** A tool result as one line: what it was (tool, path, lines, size), and how to get it again. */
function elidedResult(m: Extract<ChatMessage, { role: 'tool' }>, call: ToolCall | undefined, tooLarge: boolean): string {
  const what = describeCall(m.name, call?.arguments);
  const lines = m.content.split('\n').length;
  const size = `${lines.toLocaleString('en')} line${lines === 1 ? '' : 's'}, ${m.content.length.toLocaleString('en')} characters${m.isError ? ', an error' : ''}`;
  if (tooLarge)
    return `${ELIDED}: ${what} returned ${size}: too large for the model's context window with the rest of the conversation; ${m.name === 'read_file' ? 'read it in smaller parts (startLine/endLine)' : 'ask for less at a time'}]`;
  return `${ELIDED} to keep the conversation within the model's context window: ${what} returned ${size}; ${AGAIN[m.name] ?? 'call the tool again if you need it'}]`;
}

const cut = (text: string, n: number) => (text.length > n ? `${text.slice(0, n)}… (${(text.length - n).toLocaleString('en')} more characters)` : text);

/** The summariser's request: the notes so far, then the turns to summarise as a transcript (its most recent `room` characters). */
function summaryRequest(previous: string | undefined, range: readonly ChatMessage[], room: number): string {
  const lines = range.map((m) => {
    if (m.role === 'user') return `USER: ${cut(m.content, TRANSCRIPT_MESSAGE_CHARS)}`;
    if (m.role === 'tool') return `RESULT of ${m.name}${m.isError ? ' (error)' : ''}: ${cut(m.content, TRANSCRIPT_MESSAGE_CHARS)}`;
    const calls = (m.toolCalls ?? []).map((c) => `CALL ${cut(`${c.name} ${JSON.stringify(c.arguments)}`, 600)}`);
    return [m.content ? `AGENT: ${cut(m.content, TRANSCRIPT_MESSAGE_CHARS)}` : '', ...calls].filter(Boolean).join('\n');
  });
  let transcript = lines.join('\n\n');
  const head = previous ? `Your notes so far (from an earlier summary):\n${cut(previous, 8000)}\n\n` : '';
  const space = Math.max(1000, room - head.length);
  if (transcript.length > space) transcript = `(… the oldest part is cut)\n${transcript.slice(transcript.length - space)}`;
  return `${head}The conversation to summarise:\n\n${transcript}\n\nWrite the notes now.`;
}
