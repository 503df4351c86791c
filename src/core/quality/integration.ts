// The integration contract check: do the parts fit? A pure function over the project's files. It
// extracts the HTTP calls the front end makes and the routes the back end defines, with a small
// tokenizer and pattern matching (no parser), and matches them segment by segment.

import * as posix from 'node:path/posix';
import type { EndpointFinding } from '../events';
import {
  type ScanContext,
  type MethodSpec,
  type Token,
  VERBS,
  GET,
  paramMarker,
  htmlScripts,
  tokenize,
  argStarts,
  skipTypeArgs,
  stmtEnd,
  evalExpr,
  urlAt,
  normalize,
  joinPath,
  regexToPath,
  collectConsts,
  objProp,
  verbAt,
  methodAt,
  optsMethod,
  collectFunctions,
} from './integration-scan';

export interface ContractReport {
  matched: { method: string; path: string }[];
  callsWithoutRoute: EndpointFinding[];
  routesNeverCalled: EndpointFinding[];
  calls: EndpointFinding[];
  routes: EndpointFinding[];
  filesScanned: number;
}

interface Route extends EndpointFinding {
  recv?: string;
  app?: boolean;
}
interface Mount {
  file: string;
  prefix: string;
  by: string;
  byApp: boolean;
  recv?: string;
  targets?: string[];
}

const CODE_FILE = /\.[cm]?[jt]sx?$/i;
const HTML_FILE = /\.html?$/i;
const SKIPPED = /(^|\/)(node_modules|\.ensemble|\.git|coverage)\/|\.min\.js$|\.d\.ts$/i;
const TEST_FILE = /(^|\/)(test|tests|__tests__)\/|\.(test|spec)\.[cm]?[jt]sx?$/i;
const BACKEND =
  /require\(\s*['"](?:node:)?(?:express|https?|fastify|koa)['"]|from\s+['"](?:node:)?(?:express|https?|fastify|koa)['"]|\bcreateServer\s*\(|\bres\.(?:json\(\s*[^)\s]|send\(|status\(|writeHead\(|end\()/;
const URLISH = /url|path|route|endpoint/i;
const CLIENTS = new Set(['axios', 'request', 'got', 'superagent', 'supertest', '$', 'http']);

export function checkContracts(files: { path: string; content: string }[]): ContractReport {
  const calls: EndpointFinding[] = [],
    routes: Route[] = [],
    mounts: Mount[] = [];
  let filesScanned = 0;
  for (const f of Array.isArray(files) ? files : []) {
    try {
      const file = String(f.path).replace(/\\/g, '/').replace(/^\.\//, '');
      const html = HTML_FILE.test(file);
      if (typeof f.content !== 'string' || f.content.length > 2_000_000 || SKIPPED.test(file) || TEST_FILE.test(file) || (!html && !CODE_FILE.test(file)))
        continue;
      filesScanned++;
      const src = html ? htmlScripts(f.content) : f.content;
      if (!html && BACKEND.test(src)) scanBackend(tokenize(src), file, routes, mounts);
      else scanFrontend(tokenize(src), file, calls);
    } catch {
      /* odd input never breaks the check */
    }
  }
  for (const r of routes) r.path = normalize(joinPath(prefixOf(r.file, r.recv, r.app ?? true, mounts, 0), r.path)) ?? r.path;
  return matchAll(
    dedupe(calls),
    dedupe(routes).map(({ method, path, file, line }) => ({ method, path, file, line })),
    filesScanned,
  );
}

function dedupe<T extends EndpointFinding>(xs: T[]): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = `${x.method} ${x.path} ${x.file}:${x.line}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

function matchAll(calls: EndpointFinding[], routes: EndpointFinding[], filesScanned: number): ContractReport {
  const matched = new Map<string, { method: string; path: string }>(),
    called = new Set<EndpointFinding>(),
    callsWithoutRoute: EndpointFinding[] = [];
  const segs = (p: string): string[] => p.split('/').filter(Boolean);
  const split = routes.map((r) => ({ r, segs: segs(r.path) })),
    best = new Map<string, EndpointFinding[]>();
  for (const c of calls) {
    const key = `${c.method} ${c.path}`,
      cs = segs(c.path);
    if (!best.has(key)) {
      // the most specific routes this call fits, computed once per distinct call
      const scored = split.map(({ r, segs: rs }) => ({ r, s: r.method === c.method || r.method === 'ALL' ? score(cs, rs) : -1 })).filter((x) => x.s >= 0);
      const top = Math.max(-1, ...scored.map((x) => x.s));
      best.set(
        key,
        scored.filter((x) => x.s === top).map((x) => x.r),
      );
    }
    const fits = best.get(key)!;
    if (!fits.length && !/\.[a-z0-9]{1,5}$/i.test(c.path)) callsWithoutRoute.push(c); // static assets are not API calls
    for (const r of fits) {
      called.add(r);
      matched.set(`${c.method} ${r.path}`, { method: c.method, path: r.path });
    }
  }
  // A prefix dispatcher (`/api/*`, from `url.startsWith('/api/')`) is used whenever a call falls under it.
  const dispatches = (r: EndpointFinding) => r.path.endsWith('/*') && calls.some((c) => c.path.startsWith(r.path.slice(0, -1)));
  return {
    matched: [...matched.values()],
    callsWithoutRoute,
    routesNeverCalled: routes.filter((r) => !called.has(r) && !dispatches(r)),
    calls,
    routes,
    filesScanned,
  };
}

/** How well call segments fit route segments: -1 no match; higher is more specific (literal beats parameter). */
function score(c: string[], r: string[]): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    const rs = r[i]!,
      cs = c[i];
    if (rs === '*') return s;
    if (cs === undefined) return -1;
    if (rs.startsWith(':')) s += 1;
    else if (cs.startsWith(':')) s += 0.5;
    else if (rs.toLowerCase() === cs.toLowerCase()) s += 2;
    else return -1;
  }
  return c.length === r.length ? s : -1;
}

function scanFrontend(toks: Token[], file: string, out: EndpointFinding[]): void {
  const consts = collectConsts(toks),
    fns = collectFunctions(toks),
    clients = new Map<string, number | null>([
      ['axios', null],
      ['$', null],
      ['http', null],
      ['httpClient', null],
    ]);
  const xhr = toks.some((t) => t.v === 'XMLHttpRequest'),
    sitesOf = new Map<string, { k: number; open: number }[]>();
  const callSites = (name: string): { k: number; open: number }[] => {
    if (!sitesOf.size)
      toks.forEach((s, k) => {
        const open = skipTypeArgs(toks, k + 1);
        if (s.k === 'id' && toks[open]?.v === '(' && toks[k - 1]?.v !== 'function')
          sitesOf
            .set(s.v, sitesOf.get(s.v) ?? [])
            .get(s.v)!
            .push({ k, open });
      });
    return sitesOf.get(name) ?? [];
  };
  const emit = (spec: MethodSpec, url: string | undefined, line: number): void => {
    const path = url === undefined ? undefined : normalize(url),
      method = 'lit' in spec ? spec.lit : 'GET';
    if (path) out.push({ method, path, file, line });
  };
  toks.forEach((t, i) => {
    // axios.create({ baseURL }) clients
    if (t.v === 'create' && toks[i - 2]?.v === 'axios' && toks[i - 3]?.v === '=' && toks[i - 4]?.k === 'id' && toks[i + 1]?.v === '(')
      clients.set(toks[i - 4]!.v, objProp(toks, i + 2, ['baseURL']) ?? null);
  });
  toks.forEach((t, i) => {
    const prev = toks[i - 1],
      next = skipTypeArgs(toks, i + 1),
      open = toks[next]?.v === '(' ? next : -1,
      recv = prev?.v === '.' ? toks[i - 2] : undefined;
    if (open < 0 || prev?.v === 'function' || !(t.v === 'fetch' || t.v === 'open' || t.v === 'axios' || (recv && clients.has(recv.v)))) return;
    const fn = fns.filter((f) => f.from <= i && i <= f.to).sort((a, b) => b.from - a.from)[0];
    const ctx: ScanContext = { toks, consts, params: fn?.params ?? [], depth: 0 },
      args = argStarts(toks, open);
    let url: string | undefined,
      spec: MethodSpec = GET;
    if (t.v === 'fetch' && (!recv || /^(window|globalThis|self)$/.test(recv.v))) {
      url = urlAt(ctx, args[0]);
      spec = optsMethod(ctx, args[1]);
    } else if (xhr && t.v === 'open' && recv && args.length >= 2) {
      url = urlAt(ctx, args[1]);
      spec = methodAt(ctx, args[0]);
    } else if (recv && clients.has(recv.v) && (toks[i - 3]?.v !== '.' || toks[i - 4]?.v === 'this')) {
      // axios.get, this.http.get (Angular)
      const base = clients.get(recv.v),
        baseUrl = base === null || base === undefined ? '' : (evalExpr(ctx, base) ?? '');
      const verb = t.v.replace(/^getJSON$/, 'get').toUpperCase();
      if (VERBS.has(verb)) {
        const u = urlAt(ctx, args[0]);
        url = u === undefined ? undefined : baseUrl + u;
        spec = { lit: verb };
      } else if ((t.v === 'request' || t.v === 'ajax') && args[0] !== undefined) {
        url = urlAt(ctx, objProp(toks, args[0], ['url']));
        spec = optsMethod(ctx, args[0], ['method', 'type']);
      }
    } else if (t.v === 'axios' && !recv && args[0] !== undefined) {
      const obj = toks[args[0]]?.v === '{';
      url = urlAt(ctx, obj ? objProp(toks, args[0], ['url']) : args[0]);
      spec = optsMethod(ctx, obj ? args[0] : args[1]);
    } else return;
    if (url === undefined) return;
    const holes = [...url.matchAll(/\u0001(\d+)\u0001/g)],
      structural = holes.some((h) => url![(h.index ?? 0) - 1] !== '/');
    if (!fn || (!holes.length && 'lit' in spec)) {
      emit(spec, url, t.line);
      return;
    }
    const sites = structural || !('lit' in spec) ? callSites(fn.name).filter((s) => s.k !== fn.def) : [];
    if (!sites.length) {
      if (!structural)
        emit(
          spec,
          url.replace(/\u0001(\d+)\u0001/g, (_, k: string) => paramMarker(fn.params[Number(k)] || 'param')),
          t.line,
        );
      return;
    }
    for (const { k, open: o } of sites) {
      // a wrapper (`api('/todos', { method: 'POST' })`): one call per call site
      const site: ScanContext = { toks, consts, params: [], depth: 0 },
        a = argStarts(toks, o);
      const u = url.replace(/\u0001(\d+)\u0001/g, (_, n: string) => urlAt(site, a[Number(n)]) ?? paramMarker(fn.params[Number(n)] || 'param'));
      emit('lit' in spec ? spec : 'arg' in spec ? methodAt(site, a[spec.arg]) : optsMethod(site, a[spec.opts]), u, toks[k]!.line);
    }
  });
}

interface Guard {
  url: boolean;
  value: string;
  pos: number;
  line: number;
  cond: number;
  from: number;
  to: number;
}

function scanBackend(toks: Token[], file: string, routes: Route[], mounts: Mount[]): void {
  const ctx: ScanContext = { toks, consts: collectConsts(toks), params: [], depth: 0 };
  const apps = new Set(['app', 'server']),
    imports = new Map<string, string>(),
    regexNames = new Map<string, string>(),
    guards: Guard[] = [];
  const pathAt = (i: number | undefined): string | undefined => {
    const t = i === undefined ? undefined : toks[i];
    if (t?.k === 're') return regexToPath(t.v);
    const v = urlAt(ctx, i);
    return v !== undefined && /^[/*]/.test(v) ? normalize(v) : undefined;
  };
  const route = (method: string, path: string | undefined, line: number, recv?: string): void => {
    if (path && path !== '/*') routes.push({ method, path, file, line, recv, app: recv === undefined || apps.has(recv) });
  };
  toks.forEach((t, i) => {
    const n = toks[i + 1],
      s = toks[i + 3];
    if (t.v === '=' && toks[i - 1]?.k === 'id' && /^(express|fastify|Koa)$/.test(n?.v ?? '')) apps.add(toks[i - 1]!.v);
    if (t.v === '=' && toks[i - 1]?.k === 'id' && n?.v === 'require' && s?.k === 'str') imports.set(toks[i - 1]!.v, s.v);
    if (t.v === 'import' && n?.k === 'id' && toks[i + 2]?.v === 'from' && s?.k === 'str') imports.set(n.v, s.v);
    if ((t.v === 'const' || t.v === 'let' || t.v === 'var') && n?.k === 'id' && toks[i + 2]?.v === '=') {
      for (let j = i + 3, e = stmtEnd(toks, i + 3); j < e; j++) {
        const p = toks[j]?.k === 're' ? regexToPath(toks[j]!.v) : regexNames.get(toks[j]?.k === 'id' ? toks[j]!.v : '');
        if (p) {
          regexNames.set(n.v, p);
          break;
        }
      }
    }
  });
  // Express-style: app.get('/x', h), router.route('/x').get(h).post(h), app.use('/api', router)
  toks.forEach((t, i) => {
    if (t.k !== 'id' || toks[i + 1]?.v !== '.' || toks[i + 3]?.v !== '(' || CLIENTS.has(t.v) || toks[i - 1]?.v === '.') return;
    const m = toks[i + 2]!.v,
      open = i + 3,
      args = argStarts(toks, open),
      verb = (x: string): boolean => VERBS.has(x.toUpperCase()) || x === 'all';
    if (verb(m) && args.length >= 2) route(m.toUpperCase(), pathAt(args[0]), toks[i + 2]!.line, t.v);
    else if (m === 'route' && args.length === 1) {
      const p = pathAt(args[0]);
      for (let j = toks[open]!.end; j > 0 && toks[j + 1]?.v === '.' && toks[j + 3]?.v === '(' && verb(toks[j + 2]!.v); j = toks[j + 3]!.end)
        route(toks[j + 2]!.v.toUpperCase(), p, toks[j + 2]!.line, t.v);
    } else if (m === 'use' && args.length >= 2) {
      const prefix = pathAt(args[0]),
        a1 = args[1]!,
        x = toks[a1];
      const spec = x?.v === 'require' && toks[a1 + 2]?.k === 'str' ? toks[a1 + 2]!.v : x?.k === 'id' ? imports.get(x.v) : undefined;
      if (prefix && x)
        mounts.push({
          file,
          prefix,
          by: t.v,
          byApp: apps.has(t.v),
          recv: x.k === 'id' ? x.v : undefined,
          targets: spec?.startsWith('.') ? candidates(file, spec) : undefined,
        });
    }
  });
  // node:http: url and method comparisons in `if` conditions and `switch` cases, and the blocks they guard.
  const scanCond = (a: number, b: number, cond: number, to: number): void => {
    for (let j = a; j < b; j++) {
      const t = toks[j]!,
        add = (url: boolean, value: string | undefined): void => {
          if (value) guards.push({ url, value, pos: j, line: t.line, cond, from: a, to });
        };
      if (t.v === '===' || t.v === '==') {
        let k = j + 1;
        while (toks[k + 1]?.v === '.' && toks[k + 2]?.k === 'id') k += 2;
        const left = toks[j - 1]?.k === 'id',
          name = left ? toks[j - 1]!.v : (toks[k]?.v ?? ''),
          val = left ? j + 1 : j - 1;
        if (/method/i.test(name)) add(false, verbAt(ctx, val));
        else if (URLISH.test(name)) add(true, pathAt(val));
      } else if (t.v === 'startsWith' && toks[j + 1]?.v === '(' && URLISH.test(toks[j - 2]?.v ?? '')) add(true, ((p) => p && joinPath(p, '*'))(pathAt(j + 2)));
      else if (t.k === 're') add(true, regexToPath(t.v));
      else if (t.k === 'id' && toks[j - 1]?.v !== '.') add(true, regexNames.get(t.v));
    }
  };
  toks.forEach((t, i) => {
    const o = toks[i + 1],
      b = o ? toks[o.end + 1] : undefined;
    if ((t.v !== 'if' && t.v !== 'switch') || o?.v !== '(' || o.end <= i) return;
    if (t.v === 'if') {
      scanCond(i + 1, o.end, i, b?.v === '{' ? b.end : stmtEnd(toks, o.end + 1));
      return;
    }
    if (b?.v !== '{') return;
    const disc = toks
        .slice(i + 2, o.end)
        .filter((x) => x.k === 'id')
        .map((x) => x.v)
        .join(' '),
      labels: number[] = [];
    for (let j = o.end + 2; j < b.end; j++) {
      const tj = toks[j]!;
      if (tj.end > j && tj.k === 'p') j = tj.end;
      else if (tj.v === 'case' || tj.v === 'default') labels.push(j);
    }
    labels.forEach((l, n) => {
      const to = labels.slice(n + 1).find((m) => toks[m - 1]?.v !== ':') ?? b.end;
      let colon = l + 1;
      for (; colon < to && toks[colon]?.v !== ':'; colon++) if (toks[colon]!.k === 'p' && toks[colon]!.end > colon) colon = toks[colon]!.end;
      scanCond(l, colon, l, to);
      const url = URLISH.test(disc),
        value = toks[l]?.v !== 'case' ? undefined : /method/i.test(disc) ? verbAt(ctx, l + 1) : url ? pathAt(l + 1) : undefined;
      if (value) guards.push({ url, value, pos: l, line: toks[l]!.line, cond: l, from: l, to });
    });
  });
  const urls = guards.filter((g) => g.url),
    methods = guards.filter((g) => !g.url);
  for (const u of urls) {
    if (urls.some((o) => o.cond !== u.cond && o.from > u.from && o.pos < u.to)) continue; // a dispatcher around finer routes
    const dom = methods.filter((m) => m.from <= u.pos && u.pos < m.to);
    const inner = methods.filter((m) => m.cond !== u.cond && m.pos > u.pos && m.pos < u.to);
    if (dom.length) dom.forEach((m) => route(m.value, u.value, u.line));
    else if (inner.length) inner.forEach((m) => route(m.value, u.value, m.line));
    else route('ALL', u.value, u.line);
  }
  for (const t of toks) {
    // route tables: { 'GET /api/todos': handler }
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
