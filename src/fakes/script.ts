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
  /** Visible output tokens (reasoning tokens apart). */
  output: number;
  /** Cache reads. */
  cachedInput?: number;
  /** Cache writes: Anthropic reports them (`cache_creation_input_tokens`); other fakes ignore them. */
  cacheWrite?: number;
  /** Reasoning/thinking tokens, billed as output by every provider. */
  reasoning?: number;
  /**
   * OpenAI wire only: report `completion_tokens` WITHOUT the reasoning tokens (total = prompt +
   * completion + reasoning), as some compatible servers do. OpenAI itself counts them inside.
   */
  reasoningOutsideCompletion?: boolean;
}

/** Opaque reasoning the provider wants back in the next turn. */
export interface FakeThinking {
  /** Anthropic: the thinking block's text (streamed as thinking_delta). */
  text?: string;
  /** Anthropic: the thinking block's signature (a signature_delta); Gemini: the `thoughtSignature` on the last text part and the first function call. */
  signature: string;
  /** Anthropic: also a redacted_thinking block with this `data`. */
  redacted?: string;
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
  /**
   * The model declines with these words: OpenAI streams them in `delta.refusal`; Anthropic as text and
   * `stop_reason: "refusal"`; Gemini as text and `finishReason: "SAFETY"`.
   */
  refusal?: string;
  thinking?: FakeThinking;
}

/** Which out-of-money answer a `quota` reply gives (Anthropic has three; the others one each). */
export type QuotaVariant = 'billing' | 'spend_limit' | 'credit_balance';

export type FakeReply =
  | ({ kind: 'reply' } & FakeAnswer)
  /**
   * An HTTP error with the provider's error body. `retryAfterS`/`retryAfterMs` set the headers;
   * `resetAfterMs` sends the provider's own rate-limit reset (OpenAI `x-ratelimit-reset-*`, Anthropic
   * `anthropic-ratelimit-*-reset`, Gemini a RetryInfo) instead. `echoKey` appends the key the SDK sent
   * to the message, as real providers do in some 400, 401 and 403 bodies ("Incorrect API key provided: sk-…").
   */
  | { kind: 'error'; status: number; message?: string; retryAfterS?: number; retryAfterMs?: number; resetAfterMs?: number; echoKey?: boolean }
  /**
   * The account is out of money: OpenAI 429 `insufficient_quota`; Anthropic 402 `billing_error`
   * (variant 'spend_limit': 429 `enforced_spend_limit_reached`, 'credit_balance': 400 "credit balance is
   * too low"); Gemini 429 RESOURCE_EXHAUSTED with a daily `QuotaFailure`.
   */
  | { kind: 'quota'; variant?: QuotaVariant }
  /**
   * Streams the answer's first `afterChunks` frames, then an error frame and the end of the stream.
   * `numeric`: OpenAI wire only, the compatible servers' `{"error":{"code":<status>,…}}` shape.
   */
  | ({ kind: 'stream_error'; afterChunks: number; status: number; message?: string; numeric?: boolean } & FakeAnswer)
  /** Streams the answer's first `afterChunks` frames, then destroys the socket. */
  | ({ kind: 'cut'; afterChunks: number } & FakeAnswer)
  /** Streams one tool call whose argument JSON is broken. */
  | { kind: 'malformed_args'; name: string }
  /** Accepts the request and never answers (timeouts, aborts). */
  | { kind: 'hang' }
  /**
   * The prompt is over the model's context window: the provider's own 400 (OpenAI `context_length_exceeded`,
   * Anthropic "prompt is too long: N tokens > M maximum", Gemini INVALID_ARGUMENT "The input token count (N)
   * exceeds the maximum number of tokens allowed (M)"). A server given a window (`setContextWindow`) answers so by itself.
   */
  | { kind: 'overflow'; promptTokens: number; window: number };

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

/** The fake's count of a request's prompt tokens: its body's characters ÷ 4, rounded up (at least 1). */
export function fakePromptTokens(bodyChars: number): number {
  return Math.max(1, Math.ceil(bodyChars / 4));
}

export interface FakeServer {
  readonly provider: string;
  /** The URL to give the SDK as its base URL (with `/v1` for OpenAI, without for Anthropic and Gemini). */
  readonly baseUrl: string;
  /** Every request received, in order. */
  readonly requests: FakeRequest[];
  /** Replaces the handler (tests script each case). */
  setHandler(handler: FakeHandler): void;
  /**
   * The model's context window, in the fake's tokens (its request body's characters ÷ 4, rounded up: what it
   * reports as the prompt's usage when the answer scripts none). A request over it is answered with the
   * provider's own overflow error, before the handler is asked; undefined (the default): no window.
   */
  setContextWindow(tokens: number | undefined): void;
  close(): Promise<void>;
}

/** Splits a string into pieces of at most `size` characters (at least one piece). */
export function pieces(text: string, size = 24): string[] {
  if (text.length === 0) return [''];
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
