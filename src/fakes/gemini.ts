// A fake Gemini API server: `POST /v1beta/models/{model}:streamGenerateContent?alt=sse` (each event is
// exactly `data: <one-line JSON>\n\n`, no `event:` lines, no [DONE]) and `:generateContent`.

import { pieces, type FakeHandler, type FakeServer } from './script';
import { isObject, sse, startWireServer, type Prepared, type Route, type WireFormat } from './http';

const STATUSES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};
const PATH = /^\/v1beta\/models\/([^/:]+):(streamGenerateContent|generateContent)$/;

/** Thinking tokens come apart in `thoughtsTokenCount`; the total adds them. */
function usageMetadata(p: Prepared, final: boolean) {
  const cached = p.usage.cachedInput;
  const prompt = p.usage.input + (cached ?? 0); // the prompt count includes the cached tokens
  const out = final ? p.usage.output : 0;
  const thoughts = final ? (p.usage.reasoning ?? 0) : 0;
  return {
    promptTokenCount: prompt,
    ...(final ? { candidatesTokenCount: out } : {}),
    totalTokenCount: prompt + out + thoughts,
    ...(cached ? { cachedContentTokenCount: cached } : {}),
    ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
  };
}

const SAFETY_RATINGS = [
  { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true },
  { category: 'HARM_CATEGORY_HARASSMENT', probability: 'NEGLIGIBLE' },
];

function response(route: Route, parts: unknown[], p: Prepared, final: boolean) {
  // A refusal is a safety block: finishReason SAFETY with the ratings that blocked it.
  const finish = p.refusal !== undefined ? { finishReason: 'SAFETY', safetyRatings: SAFETY_RATINGS } : { finishReason: 'STOP' };
  return {
    candidates: [{ content: { role: 'model', parts }, ...(final ? finish : {}), index: 0 }],
    usageMetadata: usageMetadata(p, final),
    modelVersion: route.model,
    responseId: 'fake-response',
  };
}

/** The model's parts, in order: text pieces (or the refusal's words), then the function calls; the thought signature on the last text part and the first call. */
function partsOf(p: Prepared): { text?: string; functionCall?: unknown; thoughtSignature?: string }[] {
  const texts = p.refusal === undefined ? p.textPieces : pieces(p.refusal, 24);
  const parts: { text?: string; functionCall?: unknown; thoughtSignature?: string }[] = texts.map((text) => ({ text }));
  const signature = p.thinking?.signature;
  if (signature && parts.length) parts[parts.length - 1]!.thoughtSignature = signature;
  p.calls.forEach((c, i) =>
    parts.push({ functionCall: { name: c.name, args: JSON.parse(c.args) as unknown }, ...(i === 0 && signature ? { thoughtSignature: signature } : {}) }),
  );
  return parts;
}

/** Text pieces one per event; all function calls together in the last event (as Gemini sends them). */
function events(route: Route, p: Prepared): unknown[] {
  const parts = partsOf(p);
  const calls = parts.filter((x) => x.functionCall);
  const texts = parts.filter((x) => !x.functionCall).map((x) => [x]);
  const groups = calls.length ? [...texts, calls] : texts.length ? texts : [[{ text: '' }]];
  return groups.map((g, i) => response(route, g, p, i === groups.length - 1));
}

/**
 * The API's rules for a conversation (a 400 INVALID_ARGUMENT otherwise): turns alternate between
 * user and model, and a model turn with function calls is followed by a user turn with as many
 * function responses (which come only after such a turn).
 */
export function geminiConversationError(contents: unknown[]): string | undefined {
  let calls = 0;
  let lastRole: unknown = Symbol('none');
  for (const c of contents) {
    if (!isObject(c) || !Array.isArray(c.parts)) return "Invalid JSON payload: each content needs 'parts'.";
    if (c.role === lastRole) return 'Please ensure that multiturn requests alternate between user and model.';
    lastRole = c.role;
    const parts = c.parts.filter(isObject);
    const responses = parts.filter((p) => 'functionResponse' in p).length;
    if (responses && !calls) return 'Please ensure that function response turn comes immediately after a function call turn.';
    if (calls && responses !== calls)
      return 'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.';
    calls = c.role === 'model' ? parts.filter((p) => 'functionCall' in p).length : 0;
  }
  return undefined;
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
    const invalid = geminiConversationError(body.contents);
    if (invalid) return { status: 400, message: invalid };
    const tools = Array.isArray(body.tools) ? body.tools : [];
    const toolNames = tools
      .flatMap((t) => (isObject(t) && Array.isArray(t.functionDeclarations) ? t.functionDeclarations : []))
      .map((d) => (isObject(d) ? String(d.name) : ''))
      .filter(Boolean);
    // The API's rules for function names and for the schema fields it knows (a 400 otherwise).
    const bad = toolNames.findIndex((n) => !/^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/.test(n));
    if (bad >= 0)
      return {
        status: 400,
        message: `* GenerateContentRequest.tools[0].function_declarations[${bad}].name: Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes, with a maximum length of 64.`,
      };
    const unknown = unknownSchemaField(tools);
    if (unknown) return { status: 400, message: `Invalid JSON payload received. Unknown name "${unknown.name}" at '${unknown.at}': Cannot find field.` };
    return { model: decodeURIComponent(m[1]), stream, toolNames };
  },
  authorized: (req, url) => !!req.headers['x-goog-api-key'] || !!url.searchParams.get('key'),
  frames: (p, route) => events(route, p).map((e) => sse(e)),
  json(p, route) {
    const parts = partsOf({ ...p, textPieces: p.text ? [p.text] : [], refusal: undefined });
    if (p.refusal !== undefined) parts.unshift({ text: p.refusal });
    return JSON.stringify(response(route, parts.length ? parts : [{ text: '' }], p, true));
  },
  malformed(name, route) {
    // `args` is an object on this wire, so broken arguments mean a broken JSON event.
    const broken = `{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":${JSON.stringify(name)},"args":{"path": "src/`;
    return route.stream ? [`data: ${broken}\n\n`] : broken;
  },
  errorBody(status, message, retryAfterMs) {
    // A plain 429 is a per-minute quota: Gemini names it in a QuotaFailure and says when to retry in a RetryInfo.
    const details: unknown[] = status === 429 ? [HELP, quotaFailure('GenerateRequestsPerMinutePerProjectPerModel', '15')] : [];
    if (retryAfterMs !== undefined) details.push(retryInfo(retryAfterMs));
    return {
      error: {
        code: status,
        message,
        status: STATUSES[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'),
        ...(details.length ? { details } : {}),
      },
    };
  },
  headers: () => ({}),
  // Gemini sends no rate-limit headers: the wait is the RetryInfo in the body (see errorBody).
  resetHeaders: () => ({}),
  // A daily quota is used up: waiting until midnight Pacific, or billing, is the cure, whatever RetryInfo says.
  quota: () => ({
    status: 429,
    body: {
      error: {
        code: 429,
        message:
          'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.',
        status: 'RESOURCE_EXHAUSTED',
        details: [quotaFailure('GenerateRequestsPerDayPerProjectPerModel-FreeTier', '250'), HELP, retryInfo(22_000)],
      },
    },
  }),
  // Sometimes with an `errors` array (reason `badRequest`), as Google's front ends add it.
  overflow: (promptTokens, window) => ({
    status: 400,
    body: {
      error: {
        code: 400,
        message: `The input token count (${promptTokens}) exceeds the maximum number of tokens allowed (${window}).`,
        errors: [
          {
            message: `The input token count (${promptTokens}) exceeds the maximum number of tokens allowed (${window}).`,
            domain: 'global',
            reason: 'badRequest',
          },
        ],
        status: 'INVALID_ARGUMENT',
      },
    },
  }),
  errorFrame: (status, message) => sse({ error: { code: status, message, status: STATUSES[status] ?? 'INTERNAL' } }),
};

const HELP = {
  '@type': 'type.googleapis.com/google.rpc.Help',
  links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }],
};

function quotaFailure(quotaId: string, quotaValue: string) {
  return {
    '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
    violations: [
      {
        quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
        quotaId,
        quotaDimensions: { location: 'global', model: 'gemini-2.5-flash' },
        quotaValue,
      },
    ],
  };
}

function retryInfo(ms: number) {
  return { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${ms / 1000}s` };
}

export function startGeminiFake(handler: FakeHandler): Promise<FakeServer> {
  return startWireServer(geminiWire, handler);
}

/** The fields of Gemini's Schema object (OpenAPI's subset); any other in a function's parameters is a 400. */
const SCHEMA_FIELDS = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'propertyOrdering',
  'default',
  'items',
  'minimum',
  'maximum',
]);

/** The first field of a declaration's parameters that Gemini's Schema does not have, and where. */
function unknownSchemaField(tools: unknown[]): { name: string; at: string } | undefined {
  const walk = (s: unknown, at: string): { name: string; at: string } | undefined => {
    if (!isObject(s)) return undefined;
    for (const [k, v] of Object.entries(s)) {
      if (!SCHEMA_FIELDS.has(k)) return { name: k, at };
      if (k === 'properties' && isObject(v))
        for (const [n, p] of Object.entries(v)) {
          const r = walk(p, `${at}.properties[${n}].value`);
          if (r) return r;
        }
      if (k === 'items') {
        const r = walk(v, `${at}.items`);
        if (r) return r;
      }
      if (k === 'anyOf' && Array.isArray(v))
        for (const [i, x] of v.entries()) {
          const r = walk(x, `${at}.any_of[${i}]`);
          if (r) return r;
        }
    }
    return undefined;
  };
  for (const [t, tool] of tools.entries()) {
    const decls = isObject(tool) && Array.isArray(tool.functionDeclarations) ? tool.functionDeclarations : [];
    for (const [d, decl] of decls.entries()) {
      const r = isObject(decl) ? walk(decl.parameters, `tools[${t}].function_declarations[${d}].parameters`) : undefined;
      if (r) return r;
    }
  }
  return undefined;
}
