// The integration contract check: do the parts fit? A pure function over the project's files. It
// extracts the HTTP calls the front end makes and the routes the back end defines, with a small
// tokenizer and pattern matching (no parser), and matches them segment by segment.

import * as posix from 'node:path/posix';
import type { EndpointFinding } from './events';

export interface ContractReport {
  matched: { method: string; path: string }[];
  callsWithoutRoute: EndpointFinding[];
  routesNeverCalled: EndpointFinding[];
  calls: EndpointFinding[];
  routes: EndpointFinding[];
  filesScanned: number;
}

interface Tok { k: 'id' | 'str' | 'tpl' | 're' | 'num' | 'p'; v: string; line: number; end: number }
interface Ctx { toks: Tok[]; consts: Map<string, number[]>; params: string[]; depth: number }
type MethodSpec = { lit: string } | { arg: number } | { opts: number };
interface Fn { name: string; params: string[]; from: number; to: number; def: number }
interface Route extends EndpointFinding { recv?: string; app?: boolean }
interface Mount { file: string; prefix: string; by: string; byApp: boolean; recv?: string; targets?: string[] }

const VERBS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const P = '\u0000'; // a path parameter inside an evaluated URL: P + name + P
const H = '\u0001'; // an enclosing function's parameter (a wrapper's hole): H + index + H
const mark = (name: string): string => P + name + P;
const GET: MethodSpec = { lit: 'GET' };
const KEYWORDS = new Set(['if', 'for', 'while', 'switch', 'catch', 'function', 'return', 'with', 'typeof', 'new', 'await', 'async', 'else', 'case', 'const', 'let', 'var', 'in', 'of']);
const REGEX_AFTER = new Set(['(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>', '~', '^', '&&', '||', '??', '===', '!==', '==', '!=', '=>', 'return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'yield', 'await']);
const PUNCTS = ['===', '!==', '...', '==', '!=', '=>', '&&', '||', '??', '?.'];
const CODE_FILE = /\.[cm]?[jt]sx?$/i;
const HTML_FILE = /\.html?$/i;
const SKIPPED = /(^|\/)(node_modules|\.ensemble|\.git|coverage)\/|\.min\.js$|\.d\.ts$/i;
const TEST_FILE = /(^|\/)(test|tests|__tests__)\/|\.(test|spec)\.[cm]?[jt]sx?$/i;
const BACKEND = /require\(\s*['"](?:node:)?(?:express|https?|fastify|koa)['"]|from\s+['"](?:node:)?(?:express|https?|fastify|koa)['"]|\bcreateServer\s*\(|\bres\.(?:json\(\s*[^)\s]|send\(|status\(|writeHead\(|end\()/;
const URLISH = /url|path|route|endpoint/i;
const STMT_START = new Set([';', '{', '}', 'private', 'public', 'protected', 'readonly', 'static']);
const CLIENTS = new Set(['axios', 'request', 'got', 'superagent', 'supertest', '$', 'http']);

export function checkContracts(files: { path: string; content: string }[]): ContractReport {
  const calls: EndpointFinding[] = [], routes: Route[] = [], mounts: Mount[] = [];
  let filesScanned = 0;
  for (const f of Array.isArray(files) ? files : []) {
    try {
      const file = String(f.path).replace(/\\/g, '/').replace(/^\.\//, '');
      const html = HTML_FILE.test(file);
      if (typeof f.content !== 'string' || f.content.length > 2_000_000 || SKIPPED.test(file) || TEST_FILE.test(file) || (!html && !CODE_FILE.test(file))) continue;
      filesScanned++;
      const src = html ? htmlScripts(f.content) : f.content;
      if (!html && BACKEND.test(src)) scanBackend(tokenize(src), file, routes, mounts);
      else scanFrontend(tokenize(src), file, calls);
    } catch { /* odd input never breaks the check */ }
  }
  for (const r of routes) r.path = normalize(joinPath(prefixOf(r.file, r.recv, r.app ?? true, mounts, 0), r.path)) ?? r.path;
  return matchAll(dedupe(calls), dedupe(routes).map(({ method, path, file, line }) => ({ method, path, file, line })), filesScanned);
}

function dedupe<T extends EndpointFinding>(xs: T[]): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => { const k = `${x.method} ${x.path} ${x.file}:${x.line}`; return seen.has(k) ? false : (seen.add(k), true); });
}

function matchAll(calls: EndpointFinding[], routes: EndpointFinding[], filesScanned: number): ContractReport {
  const matched = new Map<string, { method: string; path: string }>(), called = new Set<EndpointFinding>(), callsWithoutRoute: EndpointFinding[] = [];
  const segs = (p: string): string[] => p.split('/').filter(Boolean);
  const split = routes.map((r) => ({ r, segs: segs(r.path) })), best = new Map<string, EndpointFinding[]>();
  for (const c of calls) {
    const key = `${c.method} ${c.path}`, cs = segs(c.path);
    if (!best.has(key)) { // the most specific routes this call fits, computed once per distinct call
      const scored = split.map(({ r, segs: rs }) => ({ r, s: r.method === c.method || r.method === 'ALL' ? score(cs, rs) : -1 })).filter((x) => x.s >= 0);
      const top = Math.max(-1, ...scored.map((x) => x.s));
      best.set(key, scored.filter((x) => x.s === top).map((x) => x.r));
    }
    const fits = best.get(key)!;
    if (!fits.length && !/\.[a-z0-9]{1,5}$/i.test(c.path)) callsWithoutRoute.push(c); // static assets are not API calls
    for (const r of fits) { called.add(r); matched.set(`${c.method} ${r.path}`, { method: c.method, path: r.path }); }
  }
  // A prefix dispatcher (`/api/*`, from `url.startsWith('/api/')`) is used whenever a call falls under it.
  const dispatches = (r: EndpointFinding) => r.path.endsWith('/*') && calls.some((c) => c.path.startsWith(r.path.slice(0, -1)));
  return { matched: [...matched.values()], callsWithoutRoute, routesNeverCalled: routes.filter((r) => !called.has(r) && !dispatches(r)), calls, routes, filesScanned };
}

/** How well call segments fit route segments: -1 no match; higher is more specific (literal beats parameter). */
function score(c: string[], r: string[]): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    const rs = r[i]!, cs = c[i];
    if (rs === '*') return s;
    if (cs === undefined) return -1;
    if (rs.startsWith(':')) s += 1;
    else if (cs.startsWith(':')) s += 0.5;
    else if (rs.toLowerCase() === cs.toLowerCase()) s += 2;
    else return -1;
  }
  return c.length === r.length ? s : -1;
}

function htmlScripts(html: string): string {
  let out = html.replace(/[^\n]/g, ' ');
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    const type = /\btype\s*=\s*["']?([^"'\s>]+)/i.exec(m[1] ?? '')?.[1];
    if (type && !/module|javascript|babel|jsx/i.test(type)) continue;
    const start = (m.index ?? 0) + m[0].indexOf('>') + 1, body = m[2] ?? '';
    out = out.slice(0, start) + body + out.slice(start + body.length);
  }
  return out;
}

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [], n = src.length;
  let i = 0, line = 1;
  const push = (k: Tok['k'], v: string, l: number): void => { toks.push({ k, v, line: l, end: -1 }); };
  while (i < n) {
    const c = src[i]!, d = src[i + 1], start = line;
    if (c === '\n') { line++; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r' || /\s/.test(c)) { i++; continue; }
    if (c === '/' && d === '/') { while (i < n && src[i] !== '\n') i++; continue; }
    if (c === '/' && d === '*') { const e = src.indexOf('*/', i + 2), stop = e < 0 ? n : e + 2; line += src.slice(i, stop).split('\n').length - 1; i = stop; continue; }
    if (c === '"' || c === "'") {
      let v = ''; i++;
      while (i < n && src[i] !== c && src[i] !== '\n') { if (src[i] === '\\') i++; v += src[i] ?? ''; i++; }
      i++; push('str', v, start); continue;
    }
    if (c === '`') {
      let j = i + 1, depth = 0;
      for (; j < n; j++) {
        const ch = src[j];
        if (ch === '\\') { j++; continue; }
        if (ch === '\n') line++;
        else if (depth === 0 && ch === '`') break;
        else if (ch === '$' && src[j + 1] === '{' && depth === 0) { depth = 1; j++; }
        else if (depth > 0 && ch === '{') depth++;
        else if (depth > 0 && ch === '}') depth--;
      }
      push('tpl', src.slice(i + 1, j), start); i = j + 1; continue;
    }
    const prev = toks[toks.length - 1];
    if (c === '/' && (!prev || (REGEX_AFTER.has(prev.v) && prev.k !== 'str'))) {
      let j = i + 1, cls = false;
      for (; j < n && src[j] !== '\n'; j++) {
        if (src[j] === '\\') j++; else if (src[j] === '[') cls = true; else if (src[j] === ']') cls = false; else if (src[j] === '/' && !cls) break;
      }
      if (src[j] === '/') { push('re', src.slice(i + 1, j), start); i = j + 1; while (/[a-z]/i.test(src[i] ?? '')) i++; continue; }
    }
    const word = /^[A-Za-z_$][\w$]*|^\d[\w.]*/.exec(src.slice(i, i + 200))?.[0];
    if (word) { push(/\d/.test(c) ? 'num' : 'id', word, start); i += word.length; continue; }
    const op = PUNCTS.find((p) => src.startsWith(p, i)) ?? c;
    push('p', op, start); i += op.length;
  }
  const stack: number[] = [];
  toks.forEach((t, k) => {
    if (t.k !== 'p') return;
    if (t.v === '(' || t.v === '[' || t.v === '{') stack.push(k);
    else if (t.v === ')' || t.v === ']' || t.v === '}') { const o = stack.pop(); if (o !== undefined) { toks[o]!.end = k; t.end = o; } }
  });
  return toks;
}

/** Index where each top-level argument of the call whose `(` is at `open` starts. */
function argStarts(toks: Tok[], open: number): number[] {
  const close = toks[open]?.end ?? -1, out: number[] = [];
  if (close < open) return out;
  if (close > open + 1) out.push(open + 1);
  for (let j = open + 1; j < close; j++) {
    const t = toks[j]!;
    if (t.end > j && t.k === 'p') j = t.end;
    else if (t.v === ',' && j + 1 < close) out.push(j + 1);
  }
  return out;
}

/** After TS type arguments (`f<T>(`, `<T>(p) =>`) starting at `i`, or `i` when there are none. */
function skipTypeArgs(toks: Tok[], i: number): number {
  if (toks[i]?.v !== '<') return i;
  for (let j = i + 1, depth = 1; j < toks.length && j < i + 40; j++) {
    const v = toks[j]!.v;
    if (v === ';' || v === '{' || v === '}' || v === '=>') return i;
    if (v === '<') depth++;
    else if (v === '>' && --depth === 0) return j + 1;
  }
  return i;
}

/** End of the statement starting at `i` (exclusive of the closer of an enclosing block). */
function stmtEnd(toks: Tok[], i: number): number {
  for (let j = i; j < toks.length; j++) {
    const t = toks[j]!;
    if (t.end > j && t.k === 'p') j = t.end;
    else if (t.v === ';' || t.v === ')' || t.v === '}' || t.v === ']') return j;
  }
  return toks.length - 1;
}

/** Evaluates `a + b + …` (string, template, constant, call) into a URL with parameter markers. */
function evalExpr(ctx: Ctx, i: number): string | undefined {
  let out = '', found = false;
  for (;;) {
    const r = operand(ctx, i);
    if (!r) break;
    out += r.v; found = true; i = r.next;
    const op = ctx.toks[i]?.v;
    if (op === '+') { i++; continue; }
    if ((op === '||' || op === '??') && !hasLiteral(out)) { out = ''; found = false; i++; continue; }
    break;
  }
  return found ? out : undefined;
}

function operand(ctx: Ctx, i: number): { v: string; next: number } | undefined {
  const { toks } = ctx, t = toks[i];
  if (!t) return undefined;
  if (t.k === 'str' || t.k === 'num') return { v: t.v, next: i + 1 };
  if (t.k === 'tpl') return { v: expandTemplate(ctx, t.v, i), next: i + 1 };
  if (t.v === '(' && t.end > i) { const v = evalExpr(ctx, i + 1); return v === undefined ? undefined : { v, next: t.end + 1 }; }
  if (t.v === 'await') return operand(ctx, i + 1);
  if (t.v === 'new' && toks[i + 1]?.v === 'URL' && toks[i + 2]?.v === '(') { const v = evalExpr(ctx, i + 3); return v === undefined ? undefined : { v, next: toks[i + 2]!.end + 1 }; }
  if (t.k !== 'id' || KEYWORDS.has(t.v)) return undefined;
  const names = [t.v];
  let j = i;
  while ((toks[j + 1]?.v === '.' || toks[j + 1]?.v === '?.') && toks[j + 2]?.k === 'id') { names.push(toks[j + 2]!.v); j += 2; }
  const after = toks[++j];
  if ((after?.v === '(' || after?.v === '[') && after.end > j) {
    const inner = toks.slice(j + 1, after.end).filter((x) => x.k === 'id').pop();
    return { v: mark(inner?.v ?? names[names.length - 1]!), next: after.end + 1 };
  }
  return { v: resolveName(ctx, names, i), next: j };
}

function resolveName(ctx: Ctx, names: string[], at: number): string {
  const full = names.join('.'), decls = ctx.consts.get(full);
  if (names.length === 1 && ctx.params.includes(full)) return H + ctx.params.indexOf(full) + H;
  if (decls && ctx.depth < 5) {
    const before = decls.filter((d) => d < at), decl = before.length ? before[before.length - 1]! : decls[0]!;
    const v = evalExpr({ ...ctx, depth: ctx.depth + 1 }, decl);
    if (v !== undefined) return v;
  }
  if (/(^|\.)location\.(origin|href)$/.test(full)) return '';
  return mark(names[names.length - 1]!);
}

function expandTemplate(ctx: Ctx, raw: string, at: number): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\') { out += raw[++i] ?? ''; continue; }
    if (raw[i] !== '$' || raw[i + 1] !== '{') { out += raw[i]; continue; }
    let depth = 1, j = i + 2;
    for (; j < raw.length && depth > 0; j++) depth += raw[j] === '{' ? 1 : raw[j] === '}' ? -1 : 0;
    const inner = tokenize(raw.slice(i + 2, j - 1));
    // A name (`${API}`, `${todo.id}`) is resolved from the template's position; anything else on its own.
    out += inner.length && inner.every((x) => x.k === 'id' || x.v === '.' || x.v === '?.')
      ? resolveName(ctx, inner.filter((x) => x.k === 'id').map((x) => x.v), at)
      : evalExpr({ ...ctx, toks: inner, consts: new Map() }, 0) ?? mark('param');
    i = j - 1;
  }
  return out;
}

function hasLiteral(v: string): boolean {
  return v.replace(/\u0000[^\u0000]*\u0000|\u0001\d+\u0001/g, '').length > 0;
}

/** Turns an evaluated URL into a normalised same-service path (`/api/todos/:id`), or undefined. */
function normalize(raw: string): string | undefined {
  let s = raw.trim().replace(/^\u0000[^\u0000]*\u0000(?=\/|$)/, ''); // an unknown base (`${API_BASE}/x`)
  const origin = /^(?:([a-z][a-z0-9+.-]*):)?\/\/([^/?#]*)/i.exec(s);
  if (origin) {
    if (origin[1] && !/^(https?|wss?)$/i.test(origin[1])) return undefined;
    const host = (origin[2] ?? '').replace(/:[^:\]]*$/, '').toLowerCase();
    if (!/^(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])$/.test(host) && !host.includes(P)) return undefined; // another service
    s = s.slice(origin[0].length);
  } else if (/^[a-z][a-z0-9+.-]*:/i.test(s)) return undefined;
  s = s.split(/[?#]/)[0] ?? '';
  if (!s || s.includes(H)) return undefined;
  if (!s.startsWith('/')) s = '/' + s.replace(/^\.\//, '');
  const segs = s.split('/').filter(Boolean).map((seg, i, all) => {
    if (i === all.length - 1 && /^[^\u0000]+\u0000[^\u0000]*\u0000$/.test(seg)) seg = seg.slice(0, seg.indexOf(P)); // `API + qs`: a suffix
    if (seg.includes(P)) { const name = /^\u0000([^\u0000]*)\u0000$/.exec(seg)?.[1]; return ':' + (name && /^[\w$]+$/.test(name) ? name : 'param'); }
    if (seg.includes('*')) return '*';
    return seg.startsWith(':') ? seg.replace(/[?+*]$/, '').replace(/\(.*$/, '') : seg;
  });
  return '/' + segs.join('/');
}

function joinPath(prefix: string, p: string): string {
  return prefix ? `${prefix.replace(/\/+$/, '')}/${p.replace(/^\/+/, '')}` : p;
}

/** An anchored route regex (`^\/api\/todos\/(\d+)$`) as a path, or undefined when not that simple. */
function regexToPath(re: string): string | undefined {
  if (!re.startsWith('^')) return undefined;
  const body = re.slice(1).replace(/\$$/, '').replace(/\\?\/\?$/, '').replace(/\(\?:\\?\/\)\?$/, '');
  let out = '';
  for (let i = 0; i < body.length;) {
    const c = body[i]!;
    if (c === '\\') { const x = body[i + 1] ?? ''; out += /[dwDW]/.test(x) ? mark('param') : x; i += 2; }
    else if (c === '(' || c === '[') {
      let depth = 0, j = i;
      for (; j < body.length; j++) { if (body[j] === '\\') j++; else if (body[j] === c) depth++; else if (body[j] === (c === '(' ? ')' : ']') && --depth === 0) break; }
      out += mark(/^\(\?<(\w+)>/.exec(body.slice(i))?.[1] ?? 'param'); i = j + 1;
    } else if (c === '.' && /[+*]/.test(body[i + 1] ?? '')) { out += '*'; i += 2; continue; }
    else if (/[|?+*^$.{}]/.test(c)) return undefined;
    else { out += c; i++; continue; }
    if (/[+*?]/.test(body[i] ?? '')) i++;
  }
  return out.startsWith('/') ? normalize(out) : undefined;
}

function collectConsts(toks: Tok[]): Map<string, number[]> {
  const consts = new Map<string, number[]>();
  const add = (k: string, at: number): void => { consts.set(k, [...(consts.get(k) ?? []), at]); };
  toks.forEach((t, i) => {
    const next = toks[i + 1], eq = toks[i + 2];
    if ((t.v === 'const' || t.v === 'let' || t.v === 'var') && next?.k === 'id' && eq?.v === '=') {
      add(next.v, i + 3);
      const obj = toks[i + 3];
      if (obj?.v === '{' && obj.end > i) for (let j = i + 4; j < obj.end; j++) {
        const tj = toks[j]!;
        if (tj.end > j && tj.k === 'p') j = tj.end;
        else if ((tj.k === 'id' || tj.k === 'str') && toks[j + 1]?.v === ':' && (toks[j - 1]?.v === '{' || toks[j - 1]?.v === ',')) add(`${next.v}.${tj.v}`, j + 2);
      }
    } else if (t.v === 'this' && next?.v === '.' && eq?.k === 'id' && toks[i + 3]?.v === '=') add(`this.${eq.v}`, i + 4);
    else if (t.k === 'id' && next?.v === '=' && (STMT_START.has(toks[i - 1]?.v ?? ';') || (toks[i - 1]?.line ?? 0) < t.line)) add(t.v, i + 2), add(`this.${t.v}`, i + 2); // `url = …`, class fields
  });
  return consts;
}

/** Index where the value of a key (or shorthand) of the object literal at `open` starts. */
function objProp(toks: Tok[], open: number, keys: string[]): number | undefined {
  const o = toks[open];
  if (o?.v !== '{' || o.end < open) return undefined;
  for (let j = open + 1; j < o.end; j++) {
    const t = toks[j]!;
    if (t.end > j && t.k === 'p') { j = t.end; continue; }
    if (!keys.includes(t.v) || (toks[j - 1]?.v !== '{' && toks[j - 1]?.v !== ',')) continue;
    if (toks[j + 1]?.v === ':') return j + 2;
    if (toks[j + 1]?.v === ',' || toks[j + 1]?.v === '}') return j;
  }
  return undefined;
}

function verbAt(ctx: Ctx, i: number | undefined): string | undefined {
  const v = i === undefined ? undefined : evalExpr(ctx, i)?.toUpperCase();
  return v && VERBS.has(v) ? v : undefined;
}

function methodAt(ctx: Ctx, i: number | undefined): MethodSpec {
  const t = i === undefined ? undefined : ctx.toks[i];
  if (t?.k === 'id' && ctx.params.includes(t.v)) return ctx.toks[i! + 1]?.v === '.' ? { opts: ctx.params.indexOf(t.v) } : { arg: ctx.params.indexOf(t.v) };
  const v = verbAt(ctx, i);
  return v ? { lit: v } : GET;
}

/** The method of a `fetch`-style options argument: `{ method: 'POST' }`, `{ ...options }`, or a parameter. */
function optsMethod(ctx: Ctx, i: number | undefined, keys = ['method']): MethodSpec {
  const t = i === undefined ? undefined : ctx.toks[i];
  if (!t || i === undefined) return GET;
  if (t.k === 'id' && ctx.params.includes(t.v)) return { opts: ctx.params.indexOf(t.v) };
  const decls = t.k === 'id' ? ctx.consts.get(t.v) : undefined, decl = decls?.filter((d) => d < i).pop() ?? decls?.[0];
  if (decl !== undefined && ctx.toks[decl]?.v === '{') return optsMethod(ctx, decl, keys); // `const options = { method: 'POST' }`
  const at = objProp(ctx.toks, i, keys);
  if (at !== undefined) return methodAt(ctx, at);
  for (let j = i + 1; j < t.end; j++) if (ctx.toks[j]?.v === '...' && ctx.params.includes(ctx.toks[j + 1]?.v ?? '')) return { opts: ctx.params.indexOf(ctx.toks[j + 1]!.v) };
  return GET;
}

function collectFunctions(toks: Tok[]): Fn[] {
  const fns: Fn[] = [];
  const params = (open: number): string[] => argStarts(toks, open).map((s) => { const t = toks[toks[s]?.v === '...' ? s + 1 : s]; return t?.k === 'id' ? t.v : ''; });
  toks.forEach((t, i) => {
    if (t.k !== 'id' || KEYWORDS.has(t.v)) return;
    const open = skipTypeArgs(toks, i + 1), n1 = toks[open];
    if (n1?.v === '(' && n1.end > i) {
      let b = n1.end + 1;
      if (toks[b]?.v === ':') while (b < toks.length && toks[b]?.v !== '{' && toks[b]?.v !== ';') b++; // TS return type
      if (toks[b]?.v === '{') fns.push({ name: t.v, params: params(open), from: b, to: toks[b]!.end, def: i });
      return;
    }
    if (toks[i + 1]?.v !== '=' && toks[i + 1]?.v !== ':') return;
    let j = i + 2;
    if (toks[j]?.v === 'async') j++;
    if (toks[j]?.v === 'function') { j++; if (toks[j]?.k === 'id') j++; }
    j = skipTypeArgs(toks, j);
    const ps = toks[j]?.v === '(' ? params(j) : toks[j]?.k === 'id' && toks[j + 1]?.v === '=>' ? [toks[j]!.v] : undefined;
    let k = toks[j]?.v === '(' ? toks[j]!.end + 1 : j + 1;
    if (toks[k]?.v === ':') while (k < toks.length && toks[k]?.v !== '=>' && toks[k]?.v !== '{' && toks[k]?.v !== ';') k++; // TS return type
    if (!ps || k <= j) return;
    const body = toks[k]?.v === '=>' ? k + 1 : k;
    if (toks[k]?.v !== '=>' && toks[k]?.v !== '{') return;
    fns.push({ name: t.v, params: ps, from: body, to: toks[body]?.v === '{' ? toks[body]!.end : stmtEnd(toks, body), def: i });
  });
  return fns;
}

function scanFrontend(toks: Tok[], file: string, out: EndpointFinding[]): void {
  const consts = collectConsts(toks), fns = collectFunctions(toks), clients = new Map<string, number | null>([['axios', null], ['$', null], ['http', null], ['httpClient', null]]);
  const xhr = toks.some((t) => t.v === 'XMLHttpRequest'), sitesOf = new Map<string, { k: number; open: number }[]>();
  const callSites = (name: string): { k: number; open: number }[] => {
    if (!sitesOf.size) toks.forEach((s, k) => {
      const open = skipTypeArgs(toks, k + 1);
      if (s.k === 'id' && toks[open]?.v === '(' && toks[k - 1]?.v !== 'function') sitesOf.set(s.v, sitesOf.get(s.v) ?? []).get(s.v)!.push({ k, open });
    });
    return sitesOf.get(name) ?? [];
  };
  const emit = (spec: MethodSpec, url: string | undefined, line: number): void => {
    const path = url === undefined ? undefined : normalize(url), method = 'lit' in spec ? spec.lit : 'GET';
    if (path) out.push({ method, path, file, line });
  };
  toks.forEach((t, i) => { // axios.create({ baseURL }) clients
    if (t.v === 'create' && toks[i - 2]?.v === 'axios' && toks[i - 3]?.v === '=' && toks[i - 4]?.k === 'id' && toks[i + 1]?.v === '(') clients.set(toks[i - 4]!.v, objProp(toks, i + 2, ['baseURL']) ?? null);
  });
  toks.forEach((t, i) => {
    const prev = toks[i - 1], next = skipTypeArgs(toks, i + 1), open = toks[next]?.v === '(' ? next : -1, recv = prev?.v === '.' ? toks[i - 2] : undefined;
    if (open < 0 || prev?.v === 'function' || !(t.v === 'fetch' || t.v === 'open' || t.v === 'axios' || (recv && clients.has(recv.v)))) return;
    const fn = fns.filter((f) => f.from <= i && i <= f.to).sort((a, b) => b.from - a.from)[0];
    const ctx: Ctx = { toks, consts, params: fn?.params ?? [], depth: 0 }, args = argStarts(toks, open);
    let url: string | undefined, spec: MethodSpec = GET;
    if (t.v === 'fetch' && (!recv || /^(window|globalThis|self)$/.test(recv.v))) { url = at(ctx, args[0]); spec = optsMethod(ctx, args[1]); }
    else if (xhr && t.v === 'open' && recv && args.length >= 2) { url = at(ctx, args[1]); spec = methodAt(ctx, args[0]); }
    else if (recv && clients.has(recv.v) && (toks[i - 3]?.v !== '.' || toks[i - 4]?.v === 'this')) { // axios.get, this.http.get (Angular)
      const base = clients.get(recv.v), baseUrl = base === null || base === undefined ? '' : evalExpr(ctx, base) ?? '';
      const verb = t.v.replace(/^getJSON$/, 'get').toUpperCase();
      if (VERBS.has(verb)) { const u = at(ctx, args[0]); url = u === undefined ? undefined : baseUrl + u; spec = { lit: verb }; }
      else if ((t.v === 'request' || t.v === 'ajax') && args[0] !== undefined) { url = at(ctx, objProp(toks, args[0], ['url'])); spec = optsMethod(ctx, args[0], ['method', 'type']); }
    } else if (t.v === 'axios' && !recv && args[0] !== undefined) {
      const obj = toks[args[0]]?.v === '{';
      url = at(ctx, obj ? objProp(toks, args[0], ['url']) : args[0]); spec = optsMethod(ctx, obj ? args[0] : args[1]);
    } else return;
    if (url === undefined) return;
    const holes = [...url.matchAll(/\u0001(\d+)\u0001/g)], structural = holes.some((h) => url![(h.index ?? 0) - 1] !== '/');
    if (!fn || (!holes.length && 'lit' in spec)) { emit(spec, url, t.line); return; }
    const sites = structural || !('lit' in spec) ? callSites(fn.name).filter((s) => s.k !== fn.def) : [];
    if (!sites.length) { if (!structural) emit(spec, url.replace(/\u0001(\d+)\u0001/g, (_, k: string) => mark(fn.params[Number(k)] || 'param')), t.line); return; }
    for (const { k, open: o } of sites) { // a wrapper (`api('/todos', { method: 'POST' })`): one call per call site
      const site: Ctx = { toks, consts, params: [], depth: 0 }, a = argStarts(toks, o);
      const u = url.replace(/\u0001(\d+)\u0001/g, (_, n: string) => at(site, a[Number(n)]) ?? mark(fn.params[Number(n)] || 'param'));
      emit('lit' in spec ? spec : 'arg' in spec ? methodAt(site, a[spec.arg]) : optsMethod(site, a[spec.opts]), u, toks[k]!.line);
    }
  });
}

function at(ctx: Ctx, i: number | undefined): string | undefined {
  return i === undefined ? undefined : evalExpr(ctx, i);
}

interface Guard { url: boolean; value: string; pos: number; line: number; cond: number; from: number; to: number }

function scanBackend(toks: Tok[], file: string, routes: Route[], mounts: Mount[]): void {
  const ctx: Ctx = { toks, consts: collectConsts(toks), params: [], depth: 0 };
  const apps = new Set(['app', 'server']), imports = new Map<string, string>(), regexNames = new Map<string, string>(), guards: Guard[] = [];
  const pathAt = (i: number | undefined): string | undefined => {
    const t = i === undefined ? undefined : toks[i];
    if (t?.k === 're') return regexToPath(t.v);
    const v = at(ctx, i);
    return v !== undefined && /^[/*]/.test(v) ? normalize(v) : undefined;
  };
  const route = (method: string, path: string | undefined, line: number, recv?: string): void => {
    if (path && path !== '/*') routes.push({ method, path, file, line, recv, app: recv === undefined || apps.has(recv) });
  };
  toks.forEach((t, i) => {
    const n = toks[i + 1], s = toks[i + 3];
    if (t.v === '=' && toks[i - 1]?.k === 'id' && /^(express|fastify|Koa)$/.test(n?.v ?? '')) apps.add(toks[i - 1]!.v);
    if (t.v === '=' && toks[i - 1]?.k === 'id' && n?.v === 'require' && s?.k === 'str') imports.set(toks[i - 1]!.v, s.v);
    if (t.v === 'import' && n?.k === 'id' && toks[i + 2]?.v === 'from' && s?.k === 'str') imports.set(n.v, s.v);
    if ((t.v === 'const' || t.v === 'let' || t.v === 'var') && n?.k === 'id' && toks[i + 2]?.v === '=') {
      for (let j = i + 3, e = stmtEnd(toks, i + 3); j < e; j++) {
        const p = toks[j]?.k === 're' ? regexToPath(toks[j]!.v) : regexNames.get(toks[j]?.k === 'id' ? toks[j]!.v : '');
        if (p) { regexNames.set(n.v, p); break; }
      }
    }
  });
  // Express-style: app.get('/x', h), router.route('/x').get(h).post(h), app.use('/api', router)
  toks.forEach((t, i) => {
    if (t.k !== 'id' || toks[i + 1]?.v !== '.' || toks[i + 3]?.v !== '(' || CLIENTS.has(t.v) || toks[i - 1]?.v === '.') return;
    const m = toks[i + 2]!.v, open = i + 3, args = argStarts(toks, open), verb = (x: string): boolean => VERBS.has(x.toUpperCase()) || x === 'all';
    if (verb(m) && args.length >= 2) route(m.toUpperCase(), pathAt(args[0]), toks[i + 2]!.line, t.v);
    else if (m === 'route' && args.length === 1) {
      const p = pathAt(args[0]);
      for (let j = toks[open]!.end; j > 0 && toks[j + 1]?.v === '.' && toks[j + 3]?.v === '(' && verb(toks[j + 2]!.v); j = toks[j + 3]!.end) route(toks[j + 2]!.v.toUpperCase(), p, toks[j + 2]!.line, t.v);
    } else if (m === 'use' && args.length >= 2) {
      const prefix = pathAt(args[0]), a1 = args[1]!, x = toks[a1];
      const spec = x?.v === 'require' && toks[a1 + 2]?.k === 'str' ? toks[a1 + 2]!.v : x?.k === 'id' ? imports.get(x.v) : undefined;
      if (prefix && x) mounts.push({ file, prefix, by: t.v, byApp: apps.has(t.v), recv: x.k === 'id' ? x.v : undefined, targets: spec?.startsWith('.') ? candidates(file, spec) : undefined });
    }
  });
  // node:http: url and method comparisons in `if` conditions and `switch` cases, and the blocks they guard.
  const scanCond = (a: number, b: number, cond: number, to: number): void => {
    for (let j = a; j < b; j++) {
      const t = toks[j]!, add = (url: boolean, value: string | undefined): void => { if (value) guards.push({ url, value, pos: j, line: t.line, cond, from: a, to }); };
      if (t.v === '===' || t.v === '==') {
        let k = j + 1;
        while (toks[k + 1]?.v === '.' && toks[k + 2]?.k === 'id') k += 2;
        const left = toks[j - 1]?.k === 'id', name = left ? toks[j - 1]!.v : toks[k]?.v ?? '', val = left ? j + 1 : j - 1;
        if (/method/i.test(name)) add(false, verbAt(ctx, val));
        else if (URLISH.test(name)) add(true, pathAt(val));
      } else if (t.v === 'startsWith' && toks[j + 1]?.v === '(' && URLISH.test(toks[j - 2]?.v ?? '')) add(true, ((p) => p && joinPath(p, '*'))(pathAt(j + 2)));
      else if (t.k === 're') add(true, regexToPath(t.v));
      else if (t.k === 'id' && toks[j - 1]?.v !== '.') add(true, regexNames.get(t.v));
    }
  };
  toks.forEach((t, i) => {
    const o = toks[i + 1], b = o ? toks[o.end + 1] : undefined;
    if ((t.v !== 'if' && t.v !== 'switch') || o?.v !== '(' || o.end <= i) return;
    if (t.v === 'if') { scanCond(i + 1, o.end, i, b?.v === '{' ? b.end : stmtEnd(toks, o.end + 1)); return; }
    if (b?.v !== '{') return;
    const disc = toks.slice(i + 2, o.end).filter((x) => x.k === 'id').map((x) => x.v).join(' '), labels: number[] = [];
    for (let j = o.end + 2; j < b.end; j++) { const tj = toks[j]!; if (tj.end > j && tj.k === 'p') j = tj.end; else if (tj.v === 'case' || tj.v === 'default') labels.push(j); }
    labels.forEach((l, n) => {
      const to = labels.slice(n + 1).find((m) => toks[m - 1]?.v !== ':') ?? b.end;
      let colon = l + 1;
      for (; colon < to && toks[colon]?.v !== ':'; colon++) if (toks[colon]!.k === 'p' && toks[colon]!.end > colon) colon = toks[colon]!.end;
      scanCond(l, colon, l, to);
      const url = URLISH.test(disc), value = toks[l]?.v !== 'case' ? undefined : /method/i.test(disc) ? verbAt(ctx, l + 1) : url ? pathAt(l + 1) : undefined;
      if (value) guards.push({ url, value, pos: l, line: toks[l]!.line, cond: l, from: l, to });
    });
  });
  const urls = guards.filter((g) => g.url), methods = guards.filter((g) => !g.url);
  for (const u of urls) {
    if (urls.some((o) => o.cond !== u.cond && o.from > u.from && o.pos < u.to)) continue; // a dispatcher around finer routes
    const dom = methods.filter((m) => m.from <= u.pos && u.pos < m.to);
    const inner = methods.filter((m) => m.cond !== u.cond && m.pos > u.pos && m.pos < u.to);
    if (dom.length) dom.forEach((m) => route(m.value, u.value, u.line));
    else if (inner.length) inner.forEach((m) => route(m.value, u.value, m.line));
    else route('ALL', u.value, u.line);
  }
  for (const t of toks) { // route tables: { 'GET /api/todos': handler }
    const m = t.k === 'str' ? /^([A-Z]+)\s+(\/\S*)$/.exec(t.v) : null;
    if (m && VERBS.has(m[1]!)) route(m[1]!, normalize(m[2]!), t.line);
  }
}

function candidates(file: string, spec: string): string[] {
  const base = posix.join(posix.dirname(file), spec).replace(/\.[cm]?[jt]s$/, '');
  return ['', '.js', '.ts', '.mjs', '.cjs', '/index.js', '/index.ts'].map((e) => base + e);
}

function prefixOf(file: string, recv: string | undefined, app: boolean, mounts: Mount[], depth: number): string {
  if (depth > 5 || recv === undefined) return '';
  const m = mounts.find((x) => x.file === file && x.recv === recv && !x.targets) ?? (app ? undefined : mounts.find((x) => x.targets?.includes(file)));
  return m ? joinPath(prefixOf(m.file, m.by, m.byApp, mounts, depth + 1), m.prefix) : '';
}
