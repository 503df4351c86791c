// A fake Gemini API server: `POST /v1beta/models/{model}:streamGenerateContent?alt=sse` (each event is
// exactly `data: <one-line JSON>\n\n`, no `event:` lines, no [DONE]) and `:generateContent`.

import type { FakeHandler, FakeServer } from './script';
import { isObject, sse, startWireServer, type Prepared, type Route, type WireFormat } from './http';

const STATUSES: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};
const PATH = /^\/v1beta\/models\/([^/:]+):(streamGenerateContent|generateContent)$/;

function usageMetadata(p: Prepared, final: boolean) {
  const cached = p.usage.cachedInput;
  const prompt = p.usage.input + (cached ?? 0); // the prompt count includes the cached tokens
  const out = final ? p.usage.output : 0;
  return {
    promptTokenCount: prompt,
    ...(final ? { candidatesTokenCount: out } : {}),
    totalTokenCount: prompt + out,
    ...(cached ? { cachedContentTokenCount: cached } : {}),
  };
}

function response(route: Route, parts: unknown[], p: Prepared, final: boolean) {
  return {
    candidates: [{ content: { role: 'model', parts }, ...(final ? { finishReason: 'STOP' } : {}), index: 0 }],
    usageMetadata: usageMetadata(p, final),
    modelVersion: route.model,
    responseId: 'fake-response',
  };
}

/** Text pieces one per event; all function calls together in the last event (as Gemini sends them). */
function events(route: Route, p: Prepared): unknown[] {
  const calls = p.calls.map((c) => ({ functionCall: { name: c.name, args: JSON.parse(c.args) as unknown } }));
  const texts = p.textPieces.map((text) => [{ text }]);
  const groups = calls.length ? [...texts, calls] : texts.length ? texts : [[{ text: '' }]];
  return groups.map((parts, i) => response(route, parts, p, i === groups.length - 1));
}

export const geminiWire: WireFormat = {
  provider: 'gemini',
  basePath: '',
  route(method, url, body) {
    const m = PATH.exec(url.pathname);
    if (method !== 'POST' || !m?.[1]) return { status: 404, message: `Unknown route ${method} ${url.pathname}` };
    const stream = m[2] === 'streamGenerateContent';
    if (stream && url.searchParams.get('alt') !== 'sse') return { status: 400, message: 'This fake streams with ?alt=sse only' };
    if (!isObject(body) || !Array.isArray(body.contents)) return { status: 400, message: "Invalid JSON payload: 'contents' is required" };
    const tools = Array.isArray(body.tools) ? body.tools : [];
    const toolNames = tools
      .flatMap((t) => (isObject(t) && Array.isArray(t.functionDeclarations) ? t.functionDeclarations : []))
      .map((d) => (isObject(d) ? String(d.name) : ''))
      .filter(Boolean);
    return { model: decodeURIComponent(m[1]), stream, toolNames };
  },
  authorized: (req, url) => !!req.headers['x-goog-api-key'] || !!url.searchParams.get('key'),
  frames: (p, route) => events(route, p).map((e) => sse(e)),
  json(p, route) {
    const parts: unknown[] = p.text ? [{ text: p.text }] : [];
    for (const c of p.calls) parts.push({ functionCall: { name: c.name, args: JSON.parse(c.args) as unknown } });
    return JSON.stringify(response(route, parts.length ? parts : [{ text: '' }], p, true));
  },
  malformed(name, route) {
    // `args` is an object on this wire, so broken arguments mean a broken JSON event.
    const broken = `{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":${JSON.stringify(name)},"args":{"path": "src/`;
    return route.stream ? [`data: ${broken}\n\n`] : broken;
  },
  errorBody(status, message, retryAfterMs) {
    const details = retryAfterMs === undefined ? [] : [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retryAfterMs / 1000}s` }];
    return { error: { code: status, message, status: STATUSES[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'), ...(details.length ? { details } : {}) } };
  },
  headers: () => ({}),
};

export function startGeminiFake(handler: FakeHandler): Promise<FakeServer> {
  return startWireServer(geminiWire, handler);
}
