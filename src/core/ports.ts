// The small interfaces at the engine's edge. Everything outside src/core (SDK adapters, the VS Code
// binding, the CLI, the tests' fakes) meets the engine through these types and nothing else.

import type { TaskSpec } from './events';

/** A JSON Schema object describing a tool's arguments (the subset every provider accepts). */
export type JsonSchema = { type: 'object'; properties: Record<string, unknown>; required?: string[]; additionalProperties?: boolean };

export interface ToolSpec {
  name: string;
  description: string;
  parameters: JsonSchema;
}

export interface ToolCall {
  /** The provider's id for the call (synthesised by the adapter where the wire has none). */
  id: string;
  name: string;
  /** Parsed arguments. Adapters throw a ProviderError('bad_response') when they are not JSON. */
  arguments: Record<string, unknown>;
}

/**
 * What a provider requires back verbatim in the next turn of the same conversation (Anthropic thinking
 * blocks with their signatures, Gemini parts carrying a `thoughtSignature`). Opaque to the engine: only
 * the adapter of the same provider and model sends it back; any other ignores it (after a switch).
 */
export interface ProviderData {
  provider: string;
  model: string;
  /** The assistant turn's content blocks (Anthropic) or parts (Gemini), as the wire sent them. */
  parts: unknown[];
}

/** Our own neutral message type: no SDK's types leak into the engine. */
export type ChatMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[]; providerData?: ProviderData }
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError?: boolean };

export interface ChatRequest {
  model: string;
  system: string;
  messages: ChatMessage[];
  tools: ToolSpec[];
  maxOutputTokens: number;
  temperature?: number;
  /**
   * An opaque correlation id (e.g. `task/backend#3`), sent as the `x-ensemble-trace` header. Local
   * fakes and cassettes key their answers by it so that parallel conversations replay correctly.
   */
  trace?: string;
}

export interface Usage {
  /** Prompt tokens billed at the full input price (cache reads excluded). */
  input: number;
  output: number;
  /** Prompt tokens read from the provider's cache, where it reports them. */
  cachedInput?: number;
  /** Prompt tokens written to the provider's cache, where it reports them (Anthropic). */
  cacheWrite?: number;
}

export type StopReason = 'end' | 'tool_calls' | 'max_tokens' | 'other';

/** What a provider streams back. Text arrives in pieces; tool calls arrive whole. */
export type ChatChunk =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; call: ToolCall }
  | { type: 'usage'; usage: Usage }
  /** At most one per turn, before `end`, when the turn carried something the provider wants back. */
  | { type: 'provider_data'; data: ProviderData }
  | { type: 'end'; stopReason: StopReason; latencyMs: number };

export interface ChatProvider {
  /** The provider id used in config, events and the report: `openai`, `gemini`, `anthropic`, or a compatible endpoint's name. */
  readonly id: string;
  /**
   * Streams one model turn. Must honour `signal` (stop the request, yield nothing more) and throw only
   * ProviderError. The stream ends with exactly one `end` chunk when the turn completed.
   */
  chat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatChunk>;
}

export type ProviderErrorCode =
  | 'rate_limit'
  | 'server'
  | 'overloaded'
  | 'auth'
  | 'permission'
  | 'bad_request'
  | 'not_found'
  /** No quota, credit or spend allowance left: permanent until the user fixes billing. Never retried. */
  | 'quota'
  /** The model declined to answer; the message carries its words. Never retried on the same route. */
  | 'refusal'
  /**
   * The prompt is larger than the model's context window (OpenAI `context_length_exceeded`, Anthropic
   * "prompt is too long", Gemini "input token count … exceeds the maximum"). Not retried as it is: the
   * engine compacts the conversation and asks the same provider again.
   */
  | 'context_overflow'
  | 'timeout'
  | 'network'
  | 'stream_cut'
  | 'bad_response'
  | 'aborted';

export interface ProviderErrorInit {
  provider: string;
  code: ProviderErrorCode;
  message: string;
  status?: number;
  retryable: boolean;
  retryAfterMs?: number;
  /** Usage seen before the failure (a stream cut mid-way still cost tokens). */
  usage?: Usage;
  /** A `context_overflow`: the numbers the provider gave, when it gave them (its count of the prompt, the model's window). */
  overflow?: ContextOverflow;
  cause?: unknown;
}

/** What a provider said of a prompt too large for its model: its own token count and the window it enforces. */
export interface ContextOverflow {
  promptTokens?: number;
  window?: number;
}

/** The one error type a ChatProvider throws. */
export class ProviderError extends Error {
  readonly provider: string;
  readonly code: ProviderErrorCode;
  readonly status?: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly usage?: Usage;
  readonly overflow?: ContextOverflow;

  constructor(init: ProviderErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ProviderError';
    this.provider = init.provider;
    this.code = init.code;
    this.status = init.status;
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
    this.usage = init.usage;
    this.overflow = init.overflow;
  }
}

export function isProviderError(e: unknown): e is ProviderError {
  return e instanceof ProviderError;
}

export interface FileEntry {
  path: string;
  type: 'file' | 'dir';
  size?: number;
  /** Last modification time (ms since the epoch), where the store knows it. */
  mtimeMs?: number;
}

/** What `stat` knows of a path: enough to notice that a file changed without reading it. */
export interface FileStat {
  type: 'file' | 'dir' | 'other';
  size: number;
  mtimeMs: number;
}

/**
 * The workspace as the engine may touch it. Paths are workspace-relative with `/` separators. The
 * rules of src/core/paths.ts hold for every operation: a path that escapes the root (`..`, absolute,
 * through a symlink) or that is, or resolves to, anything inside a `.git` or `.ensemble` folder (at any
 * depth) is refused with a PathError; a path that cannot name a file there (`.`, a folder, a file used
 * as a folder, a name too long) is refused with a PathError `invalid`. Other failures (permissions, a
 * full disk) throw an Error whose message says what happened, in words a model can act on.
 */
export interface FileStore {
  /** The file's bytes; undefined when it does not exist. */
  read(path: string): Promise<Uint8Array | undefined>;
  /** Atomic: the file is either wholly the old or wholly the new content. Never leaves a temporary file in the user's folders. */
  write(path: string, data: Uint8Array | string): Promise<void>;
  remove(path: string): Promise<void>;
  /** Files under `dir` (default the root), recursively, without ignored ones; at most `limit` of them (the store's default when absent). */
  list(dir?: string, opts?: { limit?: number }): Promise<FileEntry[]>;
  /** undefined when nothing is there. */
  stat(path: string): Promise<FileStat | undefined>;
  /** Clears what an interrupted earlier run may have left behind (temporary files); called when a session starts or resumes. */
  recover?(): Promise<void>;
}

/**
 * A process to run: a program with its arguments, or (`shell`) a command line for the platform's shell
 * (`sh -c` on POSIX, `cmd.exe /d /s /c` on Windows).
 */
export interface ProcessSpec {
  command: string;
  args?: string[];
  shell?: boolean;
  /** The absolute folder it runs in. */
  cwd: string;
  /** The child's whole environment: exactly this, nothing inherited (the engine passes `childEnv`, never a key). */
  env: Record<string, string | undefined>;
  timeoutMs: number;
  /** Aborting it kills the process group. */
  signal?: AbortSignal;
  /** How many characters of the end of the output to keep (default 200 KB). */
  maxOutputChars?: number;
}

export interface ProcessResult {
  /** null when the process was killed or could not start. */
  exitCode: number | null;
  timedOut: boolean;
  /** Stopped because `signal` aborted. */
  cancelled: boolean;
  durationMs: number;
  /** The end of stdout and stderr as they arrived, terminal escapes removed; notes of a kill or a failed start at the end. */
  output: string;
  /** How many characters of output came before `output` and were dropped. */
  omittedChars: number;
}

/**
 * Runs processes (a Node adapter: src/node/command-runner.ts). The process runs in a process group of
 * its own, which is killed whole at the timeout, on abort and when the process exits, so nothing it
 * started (a server, a watcher, a grandchild) outlives it. Never throws: a process that cannot start
 * has `exitCode` null and says why in `output`.
 */
export interface CommandRunner {
  run(spec: ProcessSpec): Promise<ProcessResult>;
}

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** A plan put to the user for approval (`planApproval: "ask"`): what it does, who runs it, what it may cost. */
export interface PlanProposal {
  proposal: number;
  rationale: string;
  tasks: TaskSpec[];
  /** The configured roles (an edited task must use one of them). */
  roles: string[];
  /** Each task's route: its role's provider and model (and fallback). */
  routes: Record<string, { provider: string; model: string; fallback?: { provider: string; model: string } }>;
  /** The development cost of these tasks; null when a model has no price (`unknownModels`). */
  estimateUsd: number | null;
  unknownModels: string[];
  /** Why the user's last edit was refused (submit_plan's rules), when it was: the same plan is proposed again. */
  errors: string[];
}

/** The user's answer: approve; an edited plan (`tasks` as the user wrote them: they are validated); new feedback for the orchestrator; or cancel the session. */
export type PlanReviewAnswer = { action: 'approve' } | { action: 'edit'; tasks: unknown; rationale?: string } | { action: 'replan'; feedback: string } | { action: 'cancel'; reason?: string };

/** Asks the user about a plan; `signal` aborts when the session is cancelled meanwhile. */
export type PlanReviewer = (proposal: PlanProposal, signal: AbortSignal) => Promise<PlanReviewAnswer>;
