// A fake Anthropic Messages server: `POST /v1/messages`, streamed as `event:` + `data:` frames in the
// documented order (message_start, ping, content blocks, message_delta, message_stop).

import type { FakeHandler, FakeServer } from './script';
import { isObject, randomId, sse, startWireServer, type Prepared, type Route, type WireFormat } from './http';

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error',
  413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error',
};

interface Block {
  kind: 'text' | 'tool_use';
  id?: string;
  name?: string;
  pieces: string[];
}

function usageOf(p: Prepared) {
  return { input_tokens: p.usage.input, cache_creation_input_tokens: p.usage.cacheWrite ?? 0, cache_read_input_tokens: p.usage.cachedInput ?? 0 };
}

function message(route: Route, content: unknown[], p: Prepared, stopReason: string | null, outputTokens: number) {
  return {
    id: randomId('msg_'), type: 'message', role: 'assistant', model: route.model, content,
    stop_reason: stopReason, stop_sequence: null, usage: { ...usageOf(p), output_tokens: outputTokens },
  };
}

function blockFrames(index: number, b: Block): string[] {
  const start = b.kind === 'text' ? { type: 'text', text: '' } : { type: 'tool_use', id: b.id, name: b.name, input: {} };
  const frames = [sse({ type: 'content_block_start', index, content_block: start }, 'content_block_start')];
  for (const piece of b.pieces) {
    const delta = b.kind === 'text' ? { type: 'text_delta', text: piece } : { type: 'input_json_delta', partial_json: piece };
    frames.push(sse({ type: 'content_block_delta', index, delta }, 'content_block_delta'));
  }
  frames.push(sse({ type: 'content_block_stop', index }, 'content_block_stop'));
  return frames;
}

function turnFrames(route: Route, p: Prepared, blocks: Block[]): string[] {
  const stop = blocks.some((b) => b.kind === 'tool_use') ? 'tool_use' : 'end_turn';
  const start = message(route, [], p, null, 1);
  return [
    sse({ type: 'message_start', message: start }, 'message_start'),
    sse({ type: 'ping' }, 'ping'),
    ...blocks.flatMap((b, i) => blockFrames(i, b)),
    sse({ type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: p.usage.output } }, 'message_delta'),
    sse({ type: 'message_stop' }, 'message_stop'),
  ];
}

function blocksOf(p: Prepared): Block[] {
  const blocks: Block[] = p.text ? [{ kind: 'text', pieces: p.textPieces }] : [];
  for (const c of p.calls) blocks.push({ kind: 'tool_use', id: c.id, name: c.name, pieces: ['', ...c.argPieces] });
  return blocks;
}

export const anthropicWire: WireFormat = {
  provider: 'anthropic',
  basePath: '',
  route(method, url, body) {
    if (method !== 'POST' || url.pathname !== '/v1/messages') return { status: 404, message: `Unknown route ${method} ${url.pathname}` };
    if (!isObject(body) || typeof body.model !== 'string' || !Array.isArray(body.messages) || typeof body.max_tokens !== 'number') {
      return { status: 400, message: 'model, messages and max_tokens: field required' };
    }
    const tools = Array.isArray(body.tools) ? body.tools : [];
    const toolNames = tools.map((t) => (isObject(t) ? String(t.name) : '')).filter(Boolean);
    return { model: body.model, stream: body.stream === true, toolNames };
  },
  authorized(req) {
    const auth = req.headers.authorization;
    return (typeof auth === 'string' && /^Bearer \S+/.test(auth)) || !!req.headers['x-api-key'];
  },
  frames: (p, route) => turnFrames(route, p, blocksOf(p)),
  json(p, route) {
    const content: unknown[] = p.text ? [{ type: 'text', text: p.text }] : [];
    for (const c of p.calls) content.push({ type: 'tool_use', id: c.id, name: c.name, input: JSON.parse(c.args) as unknown });
    return JSON.stringify(message(route, content, p, p.calls.length ? 'tool_use' : 'end_turn', p.usage.output));
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
};

export function startAnthropicFake(handler: FakeHandler): Promise<FakeServer> {
  return startWireServer(anthropicWire, handler);
}
