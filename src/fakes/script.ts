// What a local fake provider server is told to answer. Each fake (openai.ts, anthropic.ts, gemini.ts)
// turns a FakeReply into its provider's exact wire format, so the real SDKs can be tested, demoed and
// benchmarked offline. The same handlers serve tests (scripted per test) and cassettes (the demo).

export interface FakeToolCall {
  id?: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface FakeUsage {
  /** Prompt tokens billed at full price (cache reads and writes apart). */
  input: number;
  output: number;
  /** Cache reads. */
  cachedInput?: number;
  /** Cache writes: Anthropic reports them (`cache_creation_input_tokens`); other fakes ignore them. */
  cacheWrite?: number;
}

export interface FakeAnswer {
  text?: string;
  toolCalls?: FakeToolCall[];
  usage?: FakeUsage;
  /** Split text and tool arguments into pieces of this many characters (default 24). */
  chunkSize?: number;
  /** Wait this long before the first byte (fixed-latency benchmarks). */
  delayMs?: number;
  /** Wait this long between streamed chunks. */
  chunkDelayMs?: number;
}

export type FakeReply =
  | ({ kind: 'reply' } & FakeAnswer)
  /**
   * An HTTP error with the provider's error body. `retryAfterS`/`retryAfterMs` set the headers.
   * `echoKey` appends the key the SDK sent to the message, as real providers do in some 400, 401 and
   * 403 bodies ("Incorrect API key provided: sk-…").
   */
  | { kind: 'error'; status: number; message?: string; retryAfterS?: number; retryAfterMs?: number; echoKey?: boolean }
  /** Streams the answer's first `afterChunks` frames, then destroys the socket. */
  | ({ kind: 'cut'; afterChunks: number } & FakeAnswer)
  /** Streams one tool call whose argument JSON is broken. */
  | { kind: 'malformed_args'; name: string }
  /** Accepts the request and never answers (timeouts, aborts). */
  | { kind: 'hang' };

export interface FakeRequest {
  provider: string;
  model: string;
  /** The `x-ensemble-trace` header, if sent. */
  trace?: string;
  stream: boolean;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, as the SDK sent it. */
  body: unknown;
  /** Names of the tools offered in the request. */
  toolNames: string[];
}

export type FakeHandler = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

export interface FakeServer {
  readonly provider: string;
  /** The URL to give the SDK as its base URL (with `/v1` for OpenAI, without for Anthropic and Gemini). */
  readonly baseUrl: string;
  /** Every request received, in order. */
  readonly requests: FakeRequest[];
  /** Replaces the handler (tests script each case). */
  setHandler(handler: FakeHandler): void;
  close(): Promise<void>;
}

/** Splits a string into pieces of at most `size` characters (at least one piece). */
export function pieces(text: string, size = 24): string[] {
  if (text.length === 0) return [''];
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
