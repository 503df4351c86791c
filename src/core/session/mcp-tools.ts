// MCP tools as models see them, and the policy over their calls. Pure.
//
// Names: `mcp__<server>__<tool>`, with every character outside [A-Za-z0-9_-] made `_`, at most 64
// characters (what OpenAI, Anthropic and Gemini all accept: Gemini's rule is the widest, OpenAI's and
// Anthropic's the narrowest), unique in the session (a name cut or made equal to another's gets a short
// hash of the server and tool). Schemas: the server's JSON Schema with its `$ref`s to `$defs` inlined
// (a provider then gets one self-contained object schema; Gemini's dialect is converted by its adapter).
// Results: text as it is, images for the adapters to send (or note), embedded resources as their text
// or a line saying what they were, resource links as a line.

import { createHash } from 'node:crypto';
import type { JsonSchema, McpContent, McpToolResult, ToolImage } from '../ports';
import { SECRET_ENV_NAME } from '../redact';
import type { McpPolicy } from '../mcp-config';

/** The longest tool name every provider accepts. */
export const MAX_TOOL_NAME = 64;
/** The most of a tool's description a model is given. */
const MAX_DESCRIPTION = 2000;
/** The most text of one result the model reads back (as read_file). */
export const MAX_RESULT_CHARS = 100_000;
/** The most images of one result sent on, and the largest (base64 characters; Anthropic takes 5 MB). */
const MAX_IMAGES = 4;
const MAX_IMAGE_CHARS = 5 * 1024 * 1024;

const clean = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');

/** `mcp__github__search_issues`: a name no other tool of the session has (`taken`), within every provider's rules. */
export function mcpToolName(server: string, tool: string, taken: ReadonlySet<string>): string {
  const plain = `mcp__${clean(server)}__${clean(tool)}`;
  if (plain.length <= MAX_TOOL_NAME && !taken.has(plain)) return plain;
  const hash = createHash('sha256').update(`${server}/${tool}`).digest('hex');
  for (let n = 6; ; n++) {
    const tail = `_${hash.slice(0, n)}`;
    const name = `${plain.slice(0, MAX_TOOL_NAME - tail.length)}${tail}`;
    if (!taken.has(name) || n >= hash.length) return name;
  }
}

/** The description a model reads: the server's (or the tool's title), saying which server it is from. */
export function mcpDescription(server: string, t: { name: string; title?: string; description?: string }): string {
  const own = (t.description ?? t.title ?? '').trim();
  const text = `${own ? `${own}\n\n` : ''}(Tool "${t.name}" of the MCP server "${server}".)`;
  return text.length > MAX_DESCRIPTION ? `${own.slice(0, MAX_DESCRIPTION - 80)}…\n\n(Tool "${t.name}" of the MCP server "${server}".)` : text;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How deep `$ref`s are followed; a reference still open there (a recursive type) becomes an open object. */
const MAX_REF_DEPTH = 6;

/**
 * The tool's input schema as one self-contained object schema: `$ref`s into `#/$defs/…` or
 * `#/definitions/…` inlined, `$schema`/`$id`/`$defs` dropped, and an object at the top (with
 * `properties`) whatever the server wrote.
 */
export function normaliseSchema(schema: unknown): JsonSchema {
  const root = isObject(schema) ? schema : {};
  const defs: Json = { ...(isObject(root.definitions) ? root.definitions : {}), ...(isObject(root.$defs) ? root.$defs : {}) };
  const walk = (v: unknown, depth: number): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, depth));
    if (!isObject(v)) return v;
    if (typeof v.$ref === 'string') {
      const m = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(v.$ref);
      const target = m ? defs[decodeURIComponent(m[1]!.replace(/~1/g, '/').replace(/~0/g, '~'))] : undefined;
      const { $ref: _ref, ...rest } = v;
      if (!isObject(target) || depth >= MAX_REF_DEPTH)
        return {
          type: 'object',
          ...(walk(rest, depth) as Json),
          description: String(rest.description ?? (target ? 'a nested value of the same kind' : `see ${v.$ref}`)),
        };
      return { ...(walk(target, depth + 1) as Json), ...(walk(rest, depth) as Json) };
    }
    const out: Json = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === '$schema' || k === '$id' || k === '$defs' || k === 'definitions') continue;
      // Inside `properties` the keys are names, not keywords: walk their schemas only.
      out[k] = k === 'properties' && isObject(x) ? Object.fromEntries(Object.entries(x).map(([n, s]) => [n, walk(s, depth)])) : walk(x, depth);
    }
    return out;
  };
  const top = walk(root, 0) as Json;
  const properties = isObject(top.properties) ? top.properties : {};
  const required = Array.isArray(top.required) ? top.required.filter((r): r is string => typeof r === 'string' && r in properties) : undefined;
  const { type: _t, properties: _p, required: _r, ...rest } = top;
  return { ...rest, type: 'object', properties, ...(required?.length ? { required } : {}) } as JsonSchema;
}

/** Whether `pattern` (`server/tool`, `*` standing for any run of characters) allows `server/tool`. */
export function matchesMcpPattern(pattern: string, server: string, tool: string): boolean {
  const re = new RegExp(
    `^${pattern
      .trim()
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
  return re.test(`${server}/${tool}`);
}

export type McpVerdict = { kind: 'allowed'; reason: string } | { kind: 'denied'; reason: string } | { kind: 'ask' };

/** What the `mcp` policy alone says about a call (before anybody is asked). */
export function mcpVerdict(policy: Pick<McpPolicy, 'run' | 'allow' | 'allowReadOnly'>, server: string, tool: string, readOnly: boolean): McpVerdict {
  if (policy.run === 'never') return { kind: 'denied', reason: 'MCP tools are turned off (mcp.run is "never")' };
  if (policy.run === 'always') return { kind: 'allowed', reason: 'mcp.run is "always": every call runs' };
  const pattern = policy.allow.find((p) => matchesMcpPattern(p, server, tool));
  if (pattern !== undefined) return { kind: 'allowed', reason: `it matches the allow pattern ${JSON.stringify(pattern)}` };
  if (readOnly && policy.allowReadOnly) return { kind: 'allowed', reason: 'the server marks the tool read-only, and mcp.allowReadOnly is true' };
  if (policy.run === 'allowed') return { kind: 'denied', reason: 'it matches no pattern of mcp.allow, and mcp.run is "allowed" (nobody is asked)' };
  return { kind: 'ask' };
}

/** Whether a role's selection (`github`, `github/search_*`) includes `server/tool`. */
export function selects(selection: readonly string[], server: string, tool: string): boolean {
  return selection.some((e) => (e.includes('/') ? matchesMcpPattern(e, server, tool) : e === server));
}

const SUMMARY_CHARS = 300;
const VALUE_CHARS = 80;

/**
 * A call's arguments for the log, the transcript and the approval question: JSON with long strings cut
 * and the values of secret-named keys (`token`, `password`, `apiKey`…) hidden. The log's redactor then
 * removes any known secret left.
 */
export function summariseArguments(args: Record<string, unknown>, max = SUMMARY_CHARS): string {
  const walk = (v: unknown, key?: string): unknown => {
    if (key !== undefined && SECRET_ENV_NAME.test(key) && v !== null && typeof v !== 'object') return '[hidden]';
    if (typeof v === 'string') return v.length > VALUE_CHARS ? `${v.slice(0, VALUE_CHARS)}… (${v.length} characters)` : v;
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  const text = JSON.stringify(walk(args)) ?? '{}';
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

const sizeOf = (base64: string) => Math.floor((base64.length * 3) / 4);
const kb = (bytes: number) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`);

/** What a model reads back from a call: the text (images as placeholders), the images to send, and the outcome in a few words. */
export function formatResult(server: string, tool: string, r: McpToolResult): { text: string; images: ToolImage[]; summary: string } {
  const parts: string[] = [];
  const images: ToolImage[] = [];
  const image = (mimeType: string, data: string, from?: string): string => {
    const what = `${mimeType} image, ${kb(sizeOf(data))}${from ? `, ${from}` : ''}`;
    if (!/^image\/[\w.+-]+$/.test(mimeType) || images.length >= MAX_IMAGES || data.length > MAX_IMAGE_CHARS)
      return `[${what}: not shown (${images.length >= MAX_IMAGES ? `at most ${MAX_IMAGES} images per result` : data.length > MAX_IMAGE_CHARS ? 'too large' : 'not an image type'})]`;
    images.push({ mimeType, data });
    return `[image ${images.length}: ${what}]`;
  };
  for (const c of r.content as McpContent[]) {
    if (c.type === 'text') parts.push(c.text);
    else if (c.type === 'image') parts.push(image(c.mimeType, c.data));
    else if (c.type === 'audio') parts.push(`[${c.mimeType} audio, ${kb(sizeOf(c.data))}: not shown (models here are not given audio)]`);
    else if (c.type === 'resource') {
      if (c.text !== undefined) parts.push(`[resource ${c.uri}${c.mimeType ? ` (${c.mimeType})` : ''}]\n${c.text}`);
      else if (c.blob !== undefined && c.mimeType?.startsWith('image/')) parts.push(image(c.mimeType, c.blob, `resource ${c.uri}`));
      else
        parts.push(
          `[resource ${c.uri}${c.mimeType ? ` (${c.mimeType})` : ''}: ${c.blob !== undefined ? `${kb(sizeOf(c.blob))} of binary data, not shown` : 'no content'}]`,
        );
    } else if (c.type === 'resource_link')
      parts.push(`[resource link: ${c.name ? `${c.name} — ` : ''}${c.uri}${c.mimeType ? ` (${c.mimeType})` : ''}${c.description ? `: ${c.description}` : ''}]`);
    else parts.push(`[a "${c.kind}" content block: not shown]`);
  }
  if (!parts.length && r.structured !== undefined) parts.push(JSON.stringify(r.structured, null, 2) ?? '');
  let text = parts.join('\n');
  if (text.length > MAX_RESULT_CHARS) text = `${text.slice(0, MAX_RESULT_CHARS)}\n… (cut at ${MAX_RESULT_CHARS} of ${text.length} characters)`;
  if (!text.trim()) text = r.isError ? `${server}/${tool} failed and said nothing.` : `${server}/${tool} returned nothing.`;
  const first = (text.split('\n', 1)[0] ?? '').slice(0, 120);
  const n = r.content.length;
  const summary = r.isError
    ? `error: ${first}`
    : `${n} content block${n === 1 ? '' : 's'}${images.length ? `, ${images.length} image${images.length === 1 ? '' : 's'}` : ''}, ${text.length.toLocaleString('en')} characters`;
  return { text, images, summary };
}
