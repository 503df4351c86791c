// The lexical layer of the integration contract check: a small tokenizer for JS/TS (and the scripts
// of HTML pages); an evaluator that turns URL expressions (strings, templates, constants, wrapper
// parameters) into normalised paths with parameter markers; and the helpers that read an HTTP verb or a
// `fetch`-style options object at a given token (`verbAt`, `methodAt`, `optsMethod`). No parser: which
// token sequences are calls and which are routes is decided in integration.ts.

/** One token. `k` is its kind: identifier, string, template, regex, number or punctuation; `v` its text. */
export interface Token {
  k: 'id' | 'str' | 'tpl' | 're' | 'num' | 'p';
  v: string;
  line: number;
  /** For an opening bracket, the index of its closer; -1 otherwise. */
  end: number;
}
/** What evaluating an expression needs: the file's tokens, its constants (name → value indexes), the enclosing function's parameters, the recursion depth. */
export interface ScanContext {
  toks: Token[];
  consts: Map<string, number[]>;
  params: string[];
  depth: number;
}
/** A call's HTTP method: a literal verb, or taken from the enclosing function's parameter `arg` (a verb) or `opts` (an options object). */
export type MethodSpec = { lit: string } | { arg: number } | { opts: number };
/** A function definition: its parameters and the token range of its body (`def` is where its name stands). */
interface Fn {
  name: string;
  params: string[];
  from: number;
  to: number;
  def: number;
}

export const VERBS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const PARAM = '\u0000'; // a path parameter inside an evaluated URL: PARAM + name + PARAM
const HOLE = '\u0001'; // an enclosing function's parameter (a wrapper's hole): HOLE + index + HOLE
export const paramMarker = (name: string): string => PARAM + name + PARAM;
export const GET: MethodSpec = { lit: 'GET' };
const KEYWORDS = new Set([
  'if',
  'for',
  'while',
  'switch',
  'catch',
  'function',
  'return',
  'with',
  'typeof',
  'new',
  'await',
  'async',
  'else',
  'case',
  'const',
  'let',
  'var',
  'in',
  'of',
]);
const REGEX_AFTER = new Set([
  '(',
  ',',
  '=',
  ':',
  '[',
  '!',
  '&',
  '|',
  '?',
  '{',
  '}',
  ';',
  '+',
  '-',
  '*',
  '%',
  '<',
  '>',
  '~',
  '^',
  '&&',
  '||',
  '??',
  '===',
  '!==',
  '==',
  '!=',
  '=>',
  'return',
  'typeof',
  'case',
  'do',
  'else',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'yield',
  'await',
]);
const PUNCTS = ['===', '!==', '...', '==', '!=', '=>', '&&', '||', '??', '?.'];
const STMT_START = new Set([';', '{', '}', 'private', 'public', 'protected', 'readonly', 'static']);

export function htmlScripts(html: string): string {
  let out = html.replace(/[^\n]/g, ' ');
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    const type = /\btype\s*=\s*["']?([^"'\s>]+)/i.exec(m[1] ?? '')?.[1];
    if (type && !/module|javascript|babel|jsx/i.test(type)) continue;
    const start = (m.index ?? 0) + m[0].indexOf('>') + 1,
      body = m[2] ?? '';
    out = out.slice(0, start) + body + out.slice(start + body.length);
  }
  return out;
}

export function tokenize(src: string): Token[] {
  const toks: Token[] = [],
    n = src.length;
  let i = 0,
    line = 1;
  const push = (k: Token['k'], v: string, l: number): void => {
    toks.push({ k, v, line: l, end: -1 });
  };
  while (i < n) {
    const c = src[i]!,
      d = src[i + 1],
      start = line;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || /\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && d === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && d === '*') {
      const e = src.indexOf('*/', i + 2),
        stop = e < 0 ? n : e + 2;
      line += src.slice(i, stop).split('\n').length - 1;
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      let v = '';
      i++;
      while (i < n && src[i] !== c && src[i] !== '\n') {
        if (src[i] === '\\') i++;
        v += src[i] ?? '';
        i++;
      }
      i++;
      push('str', v, start);
      continue;
    }
    if (c === '`') {
      let j = i + 1,
        depth = 0;
      for (; j < n; j++) {
        const ch = src[j];
        if (ch === '\\') {
          j++;
          continue;
        }
        if (ch === '\n') line++;
        else if (depth === 0 && ch === '`') break;
        else if (ch === '$' && src[j + 1] === '{' && depth === 0) {
          depth = 1;
          j++;
        } else if (depth > 0 && ch === '{') depth++;
        else if (depth > 0 && ch === '}') depth--;
      }
      push('tpl', src.slice(i + 1, j), start);
      i = j + 1;
      continue;
    }
    const prev = toks[toks.length - 1];
    if (c === '/' && (!prev || (REGEX_AFTER.has(prev.v) && prev.k !== 'str'))) {
      let j = i + 1,
        cls = false;
      for (; j < n && src[j] !== '\n'; j++) {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') cls = true;
        else if (src[j] === ']') cls = false;
        else if (src[j] === '/' && !cls) break;
      }
      if (src[j] === '/') {
        push('re', src.slice(i + 1, j), start);
        i = j + 1;
        while (/[a-z]/i.test(src[i] ?? '')) i++;
        continue;
      }
    }
    const word = /^[A-Za-z_$][\w$]*|^\d[\w.]*/.exec(src.slice(i, i + 200))?.[0];
    if (word) {
      push(/\d/.test(c) ? 'num' : 'id', word, start);
      i += word.length;
      continue;
    }
    const op = PUNCTS.find((p) => src.startsWith(p, i)) ?? c;
    push('p', op, start);
    i += op.length;
  }
  const stack: number[] = [];
  toks.forEach((t, k) => {
    if (t.k !== 'p') return;
    if (t.v === '(' || t.v === '[' || t.v === '{') stack.push(k);
    else if (t.v === ')' || t.v === ']' || t.v === '}') {
      const o = stack.pop();
      if (o !== undefined) {
        toks[o]!.end = k;
        t.end = o;
      }
    }
  });
  return toks;
}

/** Index where each top-level argument of the call whose `(` is at `open` starts. */
export function argStarts(toks: Token[], open: number): number[] {
  const close = toks[open]?.end ?? -1,
    out: number[] = [];
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
export function skipTypeArgs(toks: Token[], i: number): number {
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
export function stmtEnd(toks: Token[], i: number): number {
  for (let j = i; j < toks.length; j++) {
    const t = toks[j]!;
    if (t.end > j && t.k === 'p') j = t.end;
    else if (t.v === ';' || t.v === ')' || t.v === '}' || t.v === ']') return j;
  }
  return toks.length - 1;
}

/** Evaluates `a + b + …` (string, template, constant, call) into a URL with parameter markers. */
export function evalExpr(ctx: ScanContext, i: number): string | undefined {
  let out = '',
    found = false;
  for (;;) {
    const r = operand(ctx, i);
    if (!r) break;
    out += r.v;
    found = true;
    i = r.next;
    const op = ctx.toks[i]?.v;
    if (op === '+') {
      i++;
      continue;
    }
    if ((op === '||' || op === '??') && !hasLiteral(out)) {
      out = '';
      found = false;
      i++;
      continue;
    }
    break;
  }
  return found ? out : undefined;
}

function operand(ctx: ScanContext, i: number): { v: string; next: number } | undefined {
  const { toks } = ctx,
    t = toks[i];
  if (!t) return undefined;
  if (t.k === 'str' || t.k === 'num') return { v: t.v, next: i + 1 };
  if (t.k === 'tpl') return { v: expandTemplate(ctx, t.v, i), next: i + 1 };
  if (t.v === '(' && t.end > i) {
    const v = evalExpr(ctx, i + 1);
    return v === undefined ? undefined : { v, next: t.end + 1 };
  }
  if (t.v === 'await') return operand(ctx, i + 1);
  if (t.v === 'new' && toks[i + 1]?.v === 'URL' && toks[i + 2]?.v === '(') {
    const v = evalExpr(ctx, i + 3);
    return v === undefined ? undefined : { v, next: toks[i + 2]!.end + 1 };
  }
  if (t.k !== 'id' || KEYWORDS.has(t.v)) return undefined;
  const names = [t.v];
  let j = i;
  while ((toks[j + 1]?.v === '.' || toks[j + 1]?.v === '?.') && toks[j + 2]?.k === 'id') {
    names.push(toks[j + 2]!.v);
    j += 2;
  }
  const after = toks[++j];
  if ((after?.v === '(' || after?.v === '[') && after.end > j) {
    const inner = toks
      .slice(j + 1, after.end)
      .filter((x) => x.k === 'id')
      .pop();
    return { v: paramMarker(inner?.v ?? names[names.length - 1]!), next: after.end + 1 };
  }
  return { v: resolveName(ctx, names, i), next: j };
}

function resolveName(ctx: ScanContext, names: string[], at: number): string {
  const full = names.join('.'),
    decls = ctx.consts.get(full);
  if (names.length === 1 && ctx.params.includes(full)) return HOLE + ctx.params.indexOf(full) + HOLE;
  if (decls && ctx.depth < 5) {
    const before = decls.filter((d) => d < at),
      decl = before.length ? before[before.length - 1]! : decls[0]!;
    const v = evalExpr({ ...ctx, depth: ctx.depth + 1 }, decl);
    if (v !== undefined) return v;
  }
  if (/(^|\.)location\.(origin|href)$/.test(full)) return '';
  return paramMarker(names[names.length - 1]!);
}

function expandTemplate(ctx: ScanContext, raw: string, at: number): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\') {
      out += raw[++i] ?? '';
      continue;
    }
    if (raw[i] !== '$' || raw[i + 1] !== '{') {
      out += raw[i];
      continue;
    }
    let depth = 1,
      j = i + 2;
    for (; j < raw.length && depth > 0; j++) depth += raw[j] === '{' ? 1 : raw[j] === '}' ? -1 : 0;
    const inner = tokenize(raw.slice(i + 2, j - 1));
    // A name (`${API}`, `${todo.id}`) is resolved from the template's position; anything else on its own.
    out +=
      inner.length && inner.every((x) => x.k === 'id' || x.v === '.' || x.v === '?.')
        ? resolveName(
            ctx,
            inner.filter((x) => x.k === 'id').map((x) => x.v),
            at,
          )
        : (evalExpr({ ...ctx, toks: inner, consts: new Map() }, 0) ?? paramMarker('param'));
    i = j - 1;
  }
  return out;
}

function hasLiteral(v: string): boolean {
  return v.replace(/\u0000[^\u0000]*\u0000|\u0001\d+\u0001/g, '').length > 0;
}

/** Turns an evaluated URL into a normalised same-service path (`/api/todos/:id`), or undefined. */
export function normalize(raw: string): string | undefined {
  let s = raw.trim().replace(/^\u0000[^\u0000]*\u0000(?=\/|$)/, ''); // an unknown base (`${API_BASE}/x`)
  const origin = /^(?:([a-z][a-z0-9+.-]*):)?\/\/([^/?#]*)/i.exec(s);
  if (origin) {
    if (origin[1] && !/^(https?|wss?)$/i.test(origin[1])) return undefined;
    const host = (origin[2] ?? '').replace(/:[^:\]]*$/, '').toLowerCase();
    if (!/^(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])$/.test(host) && !host.includes(PARAM)) return undefined; // another service
    s = s.slice(origin[0].length);
  } else if (/^[a-z][a-z0-9+.-]*:/i.test(s)) return undefined;
  s = s.split(/[?#]/)[0] ?? '';
  if (!s || s.includes(HOLE)) return undefined;
  if (!s.startsWith('/')) s = '/' + s.replace(/^\.\//, '');
  const segs = s
    .split('/')
    .filter(Boolean)
    .map((seg, i, all) => {
      if (i === all.length - 1 && /^[^\u0000]+\u0000[^\u0000]*\u0000$/.test(seg)) seg = seg.slice(0, seg.indexOf(PARAM)); // `API + qs`: a suffix
      if (seg.includes(PARAM)) {
        const name = /^\u0000([^\u0000]*)\u0000$/.exec(seg)?.[1];
        return ':' + (name && /^[\w$]+$/.test(name) ? name : 'param');
      }
      if (seg.includes('*')) return '*';
      return seg.startsWith(':') ? seg.replace(/[?+*]$/, '').replace(/\(.*$/, '') : seg;
    });
  return '/' + segs.join('/');
}

export function joinPath(prefix: string, p: string): string {
  return prefix ? `${prefix.replace(/\/+$/, '')}/${p.replace(/^\/+/, '')}` : p;
}

/** An anchored route regex (`^\/api\/todos\/(\d+)$`) as a path, or undefined when not that simple. */
export function regexToPath(re: string): string | undefined {
  if (!re.startsWith('^')) return undefined;
  const body = re
    .slice(1)
    .replace(/\$$/, '')
    .replace(/\\?\/\?$/, '')
    .replace(/\(\?:\\?\/\)\?$/, '');
  let out = '';
  for (let i = 0; i < body.length;) {
    const c = body[i]!;
    if (c === '\\') {
      const x = body[i + 1] ?? '';
      out += /[dwDW]/.test(x) ? paramMarker('param') : x;
      i += 2;
    } else if (c === '(' || c === '[') {
      let depth = 0,
        j = i;
      for (; j < body.length; j++) {
        if (body[j] === '\\') j++;
        else if (body[j] === c) depth++;
        else if (body[j] === (c === '(' ? ')' : ']') && --depth === 0) break;
      }
      out += paramMarker(/^\(\?<(\w+)>/.exec(body.slice(i))?.[1] ?? 'param');
      i = j + 1;
    } else if (c === '.' && /[+*]/.test(body[i + 1] ?? '')) {
      out += '*';
      i += 2;
      continue;
    } else if (/[|?+*^$.{}]/.test(c)) return undefined;
    else {
      out += c;
      i++;
      continue;
    }
    if (/[+*?]/.test(body[i] ?? '')) i++;
  }
  return out.startsWith('/') ? normalize(out) : undefined;
}

export function collectConsts(toks: Token[]): Map<string, number[]> {
  const consts = new Map<string, number[]>();
  const add = (k: string, at: number): void => {
    consts.set(k, [...(consts.get(k) ?? []), at]);
  };
  toks.forEach((t, i) => {
    const next = toks[i + 1],
      eq = toks[i + 2];
    if ((t.v === 'const' || t.v === 'let' || t.v === 'var') && next?.k === 'id' && eq?.v === '=') {
      add(next.v, i + 3);
      const obj = toks[i + 3];
      if (obj?.v === '{' && obj.end > i)
        for (let j = i + 4; j < obj.end; j++) {
          const tj = toks[j]!;
          if (tj.end > j && tj.k === 'p') j = tj.end;
          else if ((tj.k === 'id' || tj.k === 'str') && toks[j + 1]?.v === ':' && (toks[j - 1]?.v === '{' || toks[j - 1]?.v === ','))
            add(`${next.v}.${tj.v}`, j + 2);
        }
    } else if (t.v === 'this' && next?.v === '.' && eq?.k === 'id' && toks[i + 3]?.v === '=') add(`this.${eq.v}`, i + 4);
    else if (t.k === 'id' && next?.v === '=' && (STMT_START.has(toks[i - 1]?.v ?? ';') || (toks[i - 1]?.line ?? 0) < t.line)) {
      add(t.v, i + 2);
      add(`this.${t.v}`, i + 2);
    } // `url = …`, class fields
  });
  return consts;
}

/** Index where the value of a key (or shorthand) of the object literal at `open` starts. */
export function objProp(toks: Token[], open: number, keys: string[]): number | undefined {
  const o = toks[open];
  if (o?.v !== '{' || o.end < open) return undefined;
  for (let j = open + 1; j < o.end; j++) {
    const t = toks[j]!;
    if (t.end > j && t.k === 'p') {
      j = t.end;
      continue;
    }
    if (!keys.includes(t.v) || (toks[j - 1]?.v !== '{' && toks[j - 1]?.v !== ',')) continue;
    if (toks[j + 1]?.v === ':') return j + 2;
    if (toks[j + 1]?.v === ',' || toks[j + 1]?.v === '}') return j;
  }
  return undefined;
}

export function verbAt(ctx: ScanContext, i: number | undefined): string | undefined {
  const v = i === undefined ? undefined : evalExpr(ctx, i)?.toUpperCase();
  return v && VERBS.has(v) ? v : undefined;
}

export function methodAt(ctx: ScanContext, i: number | undefined): MethodSpec {
  const t = i === undefined ? undefined : ctx.toks[i];
  if (t?.k === 'id' && ctx.params.includes(t.v)) return ctx.toks[i! + 1]?.v === '.' ? { opts: ctx.params.indexOf(t.v) } : { arg: ctx.params.indexOf(t.v) };
  const v = verbAt(ctx, i);
  return v ? { lit: v } : GET;
}

/** The method of a `fetch`-style options argument: `{ method: 'POST' }`, `{ ...options }`, or a parameter. */
export function optsMethod(ctx: ScanContext, i: number | undefined, keys = ['method']): MethodSpec {
  const t = i === undefined ? undefined : ctx.toks[i];
  if (!t || i === undefined) return GET;
  if (t.k === 'id' && ctx.params.includes(t.v)) return { opts: ctx.params.indexOf(t.v) };
  const decls = t.k === 'id' ? ctx.consts.get(t.v) : undefined,
    decl = decls?.filter((d) => d < i).pop() ?? decls?.[0];
  if (decl !== undefined && ctx.toks[decl]?.v === '{') return optsMethod(ctx, decl, keys); // `const options = { method: 'POST' }`
  const at = objProp(ctx.toks, i, keys);
  if (at !== undefined) return methodAt(ctx, at);
  for (let j = i + 1; j < t.end; j++)
    if (ctx.toks[j]?.v === '...' && ctx.params.includes(ctx.toks[j + 1]?.v ?? '')) return { opts: ctx.params.indexOf(ctx.toks[j + 1]!.v) };
  return GET;
}

export function collectFunctions(toks: Token[]): Fn[] {
  const fns: Fn[] = [];
  const params = (open: number): string[] =>
    argStarts(toks, open).map((s) => {
      const t = toks[toks[s]?.v === '...' ? s + 1 : s];
      return t?.k === 'id' ? t.v : '';
    });
  toks.forEach((t, i) => {
    if (t.k !== 'id' || KEYWORDS.has(t.v)) return;
    const open = skipTypeArgs(toks, i + 1),
      n1 = toks[open];
    if (n1?.v === '(' && n1.end > i) {
      let b = n1.end + 1;
      if (toks[b]?.v === ':') while (b < toks.length && toks[b]?.v !== '{' && toks[b]?.v !== ';') b++; // TS return type
      if (toks[b]?.v === '{') fns.push({ name: t.v, params: params(open), from: b, to: toks[b]!.end, def: i });
      return;
    }
    if (toks[i + 1]?.v !== '=' && toks[i + 1]?.v !== ':') return;
    let j = i + 2;
    if (toks[j]?.v === 'async') j++;
    if (toks[j]?.v === 'function') {
      j++;
      if (toks[j]?.k === 'id') j++;
    }
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

/** The URL expression starting at token `i`, evaluated (undefined when there is none or it is not a URL). */
export function urlAt(ctx: ScanContext, i: number | undefined): string | undefined {
  return i === undefined ? undefined : evalExpr(ctx, i);
}
