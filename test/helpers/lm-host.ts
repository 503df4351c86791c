// A small hand-written stand-in for the part of VS Code's Language Model API that src/vscode/lmProvider.ts
// uses (LmHost): message and part classes, a cancellation token source, and scripted chat models with the
// LanguageModelChat interface's shape. For plain-Node tests of the adapter's conversions, error mapping,
// streaming, counting and cancellation; the real API is exercised by the extension-host suite
// (test/vscode/suite/lm.test.ts) against a LanguageModelChatProvider registered in a real VS Code.

import type { LmHost } from '../../src/vscode/lmProvider';

export class TextPart {
  constructor(public value: string) {}
}
export class ToolCallPart {
  constructor(
    public callId: string,
    public name: string,
    public input: object,
  ) {}
}
export class ToolResultPart {
  constructor(
    public callId: string,
    public content: unknown[],
  ) {}
}
export type Part = TextPart | ToolCallPart | ToolResultPart;

export class ChatMessage {
  content: Part[];
  constructor(
    public role: 1 | 2,
    content: string | Part[],
  ) {
    this.content = typeof content === 'string' ? [new TextPart(content)] : content;
  }
  static User(content: string | Part[]): ChatMessage {
    return new ChatMessage(1, content);
  }
  static Assistant(content: string | Part[]): ChatMessage {
    return new ChatMessage(2, content);
  }
}

export class TokenSource {
  private listeners: (() => void)[] = [];
  readonly token = {
    isCancellationRequested: false,
    onCancellationRequested: (fn: () => void) => {
      if (this.token.isCancellationRequested) fn();
      else this.listeners.push(fn);
      return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== fn)) };
    },
  };
  cancel(): void {
    if (this.token.isCancellationRequested) return;
    this.token.isCancellationRequested = true;
    for (const l of this.listeners.splice(0)) l();
  }
  dispose(): void {
    this.listeners = [];
  }
}
type Token = TokenSource['token'];

/** A LanguageModelError as VS Code rebuilds it in the caller's extension host: name `LanguageModelError`, a `code`. */
export function lmError(code: 'NoPermissions' | 'Blocked' | 'NotFound' | 'Unknown', message = `${code} (scripted)`): Error {
  return Object.assign(new Error(message), { name: 'LanguageModelError', code });
}
/** An error with another name, as Copilot throws for quota and rate limits (`ChatQuotaExceeded`, `ChatRateLimited`). */
export function namedError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

/** What a scripted model does with one request: stream these parts (with an optional pause before each), or throw. */
export type Answer = { parts: (Part | { pauseMs: number })[] } | { throwAtSend: Error } | { throwInStream: Error; after?: Part[] };

export interface SeenRequest {
  messages: ChatMessage[];
  options: { justification?: string; tools?: { name: string; description: string; inputSchema?: object }[] };
  cancelled: () => boolean;
}

export class ScriptedModel {
  readonly version = '1';
  readonly requests: SeenRequest[] = [];
  readonly counted: string[] = [];
  /** A count fails with this, when set. */
  countError?: Error;

  constructor(
    readonly id: string,
    readonly family: string,
    readonly answer: (req: SeenRequest, n: number) => Answer,
    readonly vendor = 'test',
    readonly name = `Test ${id}`,
    readonly maxInputTokens = 100_000,
  ) {}

  async sendRequest(messages: ChatMessage[], options: SeenRequest['options'] = {}, token?: Token) {
    if (token?.isCancellationRequested) throw Object.assign(new Error('Canceled'), { name: 'Canceled' });
    const req: SeenRequest = { messages, options, cancelled: () => !!token?.isCancellationRequested };
    this.requests.push(req);
    const a = this.answer(req, this.requests.length - 1);
    if ('throwAtSend' in a) throw a.throwAtSend;
    const parts = 'parts' in a ? a.parts : [];
    const failure = 'throwInStream' in a ? a : undefined;
    async function* stream(): AsyncGenerator<Part> {
      if (failure) {
        for (const p of failure.after ?? []) yield p;
        throw failure.throwInStream;
      }
      for (const p of parts) {
        if (token?.isCancellationRequested) throw Object.assign(new Error('Canceled'), { name: 'Canceled' });
        if ('pauseMs' in p) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, p.pauseMs);
            token?.onCancellationRequested(() => (clearTimeout(t), resolve()));
          });
          continue;
        }
        yield p;
      }
    }
    return { stream: stream(), text: (async function* () {})() };
  }

  /** ~4 characters per token, as a tokenizer might count. */
  async countTokens(text: string | ChatMessage): Promise<number> {
    if (this.countError) throw this.countError;
    const s = typeof text === 'string' ? text : text.content.map((p) => ('value' in p ? p.value : '')).join('');
    this.counted.push(s);
    return Math.ceil(s.length / 4);
  }
}

/** An LmHost over these models (selectChatModels filters by vendor, family and id as VS Code does). */
export function lmHost(models: ScriptedModel[]): LmHost & { selected: unknown[] } {
  const selected: unknown[] = [];
  const host = {
    selected,
    lm: {
      selectChatModels: async (s: { vendor?: string; family?: string; id?: string } = {}) => {
        selected.push(s);
        return models.filter((m) => (s.vendor === undefined || m.vendor === s.vendor) && (s.family === undefined || m.family === s.family) && (s.id === undefined || m.id === s.id));
      },
    },
    LanguageModelChatMessage: ChatMessage,
    LanguageModelTextPart: TextPart,
    LanguageModelToolCallPart: ToolCallPart,
    LanguageModelToolResultPart: ToolResultPart,
    CancellationTokenSource: TokenSource,
  };
  return host as unknown as LmHost & { selected: unknown[] };
}

/** The text of a message's text parts. */
export function textOf(m: ChatMessage): string {
  return m.content.map((p) => (p instanceof TextPart ? p.value : '')).join('\n');
}
