// A fake OpenAI Chat Completions server: `POST /v1/chat/completions`, streamed as `data:` lines
// ending in `data: [DONE]`, exactly as the real API (and thus the `openai` SDK) expects.

import { pieces, type FakeHandler, type FakeServer } from './script';
import { isObject, randomId, sse, startWireServer, type Prepared, type Route, type WireFormat } from './http';

const ERROR_TYPES: Record<number, [type: string, code: string | null]> = {
  400: ['invalid_request_error', null],
  401: ['invalid_request_error', 'invalid_api_key'],
  403: ['permission_denied', 'unsupported_country_region_territory'],
  404: ['invalid_request_error', 'model_not_found'],
  429: ['requests', 'rate_limit_exceeded'],
};

function wantsUsage(body: unknown): boolean {
  return isObject(body) && isObject(body.stream_options) && body.stream_options.include_usage === true;
}

/**
 * OpenAI counts reasoning tokens inside `completion_tokens`; some compatible servers report them apart
 * (`reasoningOutsideCompletion`), the total then adding them on top.
 */
function wireUsage(p: Prepared) {
  const cached = p.usage.cachedInput ?? 0;
  const reasoning = p.usage.reasoning ?? 0;
  const completion = p.usage.output + (p.usage.reasoningOutsideCompletion ? 0 : reasoning);
  return {
    prompt_tokens: p.usage.input + cached, // OpenAI's prompt count includes the cached tokens
    completion_tokens: completion,
    total_tokens: p.usage.input + cached + completion + (p.usage.reasoningOutsideCompletion ? reasoning : 0),
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: reasoning },
  };
}

/** A duration as OpenAI's reset headers write it (Go's format): `20ms`, `1s`, `6m0s`, `1h2m3.5s`. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${sec}s`;
}

/** Frames for a turn: role delta, content pieces, tool-call header + argument fragments, finish, usage, [DONE]. */
function turnFrames(
  route: Route,
  body: unknown,
  text: string[],
  calls: { id: string; name: string; argPieces: string[] }[],
  usage: ReturnType<typeof wireUsage>,
  refusal?: string[],
): string[] {
  const id = randomId('chatcmpl-');
  const created = Math.floor(Date.now() / 1000);
  const withUsage = wantsUsage(body);
  const chunk = (delta: object, finish: string | null = null) =>
    sse({
      id,
      object: 'chat.completion.chunk',
      created,
      model: route.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(withUsage ? { usage: null } : {}),
    });
  // A refusal streams in `delta.refusal`, with `content: null`, and still ends with finish_reason "stop".
  const frames = [chunk(refusal ? { role: 'assistant', content: null, refusal: '' } : { role: 'assistant', content: '', refusal: null })];
  for (const piece of refusal ?? []) frames.push(chunk({ refusal: piece }));
  for (const piece of text) frames.push(chunk({ content: piece }));
  calls.forEach((c, index) => {
    frames.push(chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] }));
    for (const piece of c.argPieces) frames.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  frames.push(chunk({}, calls.length ? 'tool_calls' : 'stop'));
  if (withUsage) frames.push(sse({ id, object: 'chat.completion.chunk', created, model: route.model, choices: [], usage }));
  frames.push(sse('[DONE]'));
  return frames;
}

function completion(
  route: Route,
  content: string | null,
  calls: { id: string; name: string; args: string }[],
  usage: ReturnType<typeof wireUsage>,
  refusal: string | null = null,
): string {
  return JSON.stringify({
    id: randomId('chatcmpl-'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: route.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: refusal === null ? content : null,
          refusal,
          ...(calls.length ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.args } })) } : {}),
        },
        logprobs: null,
        finish_reason: calls.length ? 'tool_calls' : 'stop',
      },
    ],
    usage,
  });
}

const BROKEN_ARGS = ['{"path": "src/', 'index.ts", "content": '];

/**
 * The API's rule for tool calls (a 400 otherwise): an assistant message's `tool_calls` are answered by
 * `tool` messages right after it, one per `tool_call_id`, and a `tool` message answers such a call.
 */
export function openaiConversationError(messages: unknown[]): string | undefined {
  let pending: string[] = [];
  for (const m of messages) {
    if (!isObject(m)) return 'Invalid type for messages: expected an object.';
    if (m.role === 'tool') {
      const i = pending.indexOf(String(m.tool_call_id));
      if (i < 0) return "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.";
      pending.splice(i, 1);
      continue;
    }
    if (pending.length) break;
    pending = m.role === 'assistant' && Array.isArray(m.tool_calls) ? m.tool_calls.map((c) => (isObject(c) ? String(c.id) : '')) : [];
  }
  if (pending.length)
    return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${pending.join(', ')}`;
  return undefined;
}

export const openaiWire: WireFormat = {
  provider: 'openai',
  basePath: '/v1',
  route(method, url, body) {
    if (method !== 'POST' || url.pathname !== '/v1/chat/completions') return { status: 404, message: `Unknown route ${method} ${url.pathname}` };
    if (!isObject(body) || typeof body.model !== 'string' || !Array.isArray(body.messages)) {
      return { status: 400, message: "The request needs a string 'model' and a 'messages' array" };
    }
    const invalid = openaiConversationError(body.messages);
    if (invalid) return { status: 400, message: invalid };
    const tools = Array.isArray(body.tools) ? body.tools : [];
    const toolNames = tools.map((t) => (isObject(t) && isObject(t.function) ? String(t.function.name) : '')).filter(Boolean);
    // The API's rule for function names (a 400 otherwise).
    const bad = toolNames.findIndex((n) => !/^[a-zA-Z0-9_-]{1,64}$/.test(n));
    if (bad >= 0)
      return {
        status: 400,
        message: `Invalid 'tools[${bad}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]{1,64}$'.`,
      };
    return { model: body.model, stream: body.stream === true, toolNames };
  },
  authorized(req) {
    const auth = req.headers.authorization;
    return (typeof auth === 'string' && /^Bearer \S+/.test(auth)) || !!req.headers['api-key'];
  },
  frames: (p, route, body) => turnFrames(route, body, p.textPieces, p.calls, wireUsage(p), p.refusal === undefined ? undefined : pieces(p.refusal, 24)),
  json: (p, route) => completion(route, p.calls.length && !p.text ? null : p.text, p.calls, wireUsage(p), p.refusal ?? null),
  malformed(name, route, body) {
    const usage = wireUsage({ text: '', textPieces: [], calls: [], usage: { input: 10, output: 5 } });
    const call = { id: randomId('call_'), name, args: BROKEN_ARGS.join(''), argPieces: BROKEN_ARGS };
    return route.stream ? turnFrames(route, body, [], [call], usage) : completion(route, null, [call], usage);
  },
  errorBody(status, message) {
    const [type, code] = ERROR_TYPES[status] ?? (status >= 500 ? ['server_error', null] : ['invalid_request_error', null]);
    return { error: { message, type, param: null, code } };
  },
  headers: () => ({ 'x-request-id': randomId('req_') }),
  // The request window is the one used up; the token window has room and resets sooner.
  resetHeaders: (ms) => ({
    'x-ratelimit-limit-requests': '500',
    'x-ratelimit-remaining-requests': '0',
    'x-ratelimit-reset-requests': goDuration(ms),
    'x-ratelimit-limit-tokens': '30000',
    'x-ratelimit-remaining-tokens': '29000',
    'x-ratelimit-reset-tokens': '20ms',
  }),
  quota: () => ({
    status: 429,
    body: {
      error: {
        message:
          'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    },
  }),
  overflow: (promptTokens, window) => ({
    status: 400,
    body: {
      error: {
        message: `This model's maximum context length is ${window} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`,
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      },
    },
  }),
  // OpenAI's own frame names a type; compatible servers (vLLM, OpenRouter) send the status as a numeric code.
  errorFrame(status, message, numeric) {
    const [type, code] = ERROR_TYPES[status] ?? (status >= 500 ? ['server_error', null] : ['invalid_request_error', null]);
    return sse({ error: numeric ? { code: status, message } : { message, type, param: null, code } });
  },
};

export function startOpenAIFake(handler: FakeHandler): Promise<FakeServer> {
  return startWireServer(openaiWire, handler);
}
