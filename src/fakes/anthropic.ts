// A fake Anthropic Messages server: `POST /v1/messages`, streamed as `event:` + `data:` frames in the
// documented order (message_start, ping, content blocks, message_delta, message_stop).

import { pieces, type FakeHandler, type FakeServer } from './script';
import { isObject, randomId, sse, startWireServer, type Prepared, type Route, type WireFormat } from './http';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

interface Block {
  kind: 'text' | 'tool_use' | 'thinking' | 'redacted_thinking';
  id?: string;
  name?: string;
  pieces: string[];
  /** thinking: the signature_delta; redacted_thinking: the data. */
  opaque?: string;
}

function usageOf(p: Prepared) {
  return { input_tokens: p.usage.input, cache_creation_input_tokens: p.usage.cacheWrite ?? 0, cache_read_input_tokens: p.usage.cachedInput ?? 0 };
}

/** Thinking tokens are billed inside `output_tokens`. */
const outputOf = (p: Prepared) => p.usage.output + (p.usage.reasoning ?? 0);

function stopOf(p: Prepared): string {
  return p.refusal !== undefined ? 'refusal' : p.calls.length ? 'tool_use' : 'end_turn';
}

/** A refusal says why in `stop_details`; any other stop has none. */
function stopDetails(p: Prepared) {
  return p.refusal !== undefined ? { type: 'refusal', category: null, explanation: null } : null;
}

function message(route: Route, content: unknown[], p: Prepared, stopReason: string | null, outputTokens: number) {
  return {
    id: randomId('msg_'),
    type: 'message',
    role: 'assistant',
    model: route.model,
    content,
    stop_reason: stopReason,
    stop_details: stopReason ? stopDetails(p) : null,
    stop_sequence: null,
    usage: { ...usageOf(p), output_tokens: outputTokens },
  };
}

const STARTS = {
  text: () => ({ type: 'text', text: '' }),
  tool_use: (b: Block) => ({ type: 'tool_use', id: b.id, name: b.name, input: {} }),
  thinking: () => ({ type: 'thinking', thinking: '', signature: '' }),
  redacted_thinking: (b: Block) => ({ type: 'redacted_thinking', data: b.opaque }),
};
const DELTAS = {
  text: (piece: string) => ({ type: 'text_delta', text: piece }),
  tool_use: (piece: string) => ({ type: 'input_json_delta', partial_json: piece }),
  thinking: (piece: string) => ({ type: 'thinking_delta', thinking: piece }),
  redacted_thinking: (piece: string) => ({ type: 'text_delta', text: piece }), // never sent: a redacted block has no deltas
};

function blockFrames(index: number, b: Block): string[] {
  const frames = [sse({ type: 'content_block_start', index, content_block: STARTS[b.kind](b) }, 'content_block_start')];
  for (const piece of b.pieces) frames.push(sse({ type: 'content_block_delta', index, delta: DELTAS[b.kind](piece) }, 'content_block_delta'));
  // The signature arrives in one signature_delta just before the thinking block stops.
  if (b.kind === 'thinking')
    frames.push(sse({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: b.opaque } }, 'content_block_delta'));
  frames.push(sse({ type: 'content_block_stop', index }, 'content_block_stop'));
  return frames;
}

function turnFrames(route: Route, p: Prepared, blocks: Block[]): string[] {
  const start = message(route, [], p, null, 1);
  return [
    sse({ type: 'message_start', message: start }, 'message_start'),
    sse({ type: 'ping' }, 'ping'),
    ...blocks.flatMap((b, i) => blockFrames(i, b)),
    sse(
      { type: 'message_delta', delta: { stop_reason: stopOf(p), stop_details: stopDetails(p), stop_sequence: null }, usage: { output_tokens: outputOf(p) } },
      'message_delta',
    ),
    sse({ type: 'message_stop' }, 'message_stop'),
  ];
}

/** Thinking first (as the API sends it), then the text (or the refusal's words), then the tool calls. */
function blocksOf(p: Prepared): Block[] {
  const blocks: Block[] = [];
  if (p.thinking) blocks.push({ kind: 'thinking', pieces: pieces(p.thinking.text ?? '', 24), opaque: p.thinking.signature });
  if (p.thinking?.redacted) blocks.push({ kind: 'redacted_thinking', pieces: [], opaque: p.thinking.redacted });
  const words = p.refusal ?? p.text;
  if (words) blocks.push({ kind: 'text', pieces: p.refusal === undefined ? p.textPieces : pieces(words, 24) });
  for (const c of p.calls) blocks.push({ kind: 'tool_use', id: c.id, name: c.name, pieces: ['', ...c.argPieces] });
  return blocks;
}

/**
 * The API's rules for tool use (a 400 otherwise): each `tool_use` block has its `tool_result` in the
 * next message, each `tool_result` answers a `tool_use` of the previous message, and in a user message
 * the `tool_result` blocks come first (any text after them).
 */
export function anthropicConversationError(messages: unknown[]): string | undefined {
  let pending: string[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (!isObject(m)) return `messages.${i}: Input should be a valid dictionary`;
    const blocks = (Array.isArray(m.content) ? m.content : [{ type: 'text', text: m.content }]).filter(isObject);
    const results = blocks.filter((b) => b.type === 'tool_result').map((b) => String(b.tool_use_id));
    const missing = pending.filter((id) => !(m.role === 'user' && results.includes(id)));
    if (missing.length)
      return `messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    const unexpected = results.filter((id) => !pending.includes(id));
    if (unexpected.length)
      return `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${unexpected.join(', ')}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
    const firstOther = blocks.findIndex((b) => b.type !== 'tool_result');
    if (firstOther >= 0 && blocks.slice(firstOther).some((b) => b.type === 'tool_result'))
      return `messages.${i}.content: \`tool_result\` blocks must come before any other content in a user message.`;
    pending = m.role === 'assistant' ? blocks.filter((b) => b.type === 'tool_use').map((b) => String(b.id)) : [];
  }
  if (pending.length)
    return `messages.${messages.length - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${pending.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
  return undefined;
}

export const anthropicWire: WireFormat = {
  provider: 'anthropic',
  basePath: '',
  route(method, url, body) {
    if (method !== 'POST' || url.pathname !== '/v1/messages') return { status: 404, message: `Unknown route ${method} ${url.pathname}` };
    if (!isObject(body) || typeof body.model !== 'string' || !Array.isArray(body.messages) || typeof body.max_tokens !== 'number') {
      return { status: 400, message: 'model, messages and max_tokens: field required' };
    }
    const invalid = anthropicConversationError(body.messages);
    if (invalid) return { status: 400, message: invalid };
    const tools = Array.isArray(body.tools) ? body.tools : [];
    const toolNames = tools.map((t) => (isObject(t) ? String(t.name) : '')).filter(Boolean);
    // The API's rule for tool names (a 400 otherwise).
    const bad = toolNames.findIndex((n) => !/^[a-zA-Z0-9_-]{1,64}$/.test(n));
    if (bad >= 0) return { status: 400, message: `tools.${bad}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'` };
    return { model: body.model, stream: body.stream === true, toolNames };
  },
  authorized(req) {
    const auth = req.headers.authorization;
    return (typeof auth === 'string' && /^Bearer \S+/.test(auth)) || !!req.headers['x-api-key'];
  },
  frames: (p, route) => turnFrames(route, p, blocksOf(p)),
  json(p, route) {
    const content: unknown[] = [];
    if (p.thinking) content.push({ type: 'thinking', thinking: p.thinking.text ?? '', signature: p.thinking.signature });
    if (p.thinking?.redacted) content.push({ type: 'redacted_thinking', data: p.thinking.redacted });
    const words = p.refusal ?? p.text;
    if (words) content.push({ type: 'text', text: words });
    for (const c of p.calls) content.push({ type: 'tool_use', id: c.id, name: c.name, input: JSON.parse(c.args) as unknown });
    return JSON.stringify(message(route, content, p, stopOf(p), outputOf(p)));
  },
  malformed(name, route) {
    const p: Prepared = { text: '', textPieces: [], calls: [], usage: { input: 10, output: 5 } };
    const id = randomId('toolu_');
    if (!route.stream) {
      // `input` is an object on this wire, so broken arguments mean a broken body.
      return `{"id":"${randomId('msg_')}","type":"message","role":"assistant","content":[{"type":"tool_use","id":"${id}","name":${JSON.stringify(name)},"input":{"path": "src/`;
    }
    return turnFrames(route, p, [{ kind: 'tool_use', id, name, pieces: ['{"path": "src/', 'index.ts", "content": '] }]);
  },
  errorBody(status, message) {
    const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
    return { type: 'error', error: { type, message }, request_id: randomId('req_') };
  },
  headers: () => ({ 'request-id': randomId('req_') }),
  // RFC 3339 times; the request window is the one used up, the token window resets sooner with room left.
  resetHeaders: (ms) => ({
    'anthropic-ratelimit-requests-limit': '50',
    'anthropic-ratelimit-requests-remaining': '0',
    'anthropic-ratelimit-requests-reset': new Date(Date.now() + ms).toISOString(),
    'anthropic-ratelimit-tokens-limit': '40000',
    'anthropic-ratelimit-tokens-remaining': '39000',
    'anthropic-ratelimit-tokens-reset': new Date(Date.now() + 20).toISOString(),
  }),
  quota(variant = 'billing') {
    const body = (type: string, message: string, details?: object) => ({
      type: 'error',
      error: { type, message, ...(details ? { details } : {}) },
      request_id: randomId('req_'),
    });
    if (variant === 'spend_limit') {
      return {
        status: 429,
        body: body('rate_limit_error', 'Your organization has reached its monthly usage limit for its API tier.', {
          error_code: 'enforced_spend_limit_reached',
        }),
      };
    }
    if (variant === 'credit_balance') {
      return {
        status: 400,
        body: body(
          'invalid_request_error',
          'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
        ),
      };
    }
    return { status: 402, body: body('billing_error', 'There is an issue with your billing or payment information.') };
  },
  overflow: (promptTokens, window) => ({
    status: 400,
    body: {
      type: 'error',
      error: { type: 'invalid_request_error', message: `prompt is too long: ${promptTokens} tokens > ${window} maximum` },
      request_id: randomId('req_'),
    },
  }),
  errorFrame: (status, message) =>
    sse({ type: 'error', error: { type: ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message } }, 'error'),
};

export function startAnthropicFake(handler: FakeHandler): Promise<FakeServer> {
  return startWireServer(anthropicWire, handler);
}
