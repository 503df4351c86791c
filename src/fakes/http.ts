// The node:http machinery every fake shares: body reading, routing, auth, recording, timing, cuts,
// hangs and a close() that never waits on a hung socket. Each provider's file only describes its wire.

import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import {
  fakePromptTokens,
  pieces,
  type FakeAnswer,
  type FakeHandler,
  type FakeReply,
  type FakeRequest,
  type FakeServer,
  type FakeThinking,
  type FakeUsage,
  type QuotaVariant,
} from './script';

const MAX_BODY = 20 * 1024 * 1024;

/** What a routed request asks for. */
export interface Route {
  model: string;
  stream: boolean;
  toolNames: string[];
}

/** Everything the shared server needs to know about one provider's wire format. */
export interface WireFormat {
  provider: 'openai' | 'anthropic' | 'gemini';
  /** Appended to `http://127.0.0.1:port` to make the SDK's base URL. */
  basePath: string;
  /** A route for a well-formed request, or the error to answer with. */
  route(method: string, url: URL, body: unknown): Route | { status: number; message: string };
  authorized(req: IncomingMessage, url: URL): boolean;
  /** The streamed frames of an answer, each a complete SSE event. */
  frames(answer: Prepared, route: Route, body: unknown): string[];
  /** The non-streamed JSON text of an answer. */
  json(answer: Prepared, route: Route): string;
  /** One tool call whose argument JSON is broken, streamed or not. */
  malformed(name: string, route: Route, body: unknown): string[] | string;
  /** `retryAfterMs`: the delay the body itself carries, where the wire has one (Gemini's RetryInfo). */
  errorBody(status: number, message: string, retryAfterMs?: number): unknown;
  /** Extra response headers, e.g. a request id. */
  headers(): Record<string, string>;
  /** The provider's rate-limit reset headers for a window that is used up in `ms`. */
  resetHeaders(ms: number): Record<string, string>;
  /** The provider's out-of-money answer. */
  quota(variant?: QuotaVariant): { status: number; body: unknown };
  /** One SSE error frame inside a 200 stream. */
  errorFrame(status: number, message: string, numeric: boolean): string;
  /** The provider's answer to a prompt of `promptTokens` over the model's `window` (provider-wire.md §6). */
  overflow(promptTokens: number, window: number): { status: number; body: unknown };
}

export interface PreparedCall {
  id: string;
  name: string;
  args: string;
  /** `args` split by the answer's chunkSize. */
  argPieces: string[];
}

/** A FakeAnswer split for streaming, with ids and usage filled in. */
export interface Prepared {
  text: string;
  textPieces: string[];
  calls: PreparedCall[];
  usage: FakeUsage;
  refusal?: string;
  thinking?: FakeThinking;
}

export function randomId(prefix: string): string {
  return prefix + randomBytes(12).toString('hex');
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function sse(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

export function prepare(answer: FakeAnswer, callPrefix: string, promptChars: number): Prepared {
  const size = answer.chunkSize ?? 24;
  const text = answer.text ?? '';
  const calls = (answer.toolCalls ?? []).map((c) => {
    const args = JSON.stringify(c.arguments);
    return { id: c.id ?? randomId(callPrefix), name: c.name, args, argPieces: pieces(args, size) };
  });
  // Without scripted usage, estimate ~4 characters per token so demos still show plausible figures.
  const outChars = text.length + calls.reduce((n, c) => n + c.name.length + c.args.length, 0);
  const usage = answer.usage ?? { input: fakePromptTokens(promptChars), output: Math.max(1, Math.ceil(outChars / 4)) };
  return { text, textPieces: text ? pieces(text, size) : [], calls, usage, refusal: answer.refusal, thinking: answer.thinking };
}

function sleep(ms: number, res: ServerResponse): Promise<void> {
  if (ms <= 0 || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once('close', done);
  });
}

/** The key the SDK sent: a bearer token, `x-api-key`, `x-goog-api-key`, Azure's `api-key`, or `?key=`. */
function sentKey(req: IncomingMessage, url: URL): string {
  const h = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
  return /^Bearer (.+)$/.exec(h('authorization') ?? '')?.[1] ?? h('x-api-key') ?? h('x-goog-api-key') ?? h('api-key') ?? url.searchParams.get('key') ?? '';
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startWireServer(wire: WireFormat, handler: FakeHandler): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  const requests: FakeRequest[] = [];
  let current = handler;
  let contextWindow: number | undefined;

  const sendError = (res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}, retryAfterMs?: number) =>
    sendBody(res, status, wire.errorBody(status, message, retryAfterMs), extra);

  const sendBody = (res: ServerResponse, status: number, json: unknown, extra: Record<string, string> = {}) => {
    const body = JSON.stringify(json);
    res.writeHead(status, STATUS_CODES[status] ?? (status === 529 ? 'Overloaded' : 'Error'), {
      'content-type': 'application/json',
      ...wire.headers(),
      ...extra,
    });
    res.end(body);
  };

  const stream = async (res: ServerResponse, frames: string[], delayMs = 0, chunkDelayMs = 0, cutAfter?: number, cut = true) => {
    await sleep(delayMs, res);
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...wire.headers() });
    res.flushHeaders();
    const count = cutAfter === undefined ? frames.length : Math.min(cutAfter, frames.length);
    for (let i = 0; i < count && !res.destroyed; i++) {
      if (i > 0) await sleep(chunkDelayMs, res);
      if (!res.destroyed) await new Promise<void>((resolve) => res.write(frames[i], () => resolve()));
    }
    if (cutAfter === undefined || !cut) res.end();
    else res.socket?.destroy();
  };

  const answer = async (res: ServerResponse, reply: FakeReply, route: Route, body: unknown, promptChars: number, key: string) => {
    switch (reply.kind) {
      case 'hang':
        return; // close() destroys the socket
      case 'error': {
        const headers: Record<string, string> = {};
        if (reply.retryAfterS !== undefined) headers['retry-after'] = String(reply.retryAfterS);
        if (reply.retryAfterMs !== undefined) headers['retry-after-ms'] = String(reply.retryAfterMs);
        if (reply.resetAfterMs !== undefined) Object.assign(headers, wire.resetHeaders(reply.resetAfterMs));
        const wait = reply.retryAfterMs ?? (reply.retryAfterS === undefined ? reply.resetAfterMs : reply.retryAfterS * 1000);
        const message = reply.message ?? (reply.echoKey ? 'Incorrect API key provided' : (STATUS_CODES[reply.status] ?? 'Error'));
        return sendError(res, reply.status, reply.echoKey ? `${message}: ${key}` : message, headers, wait);
      }
      case 'quota': {
        const q = wire.quota(reply.variant);
        return sendBody(res, q.status, q.body);
      }
      case 'overflow': {
        const o = wire.overflow(reply.promptTokens, reply.window);
        return sendBody(res, o.status, o.body);
      }
      case 'stream_error': {
        const prepared = prepare(reply, wire.provider === 'anthropic' ? 'toolu_' : 'call_', promptChars);
        const frames = wire.frames(prepared, route, body).slice(0, reply.afterChunks);
        frames.push(wire.errorFrame(reply.status, reply.message ?? STATUS_CODES[reply.status] ?? 'Error', reply.numeric ?? false));
        return stream(res, frames, reply.delayMs, reply.chunkDelayMs, frames.length, false);
      }
      case 'malformed_args': {
        const out = wire.malformed(reply.name, route, body);
        if (Array.isArray(out)) return stream(res, out);
        res.writeHead(200, { 'content-type': 'application/json', ...wire.headers() });
        return void res.end(out);
      }
      case 'reply':
      case 'cut': {
        const prepared = prepare(reply, wire.provider === 'anthropic' ? 'toolu_' : 'call_', promptChars);
        const cutAfter = reply.kind === 'cut' ? reply.afterChunks : undefined;
        if (route.stream) return stream(res, wire.frames(prepared, route, body), reply.delayMs, reply.chunkDelayMs, cutAfter);
        await sleep(reply.delayMs ?? 0, res);
        if (cutAfter !== undefined) return void res.socket?.destroy();
        res.writeHead(200, { 'content-type': 'application/json', ...wire.headers() });
        return void res.end(wire.json(prepared, route));
      }
    }
  };

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readBody(req);
    if (raw === undefined) return sendError(res, 413, 'Request body too large');
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      return sendError(res, 400, 'The request body is not valid JSON');
    }
    const route = wire.route(req.method ?? 'GET', url, body);
    if (!('model' in route)) return sendError(res, route.status, route.message);
    const traceHeader = req.headers['x-ensemble-trace'];
    const request: FakeRequest = {
      provider: wire.provider,
      model: route.model,
      trace: typeof traceHeader === 'string' ? traceHeader : undefined,
      stream: route.stream,
      headers: { ...req.headers },
      body,
      toolNames: route.toolNames,
    };
    requests.push(request);
    if (!wire.authorized(req, url)) return sendError(res, 401, 'No API key was provided');
    // As a real provider: a prompt over the model's window is refused before any model sees it.
    const promptTokens = fakePromptTokens(raw.length);
    if (contextWindow !== undefined && promptTokens > contextWindow)
      return answer(res, { kind: 'overflow', promptTokens, window: contextWindow }, route, body, raw.length, '');
    let reply: FakeReply;
    try {
      reply = await current(request);
    } catch (e) {
      return sendError(res, 500, `The fake's handler failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    await answer(res, reply, route, body, raw.length, sentKey(req, url));
  };

  const server = createServer((req, res) => {
    res.on('error', () => {});
    serve(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    provider: wire.provider,
    baseUrl: `http://127.0.0.1:${port}${wire.basePath}`,
    requests,
    setHandler(next: FakeHandler) {
      current = next;
    },
    setContextWindow(tokens: number | undefined) {
      contextWindow = tokens;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
    },
  };
}
