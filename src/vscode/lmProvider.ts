// The `vscode-lm` provider kind: the chat models VS Code already offers the user (GitHub Copilot's, or
// any extension's that contributes some), through the Language Model API, behind the same ChatProvider
// contract as the SDK adapters. The engine does not know the difference, except what the user pays: the
// API reports no usage and these calls are paid by the user's plan, so the tokens are counted here with
// the model's own tokenizer (`usage.counted`) and the calls carry no price (core/money/pricing.ts).
//
// Only `vscode`'s types are imported: the API comes in as `LmHost` (the `vscode` module itself in the
// editor, a small hand-written stand-in in the plain-Node unit tests).

import type * as vscode from 'vscode';
import {
  ProviderError,
  type ChatChunk,
  type ChatMessage,
  type ChatProvider,
  type ChatRequest,
  type ContextOverflow,
  type ToolCall,
  type ToolSpec,
  type Usage,
} from '../core/ports';
import { withImageNotes } from '../providers/tool-images';
import type { ProviderSettings } from '../core/config';
import { classifyStatus, contextOverflow } from '../providers/errors';

/** The part of the `vscode` API the adapter uses. */
export type LmHost = Pick<
  typeof vscode,
  'LanguageModelChatMessage' | 'LanguageModelTextPart' | 'LanguageModelToolCallPart' | 'LanguageModelToolResultPart' | 'CancellationTokenSource'
> & {
  lm: Pick<typeof vscode.lm, 'selectChatModels'>;
};

/** Why Ensemble asks for a model: shown by VS Code in its consent dialog. */
export const JUSTIFICATION = 'Ensemble runs its orchestrator and agents on this model to build what you asked for in this workspace.';

/** The models a `vscode-lm` provider offers: all of VS Code's, or one vendor's (`providers.<id>.vendor`). */
export function vendorSelector(settings: Pick<ProviderSettings, 'vendor'>): vscode.LanguageModelChatSelector {
  return settings.vendor ? { vendor: settings.vendor } : {};
}

/**
 * The model a binding names (`model`: a model's id, else a family), among those VS Code offers for
 * `settings.vendor`; the first VS Code lists when several share a family. Undefined when none is there.
 */
export async function findModel(host: LmHost, settings: Pick<ProviderSettings, 'vendor'>, model: string): Promise<vscode.LanguageModelChat | undefined> {
  const vendor = vendorSelector(settings);
  const byId = await host.lm.selectChatModels({ ...vendor, id: model });
  if (byId.length) return byId[0];
  return (await host.lm.selectChatModels({ ...vendor, family: model }))[0];
}

/** `name (vendor · family)`: how a model is named to the user. */
export function modelLabel(m: Pick<vscode.LanguageModelChat, 'name' | 'vendor' | 'family'>): string {
  return `${m.name} (${m.vendor} · ${m.family})`;
}

/** Engine messages → the Language Model API's: the system prompt opens the first user message (the API has no system role); tool results are user-message parts. */
export function toLmMessages(host: LmHost, system: string, messages: readonly ChatMessage[]): vscode.LanguageModelChatMessage[] {
  type Part = vscode.LanguageModelTextPart | vscode.LanguageModelToolResultPart | vscode.LanguageModelToolCallPart;
  const groups: { role: 'user' | 'assistant'; parts: Part[] }[] = [];
  const user = (part: Part) => {
    const last = groups.at(-1);
    if (last?.role === 'user') last.parts.push(part);
    else groups.push({ role: 'user', parts: [part] });
  };
  if (system) user(new host.LanguageModelTextPart(system));
  for (const m of messages) {
    if (m.role === 'user') user(new host.LanguageModelTextPart(m.content));
    else if (m.role === 'tool') {
      // The API's tool results carry text here: an image an MCP tool returned is a note.
      const content = withImageNotes(m.content, m.images, "VS Code's language model API is sent text only");
      user(
        new host.LanguageModelToolResultPart(m.toolCallId, [
          new host.LanguageModelTextPart(m.isError && !/^error\b/i.test(content) ? `Error: ${content}` : content),
        ]),
      );
    } else {
      const parts: Part[] = [];
      if (m.content) parts.push(new host.LanguageModelTextPart(m.content));
      for (const c of m.toolCalls ?? []) parts.push(new host.LanguageModelToolCallPart(c.id, c.name, c.arguments));
      // An assistant turn that said nothing and called nothing: some models refuse an empty message.
      groups.push({ role: 'assistant', parts: parts.length ? parts : [new host.LanguageModelTextPart('(no reply)')] });
    }
  }
  return groups.map((g) =>
    g.role === 'user'
      ? host.LanguageModelChatMessage.User(g.parts as (vscode.LanguageModelTextPart | vscode.LanguageModelToolResultPart)[])
      : host.LanguageModelChatMessage.Assistant(g.parts as (vscode.LanguageModelTextPart | vscode.LanguageModelToolCallPart)[]),
  );
}

export function toLmTools(tools: readonly ToolSpec[]): vscode.LanguageModelChatTool[] {
  return tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.parameters }));
}

/** What the provider knows when it classifies a failure. */
export interface FailureContext {
  provider: string;
  model: string;
  /** The model's prompt limit (`maxInputTokens`) and the answer's room the engine keeps: an overflow's window. */
  maxInputTokens?: number;
  maxOutputTokens?: number;
  /** The prompt as counted by the model's tokenizer, when it was. */
  promptTokens?: number;
  aborted: boolean;
}

const str = (x: unknown) => (typeof x === 'string' ? x : '');

/** The words of an error and of its causes. */
function errorText(e: unknown): string {
  const parts: string[] = [];
  for (let x: unknown = e, depth = 0; x && depth < 4; x = (x as { cause?: unknown }).cause, depth++) {
    const m = x instanceof Error || typeof x === 'object' ? str((x as { message?: unknown }).message) : String(x);
    if (m && !parts.includes(m)) parts.push(m);
  }
  return parts.join(': ') || String(e);
}

/** Copilot's own words for a prompt over its limit ("Message exceeds token limit."), besides the vendors' (src/providers/errors.ts). */
const TOKEN_LIMIT = /exceeds? (the )?token limit|token limit (was )?exceeded|too many tokens|exceeds the (model's )?(context|input) (window|limit)/i;

/**
 * A failure of the Language Model API as a ProviderError. VS Code's `LanguageModelError` codes:
 * `NoPermissions` (the user did not allow Ensemble to use the model), `Blocked` (the model's extension
 * blocks Ensemble for now: Copilot does so after too many requests, "try again later"), `NotFound` (the
 * model is gone). Copilot also throws errors named `ChatQuotaExceeded` (the plan's allowance is used up)
 * and `ChatRateLimited`, and "Message exceeds token limit." for a prompt over the model's window; other
 * failures carry the vendor's answer in their message (an HTTP status, a vendor's overflow words).
 */
export function toProviderError(e: unknown, ctx: FailureContext): ProviderError {
  if (e instanceof ProviderError) return e;
  const { provider, model } = ctx;
  const err = (code: ProviderError['code'], retryable: boolean, message: string, extra: { status?: number; overflow?: ContextOverflow } = {}) =>
    new ProviderError({ provider, code, retryable, message, cause: e, ...extra });
  const name = str((e as { name?: unknown })?.name);
  const code = str((e as { code?: unknown })?.code);
  const text = errorText(e);
  const who = `VS Code's model ${model}`;
  if (ctx.aborted) return err('aborted', false, `The request to ${who} was cancelled.`);
  if (name === 'LanguageModelError' && code === 'NoPermissions')
    return err(
      'permission',
      false,
      `VS Code did not allow Ensemble to use ${model} (${text}). Allow it when VS Code asks at Start, or in the Accounts menu under Manage Language Model Access.`,
    );
  if (name === 'LanguageModelError' && code === 'Blocked') return err('rate_limit', true, `${who} is blocked for Ensemble for now (${text}).`);
  if (name === 'LanguageModelError' && code === 'NotFound') return err('not_found', false, `${who} is not available in VS Code any more (${text}).`);
  if (name === 'ChatQuotaExceeded' || /quota/i.test(name)) return err('quota', false, `${who}: your plan's allowance is used up (${text}).`);
  if (name === 'ChatRateLimited' || /rate.?limit/i.test(name)) return err('rate_limit', true, `${who} is rate-limited (${text}).`);
  const overflow = contextOverflow(text) ?? (TOKEN_LIMIT.test(text) ? {} : undefined);
  if (overflow) {
    const window = overflow.window ?? (ctx.maxInputTokens ? ctx.maxInputTokens + (ctx.maxOutputTokens ?? 0) : undefined);
    const promptTokens = overflow.promptTokens ?? ctx.promptTokens;
    return err('context_overflow', false, `${who} refused the prompt as larger than its context window (${text})`, {
      overflow: { ...(promptTokens ? { promptTokens } : {}), ...(window ? { window } : {}) },
    });
  }
  if (name === 'Canceled' || name === 'CancellationError' || text === 'Canceled') return err('stream_cut', true, `${who} stopped the answer (${text}).`);
  const status = /\b([45]\d\d)\b/.exec(text);
  if (status) {
    const c = classifyStatus(Number(status[1]));
    return err(c.code, c.retryable, `${who} failed: ${text}`, { status: Number(status[1]) });
  }
  if (name === 'LanguageModelError' && code && code !== 'Unknown') return err('bad_request', false, `${who} failed (${code}): ${text}`);
  // An unspecified failure of the model's extension: worth another try, then another route.
  return err('server', true, `${who} failed: ${text}`);
}

/** Counts what was sent, once per message, system prompt and tool per model: a conversation only grows. */
class TokenCounter {
  private readonly messages = new WeakMap<object, number>();
  private readonly tools = new WeakMap<object, number>();
  private readonly texts = new Map<string, number>();

  constructor(private readonly model: vscode.LanguageModelChat) {}

  async prompt(request: ChatRequest, token: vscode.CancellationToken): Promise<number> {
    const count = (text: string) => (text ? Promise.resolve(this.model.countTokens(text, token)) : Promise.resolve(0));
    const once = async <K extends object>(cache: WeakMap<K, number>, key: K, text: () => string) => {
      const known = cache.get(key);
      if (known !== undefined) return known;
      const n = await count(text());
      cache.set(key, n);
      return n;
    };
    const system = async () => {
      const known = this.texts.get(request.system);
      if (known !== undefined) return known;
      const n = await count(request.system);
      if (this.texts.size > 64) this.texts.clear();
      this.texts.set(request.system, n);
      return n;
    };
    const parts = await Promise.all([
      system(),
      ...request.tools.map((t) => once(this.tools, t, () => JSON.stringify({ name: t.name, description: t.description, parameters: t.parameters }))),
      ...request.messages.map((m) => once(this.messages, m, () => messageText(m))),
    ]);
    return parts.reduce((a, b) => a + b, 0);
  }

  async answer(text: string, calls: readonly ToolCall[], token: vscode.CancellationToken): Promise<number> {
    const all = [text, ...calls.map((c) => `${c.name} ${JSON.stringify(c.arguments)}`)].filter(Boolean).join('\n');
    return all ? this.model.countTokens(all, token) : 0;
  }
}

function messageText(m: ChatMessage): string {
  if (m.role === 'assistant') return [m.content, ...(m.toolCalls ?? []).map((c) => `${c.name} ${JSON.stringify(c.arguments)}`)].filter(Boolean).join('\n');
  return m.content;
}

let syntheticIds = 0;

/** How long a turn waits for the model's token counts once its answer is complete: past it, the call has no usage (never a guess). */
const COUNT_WAIT_MS = 10_000;

/** `p`'s value, or undefined when it fails or takes longer than `ms`. */
function within<T>(p: PromiseLike<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([
    Promise.resolve(p).then(
      (v) => v,
      () => undefined,
    ),
    late,
  ]).finally(() => clearTimeout(timer));
}

class LmProvider implements ChatProvider {
  private readonly models = new Map<string, Promise<vscode.LanguageModelChat | undefined>>();
  private readonly counters = new WeakMap<vscode.LanguageModelChat, TokenCounter>();

  constructor(
    readonly id: string,
    private readonly settings: ProviderSettings,
    private readonly host: LmHost,
  ) {}

  private model(name: string): Promise<vscode.LanguageModelChat | undefined> {
    let p = this.models.get(name);
    if (!p) {
      p = findModel(this.host, this.settings, name);
      this.models.set(name, p);
      p.catch(() => this.models.delete(name));
    }
    return p;
  }

  async *chat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatChunk> {
    const started = Date.now();
    const ctx: FailureContext = { provider: this.id, model: request.model, maxOutputTokens: request.maxOutputTokens, aborted: false };
    if (signal.aborted) throw toProviderError(signal.reason, { ...ctx, aborted: true });
    let model: vscode.LanguageModelChat | undefined;
    try {
      model = await this.model(request.model);
    } catch (e) {
      throw toProviderError(e, { ...ctx, aborted: signal.aborted });
    }
    if (!model) {
      this.models.delete(request.model);
      const where = this.settings.vendor ? ` of vendor "${this.settings.vendor}"` : '';
      throw new ProviderError({
        provider: this.id,
        code: 'not_found',
        retryable: false,
        message: `VS Code offers no chat model${where} with the id or family "${request.model}" (Ensemble: Choose Models lists those it offers).`,
      });
    }
    ctx.maxInputTokens = model.maxInputTokens;
    let counter = this.counters.get(model);
    if (!counter) this.counters.set(model, (counter = new TokenCounter(model)));
    const cts = new this.host.CancellationTokenSource();
    const onAbort = () => cts.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    // Counted while the model answers; a count that fails (or hangs) leaves the call's tokens unknown (no usage chunk), never guessed.
    const prompt = counter.prompt(request, cts.token);
    prompt.catch(() => undefined); // handled where it is awaited; a turn the caller leaves early never awaits it
    const calls: ToolCall[] = [];
    let text = '';
    try {
      const response = await model.sendRequest(
        toLmMessages(this.host, request.system, request.messages),
        { justification: JUSTIFICATION, tools: toLmTools(request.tools) },
        cts.token,
      );
      for await (const part of response.stream) {
        if (signal.aborted) break;
        if (part instanceof this.host.LanguageModelTextPart) {
          if (!part.value) continue;
          text += part.value;
          yield { type: 'text', text: part.value };
        } else if (part instanceof this.host.LanguageModelToolCallPart) {
          const input = part.input as unknown;
          if (!input || typeof input !== 'object' || Array.isArray(input))
            throw new ProviderError({
              provider: this.id,
              code: 'bad_response',
              retryable: true,
              message: `VS Code's model ${request.model} called ${part.name} with arguments that are not an object.`,
            });
          const call: ToolCall = { id: part.callId || `vscode-call-${++syntheticIds}`, name: part.name, arguments: input as Record<string, unknown> };
          calls.push(call);
          yield { type: 'tool_call', call };
        }
        // Other parts (thinking, data) are not the answer: left out.
      }
      if (signal.aborted) throw toProviderError(signal.reason, { ...ctx, aborted: true });
      const latencyMs = Date.now() - started;
      const input = await within(prompt, COUNT_WAIT_MS);
      const output = await within(counter.answer(text, calls, cts.token), COUNT_WAIT_MS);
      if (input !== undefined && output !== undefined) {
        const usage: Usage = { input, output, counted: true };
        yield { type: 'usage', usage };
      }
      yield { type: 'end', stopReason: calls.length ? 'tool_calls' : 'end', latencyMs };
    } catch (e) {
      if (e instanceof ProviderError) throw e;
      const error = toProviderError(e, { ...ctx, aborted: signal.aborted, promptTokens: await within(prompt, signal.aborted ? 0 : 1_000) });
      if (error.code === 'not_found') this.models.delete(request.model);
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
      cts.dispose();
    }
  }
}

/** A `vscode-lm` provider (`providers.<id>` of that kind; the built-in `vscode`). */
export function createLmProvider(id: string, settings: ProviderSettings, host: LmHost): ChatProvider {
  return new LmProvider(id, settings, host);
}

/**
 * Asks VS Code for the user's consent to each model, before a session starts rather than in the middle
 * of a parallel run. VS Code shows its consent dialog the first time an extension sends a request to a
 * model whose extension requires it, and it does so before it passes the request on; nothing else asks.
 * So a request goes out that cannot be passed on: its options cannot cross to the editor (a circular
 * value), and its token is cancelled. VS Code asks (or finds the consent given), then fails to send it.
 * Measured in VS Code 1.139: no such request reached a model's provider. Returns the models VS Code
 * refused, with its words.
 */
export async function askModelAccess(
  host: LmHost,
  models: readonly vscode.LanguageModelChat[],
): Promise<{ model: vscode.LanguageModelChat; message: string }[]> {
  const refused: { model: vscode.LanguageModelChat; message: string }[] = [];
  const unsendable: Record<string, unknown> = {};
  unsendable.self = unsendable;
  for (const model of models) {
    const cts = new host.CancellationTokenSource();
    cts.cancel();
    try {
      await model.sendRequest(
        [host.LanguageModelChatMessage.User('')],
        { justification: JUSTIFICATION, modelOptions: { ensembleConsentOnly: unsendable } },
        cts.token,
      );
    } catch (e) {
      const name = str((e as { name?: unknown })?.name);
      const code = str((e as { code?: unknown })?.code);
      if (name === 'LanguageModelError' && code === 'NoPermissions') refused.push({ model, message: errorText(e) });
    } finally {
      cts.dispose();
    }
  }
  return refused;
}
