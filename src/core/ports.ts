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

/** An image a tool returned (an MCP server's): adapters whose provider takes images in tool results send it, the others a note. */
export interface ToolImage {
  mimeType: string;
  /** Base64. */
  data: string;
}

/** Our own neutral message type: no SDK's types leak into the engine. */
export type ChatMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[]; providerData?: ProviderData }
  | { role: 'tool'; toolCallId: string; name: string; content: string; isError?: boolean; images?: ToolImage[] };

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
  /**
   * The provider reports no usage (VS Code's language models): the adapter counted these tokens with the
   * model's own tokenizer on what it sent and received. Counted, not billed.
   */
  counted?: boolean;
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
  /** Last change of content or metadata (see FileStat), where the store knows it. */
  ctimeMs?: number;
}

/** What `stat` knows of a path: enough to notice that a file changed without reading it. */
export interface FileStat {
  type: 'file' | 'dir' | 'other';
  size: number;
  mtimeMs: number;
  /**
   * Last change of the file's content or metadata (ms since the epoch), where the store knows it: unlike
   * the modification time, no program can set it back, so it tells whether a file changed since a moment.
   */
  ctimeMs?: number;
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
  /**
   * Atomic: the file is either wholly the old or wholly the new content. Never leaves a temporary file in
   * the user's folders. With `expect`, the file is replaced only if it holds exactly those bytes (null: it
   * does not exist) at the moment it is replaced; otherwise it is left as it is (also when someone saves
   * it while it is being replaced) and a WriteConflictError is thrown.
   */
  write(path: string, data: Uint8Array | string, opts?: { expect?: Uint8Array | null }): Promise<void>;
  remove(path: string): Promise<void>;
  /**
   * Files under `dir` (default the root), recursively, without ignored ones; at most `limit` of them (the
   * store's default when absent); with `depth`, only files at most that many levels below `dir` (1: the
   * files directly in it), and no folder deeper is read.
   */
  list(dir?: string, opts?: { limit?: number; depth?: number }): Promise<FileEntry[]>;
  /** undefined when nothing is there. */
  stat(path: string): Promise<FileStat | undefined>;
  /** Clears what an interrupted earlier run may have left behind (temporary files); called when a session starts or resumes. */
  recover?(): Promise<void>;
  /**
   * The file system's own clock now (ms since the epoch, as its change times count): a file whose change
   * time is not earlier changed after this moment. Absent: the store cannot tell.
   */
  clock?(): Promise<number>;
}

/** The file changed between the check and the write: nothing was written, the file on disk was kept. */
export class WriteConflictError extends Error {
  constructor(readonly path: string) {
    super(`${path} changed on disk while it was being written; the version on disk was kept.`);
    this.name = 'WriteConflictError';
  }
}

/** A file that changed while something ran, with its bytes before where they are known. */
export interface FileChange {
  path: string;
  change: 'created' | 'modified' | 'deleted';
  /** Its bytes before the change (absent for a created file, or when they were not kept). */
  before?: Uint8Array;
  /** false: the file existed, but its bytes before were not kept (too large), so it cannot be reverted. */
  beforeKnown: boolean;
}

/** Opaque: the workspace's state at one moment, for `ChangeTracker.since`. */
export interface ChangeMark {
  readonly at: number;
}

/**
 * Tells which workspace files changed while something ran (a command), and what they held before, at a
 * cost that grows with the change rather than with the workspace where it can (the Node adapter:
 * src/node/changes.ts — git's index and objects with a file watcher; src/core/store/workspace-snapshot.ts
 * compares two listings where nothing better exists). Files the store ignores (.gitignore,
 * node_modules, .git, .ensemble) are not reported.
 */
export interface ChangeTracker {
  /** How it works, for the log and the report (e.g. `git+watch`, `scan`). */
  readonly kind: string;
  /** The workspace now: everything done before this resolves counts as before. */
  mark(): Promise<ChangeMark>;
  /**
   * What changed since `mark`, sorted by path; `touched`: files written since then whose bytes did not
   * change (`touch`, a formatter that found nothing to do).
   */
  since(mark: ChangeMark): Promise<{ changes: FileChange[]; touched: string[] }>;
  /** Stops watching; called when the session ends. */
  close?(): void;
}

/**
 * A private copy of the workspace for one candidate of a best-of-N task (src/core/session/candidates.ts):
 * the workspace as it was when the copy was made, uncommitted changes included. Everything the
 * candidate's agent, its commands and its check do happens here; nothing reaches the workspace until
 * the engine applies the winner's changes through the session's guard.
 */
export interface WorkspaceCopy {
  /** The copy's absolute folder (outside the workspace: the system's temporary folder). */
  readonly root: string;
  /** How it was made, for the log: `git-worktree` (a detached worktree of a commit of the current state) or `copy` (files cloned or copied, node_modules linked). */
  readonly kind: string;
  /** The copy as a FileStore: the same path rules as the workspace's (.git and .ensemble refused). */
  readonly store: FileStore;
  /** What changed in the copy: `since` the mark taken right after it was made gives the candidate's whole change, with the bytes before. */
  readonly tracker: ChangeTracker;
  /** search_files in the copy (ripgrep), when there is one. */
  readonly search?: TextSearch;
  /** Removes the copy (and git's record of its worktree); a copy already gone is not an error. */
  remove(): Promise<void>;
}

/** A task's judged candidates, put to the user (`candidateApproval: "ask"`): which one's changes to apply. */
export interface CandidateQuestion {
  taskId: string;
  title: string;
  round: number;
  /** The measured verdict's pick (null: none passed) and why. */
  recommended: string | null;
  reason: string;
  candidates: {
    candidateId: string;
    provider: string;
    model: string;
    passed: boolean;
    /** null: unknown (a model without a price). */
    costUsd: number | null;
    files: number;
    lines: number;
  }[];
}

/** Asks the user which candidate to apply: its id, or null for none. `signal` aborts when the session is cancelled meanwhile. */
export type CandidateChooser = (q: CandidateQuestion, signal: AbortSignal) => Promise<string | null>;

/** Makes and clears the candidates' copies of one workspace (src/node/copies.ts). */
export interface WorkspaceCopier {
  /** Copies the workspace as it is now; `name` (`<session>/<task>.<n>`) names its folder. Rejects with a message saying why it could not. */
  create(name: string, signal?: AbortSignal): Promise<WorkspaceCopy>;
  /**
   * Removes every copy of this workspace left behind (a cancelled, crashed or killed run); called when a
   * session starts or resumes, under the workspace lock (so no other session's copies exist). Resolves
   * the number removed.
   */
  sweep(): Promise<number>;
  /**
   * The session has ended: removes what the copier kept (copies it may bring to a later race's state
   * rather than make again). A copy's `remove` may keep it for that until then.
   */
  close?(): Promise<void>;
  /**
   * Starts making `count` copies ahead of the races that will ask for them (when it keeps copies between
   * races): a race's copies are then brought to the state of its start rather than made whole then.
   */
  prepare?(count: number): void;
}

/** What search_files looks for. */
export interface TextQuery {
  pattern: string;
  /** `pattern` is a regular expression (JavaScript syntax) rather than literal text. */
  regex: boolean;
  caseSensitive: boolean;
}

/** A matching line. */
export interface TextMatch {
  path: string;
  /** 1-based. */
  line: number;
  /** The whole line, without its line break (nor the `\r` of a CRLF one). */
  text: string;
}

export interface TextSearchResult {
  /** Each text file with a matching line, in the order the files were given, and how many of its lines match. */
  files: { path: string; lines: number }[];
  /** Binary files (a NUL byte in their first 8,000 bytes, as git decides) that contain a match: named, their lines neither counted nor shown. */
  binary: string[];
  /** The matching lines of the text files, in file then line order, from the `offset`-th (0-based), at most `limit`. */
  matches: TextMatch[];
  /** Files that could not be read (permissions): named, never silently left out. A file gone since it was listed is not. */
  unreadable: string[];
}

/**
 * Searches the given workspace files (workspace-relative paths, as FileStore.list gives them) line by
 * line, as `git grep` does: lines end at `\n` (a `\r` before it is not part of the line), a file is
 * UTF-8 (an invalid byte is not an error; a byte order mark is a character like any other), and a line
 * matches when the pattern is found in it. The engine has one that reads the files through the FileStore
 * (src/core/session/text-search.ts); the Node adapter runs ripgrep (src/node/ripgrep.ts), which answers
 * the same, many times faster.
 */
export interface TextSearch {
  /**
   * Resolves undefined when it cannot take this query here (no ripgrep, a pattern its regex engine
   * refuses): the engine then reads the files itself. Rejects with the signal's reason when `signal`
   * aborts, and with an Error that says why when the search fails (its time limit).
   */
  search(query: TextQuery, files: readonly string[], page: { offset: number; limit: number }, signal?: AbortSignal): Promise<TextSearchResult | undefined>;
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

/**
 * What a confined process may do besides reading the file system: write inside `writable` only (and a
 * private /tmp of its own), never in the `readOnlyNames` files or folders found there, and use the
 * network only when `network` is true. It sees no process outside its own tree, and nothing it starts
 * outlives it.
 */
export interface SandboxRules {
  /** The absolute folder it may write: the workspace. */
  writable: string;
  /** Names (`.git`, `.ensemble`) whose files and folders stay read-only wherever they are in `writable`. */
  readOnlyNames: readonly string[];
  network: boolean;
}

/** What probing found: the sandbox that confines processes here, or why there is none. */
export type SandboxStatus = { available: true; name: string } | { available: false; reason: string };

/**
 * Confines processes (a Node adapter: src/node/sandbox.ts, bubblewrap on Linux). `probe` tries it once
 * (later calls answer the same); `wrap` turns a process into one that runs it confined by the rules, for
 * a CommandRunner to start. `wrap` is called only after `probe` said available, and rejects (with a
 * message saying why) when it cannot confine this process: the process must not run then.
 */
export interface Sandbox {
  probe(): Promise<SandboxStatus>;
  wrap(spec: ProcessSpec, rules: SandboxRules): Promise<ProcessSpec>;
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
  /** The configured providers (a task's `candidates` must use them) and the roles whose tasks are done best of several (each needs a check). */
  providers?: readonly string[];
  bestOfRoles?: readonly string[];
  /** Each task's route: its role's provider and model (and fallback), and the models that each do it when it is done best of several. */
  routes: Record<
    string,
    { provider: string; model: string; fallback?: { provider: string; model: string }; candidates?: { provider: string; model: string }[] }
  >;
  /** The development cost of these tasks; null when a model has no price (`unknownModels`). */
  estimateUsd: number | null;
  unknownModels: string[];
  /** Models paid by the user's plan (VS Code's), whose calls `estimateUsd` leaves out (say it with fold/money.ts `estimateText`). */
  planModels?: string[];
  /** Why the user's last edit was refused (submit_plan's rules), when it was: the same plan is proposed again. */
  errors: string[];
}

/** The user's answer: approve; an edited plan (`tasks` as the user wrote them: they are validated); new feedback for the orchestrator; or cancel the session. */
export type PlanReviewAnswer =
  | { action: 'approve' }
  | { action: 'edit'; tasks: unknown; rationale?: string }
  | { action: 'replan'; feedback: string }
  | { action: 'cancel'; reason?: string };

/** Asks the user about a plan; `signal` aborts when the session is cancelled meanwhile. */
export type PlanReviewer = (proposal: PlanProposal, signal: AbortSignal) => Promise<PlanReviewAnswer>;

// --- MCP servers (the Model Context Protocol): tools of the user's servers, offered to agents ---

/**
 * Where an MCP server is: a process speaking MCP on its stdin/stdout (the engine gives the exact program,
 * arguments and environment: already wrapped by the sandbox when one confines it), or a streamable HTTP
 * endpoint.
 */
export type McpEndpoint =
  | { transport: 'stdio'; command: string; args: string[]; cwd: string; env: Record<string, string | undefined> }
  | { transport: 'http'; url: string; headers: Record<string, string> };

/** A tool as the server lists it (tools/list). */
export interface McpToolInfo {
  name: string;
  title?: string;
  description?: string;
  /** Its arguments' JSON Schema, as the server wrote it. */
  inputSchema: Record<string, unknown>;
  /** The server annotates it `readOnlyHint: true` (its word, not a guarantee). */
  readOnly: boolean;
}

/** One piece of a tool's result (the protocol's content blocks; `other` for a kind this client does not know). */
export type McpContent =
  | { type: 'text'; text: string }
  | { type: 'image'; mimeType: string; data: string }
  | { type: 'audio'; mimeType: string; data: string }
  | { type: 'resource'; uri: string; mimeType?: string; text?: string; blob?: string }
  | { type: 'resource_link'; uri: string; name?: string; mimeType?: string; description?: string }
  | { type: 'other'; kind: string };

export interface McpToolResult {
  content: McpContent[];
  isError: boolean;
  /** `structuredContent`, when the server gave it. */
  structured?: unknown;
}

/** A connected server. Every method rejects with an Error saying what went wrong (in words a model can act on). */
export interface McpConnection {
  /** The process id of a stdio server, for the log (inside a sandbox: bwrap's). */
  readonly pid?: number;
  /** Every page of tools/list. */
  listTools(signal: AbortSignal): Promise<McpToolInfo[]>;
  /** tools/call. Rejects when `signal` aborts (the server is told the call is cancelled), the server exits or answers what is not MCP. */
  callTool(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<McpToolResult>;
  /** `notifications/tools/list_changed`. */
  onToolsChanged(listener: () => void): void;
  /** The connection is gone (the process exited, the endpoint failed), with why; called at most once, not after close(). */
  onClosed(listener: (reason: string) => void): void;
  /** Stops the server (a process and everything it started) and closes the connection. Never rejects. */
  close(): Promise<void>;
}

/**
 * Connects to MCP servers (the Node adapter: src/node/mcp-client.ts, the only user of the MCP SDK).
 * `roots`: the folders the client offers a server that asks (the workspace).
 */
export interface McpClient {
  connect(name: string, endpoint: McpEndpoint, opts: { signal: AbortSignal; roots: string[] }): Promise<McpConnection>;
  /**
   * Stops the stdio servers an earlier run in this workspace started and left running because it was
   * killed (`kill -9`) — never those of a process still alive. Returns a line for each one stopped.
   */
  recover?(): Promise<string[]>;
}
