// A fake OpenAI Chat Completions server: `POST /v1/chat/completions`, streamed as `data:` lines
// ending in `data: [DONE]`, exactly as the real API (and thus the `openai` SDK) expects.

import type { FakeHandler, FakeServer } from './script';
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

function wireUsage(p: Prepared) {
  const cached = p.usage.cachedInput ?? 0;
  return {
    prompt_tokens: p.usage.input + cached, // OpenAI's prompt count includes the cached tokens
    completion_tokens: p.usage.output,
    total_tokens: p.usage.input + cached + p.usage.output,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

/** Frames for a turn: role delta, content pieces, tool-call header + argument fragments, finish, usage, [DONE]. */
function turnFrames(
  route: Route, body: unknown, text: string[], calls: { id: string; name: string; argPieces: string[] }[], usage: ReturnType<typeof wireUsage>,
): string[] {
  const id = randomId('chatcmpl-');
  const created = Math.floor(Date.now() / 1000);
  const withUsage = wantsUsage(body);
  const chunk = (delta: object, finish: string | null = null) =>
    sse({
      id, object: 'chat.completion.chunk', created, model: route.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(withUsage ? { usage: null } : {}),
    });
  const frames = [chunk({ role: 'assistant', content: '', refusal: null })];
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

function completion(route: Route, content: string | null, calls: { id: string; name: string; args: string }[], usage: ReturnType<typeof wireUsage>): string {
  return JSON.stringify({
    id: randomId('chatcmpl-'), object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: route.model,
    choices: [{
      index: 0,
      message: {
        role: 'assistant', content, refusal: null,
        ...(calls.length ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.args } })) } : {}),
      },
      logprobs: null,
      finish_reason: calls.length ? 'tool_calls' : 'stop',
    }],
    usage,
  });
}

const BROKEN_ARGS = ['{"path": "src/', 'index.ts", "content": '];

export const openaiWire: WireFormat = {
  provider: 'openai',
  basePath: '/v1',
  route(method, url, body) {
    if (method !== 'POST' || url.pathname !== '/v1/chat/completions') return { status: 404, message: `Unknown route ${method} ${url.pathname}` };
    if (!isObject(body) || typeof body.model !== 'string' || !Array.isArray(body.messages)) {
      return { status: 400, message: "The request needs a string 'model' and a 'messages' array" };
    }
    const tools = Array.isArray(body.tools) ? body.tools : [];
    const toolNames = tools.map((t) => (isObject(t) && isObject(t.function) ? String(t.function.name) : '')).filter(Boolean);
    return { model: body.model, stream: body.stream === true, toolNames };
  },
  authorized(req) {
    const auth = req.headers.authorization;
    return (typeof auth === 'string' && /^Bearer \S+/.test(auth)) || !!req.headers['api-key'];
  },
  frames: (p, route, body) => turnFrames(route, body, p.textPieces, p.calls, wireUsage(p)),
  json: (p, route) => completion(route, p.calls.length && !p.text ? null : p.text, p.calls, wireUsage(p)),
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
};

export function startOpenAIFake(handler: FakeHandler): Promise<FakeServer> {
  return startWireServer(openaiWire, handler);
}
