import { strict as assert } from 'node:assert';
import { checkContracts, type ContractReport } from '../../src/core/quality/integration';

/** Source from lines, so that line numbers in the assertions can be read off the array (index + 1). */
const src = (...lines: string[]): string => lines.join('\n');
const fmt = (xs: { method: string; path: string; file?: string; line?: number }[]): string[] =>
  xs.map((x) => `${x.method} ${x.path}${x.file ? ` ${x.file}:${x.line}` : ''}`);

const FRONT = src(
  "const API = '/api/todos';", //                                     1
  '',
  'export async function loadTodos() {',
  '  const res = await fetch(API);', //                                4  GET
  '  return res.json();',
  '}',
  'export async function addTodo(title) {',
  '  const res = await fetch(API, {', //                               8  POST (method on a later line)
  "    headers: { 'Content-Type': 'application/json' },",
  "    method: 'POST',",
  '    body: JSON.stringify({ title }),',
  '  });',
  '  return res.json();',
  '}',
  'export async function toggleTodo(id, done) {',
  '  await fetch(`${API}/${id}`, { method: "PUT", body: JSON.stringify({ done }) });', // 16 PUT
  '}',
  'export function deleteTodo(todo) {',
  "  return fetch('/api/todos/' + todo.id, { method: 'DELETE' }); // fetch('/api/ignored')", // 19 DELETE
  '}',
  '/* fetch("/api/commented-out") */',
  "const res = await fetch('/styles/app.css');", //                    22 a static asset, not an API call
);

const EXPRESS = src(
  "const express = require('express');",
  "const path = require('node:path');",
  'const app = express();',
  'app.use(express.json());',
  "app.use(express.static(path.join(__dirname, 'public')));",
  'let todos = [];',
  "app.get('/api/todos', (req, res) => res.json(todos));", //          7
  "app.post('/api/todos', (req, res) => {", //                         8
  '  res.status(201).json(req.body);',
  '});',
  "app.put('/api/todos/:id', (req, res) => res.json({}));", //         11
  "app.delete('/api/todos/:id', (req, res) => res.status(204).end());", // 12
  "app.get('/api/health', (req, res) => res.send('ok'));", //          13
  "app.get('*', (req, res) => res.sendFile(path.join(__dirname, 'public/index.html')));", // catch-all: not a route
  'app.listen(process.env.PORT || 3000);',
);

const NODE_HTTP = src(
  "import http from 'node:http';",
  'const server = http.createServer(async (req, res) => {',
  "  const { pathname } = new URL(req.url, 'http://localhost');",
  "  if (req.method === 'GET' && pathname === '/api/todos') {", //      4  GET (same condition)
  '    return send(res, 200, todos);',
  '  }',
  "  if (pathname === '/api/todos') {", //                              7
  "    if (req.method === 'POST') return create(req, res);", //        8  POST (checked inside the block)
  '  }',
  '  const match = pathname.match(/^\\/api\\/todos\\/(\\d+)$/);',
  '  if (match) {',
  '    switch (req.method) {',
  "      case 'PUT':", //                                                13 PUT
  '        return update(req, res, Number(match[1]));',
  "      case 'DELETE':", //                                             15 DELETE
  '        return remove(res, Number(match[1]));',
  '    }',
  '  }',
  "  if (req.url.startsWith('/assets/')) return serveStatic(req, res);", // 19 ALL /assets/*
  '  res.writeHead(404).end();',
  '});',
  'server.listen(3000);',
);

describe('integration: checkContracts', () => {
  it('extracts the calls of a realistic front end, with exact lines', () => {
    const r = checkContracts([{ path: 'public/app.js', content: FRONT }]);
    assert.deepEqual(fmt(r.calls), [
      'GET /api/todos public/app.js:4',
      'POST /api/todos public/app.js:8',
      'PUT /api/todos/:id public/app.js:16',
      'DELETE /api/todos/:id public/app.js:19',
      'GET /styles/app.css public/app.js:22',
    ]);
    assert.deepEqual(r.callsWithoutRoute.map((c) => c.path), ['/api/todos', '/api/todos', '/api/todos/:id', '/api/todos/:id'], 'the stylesheet is not an API call');
    assert.equal(r.filesScanned, 1);
  });

  it('matches the front end against an Express server', () => {
    const r = checkContracts([{ path: 'public/app.js', content: FRONT }, { path: 'server.js', content: EXPRESS }]);
    assert.deepEqual(fmt(r.routes), [
      'GET /api/todos server.js:7',
      'POST /api/todos server.js:8',
      'PUT /api/todos/:id server.js:11',
      'DELETE /api/todos/:id server.js:12',
      'GET /api/health server.js:13',
    ]);
    assert.deepEqual(fmt(r.matched), ['GET /api/todos', 'POST /api/todos', 'PUT /api/todos/:id', 'DELETE /api/todos/:id']);
    assert.deepEqual(r.callsWithoutRoute, []);
    assert.deepEqual(fmt(r.routesNeverCalled), ['GET /api/health server.js:13']);
    assert.equal(r.filesScanned, 2);
  });

  it('matches the same front end against a plain node:http server', () => {
    const r = checkContracts([{ path: 'public/app.js', content: FRONT }, { path: 'server.mjs', content: NODE_HTTP }]);
    assert.deepEqual(fmt(r.routes), [
      'GET /api/todos server.mjs:4',
      'POST /api/todos server.mjs:8',
      'PUT /api/todos/:param server.mjs:13',
      'DELETE /api/todos/:param server.mjs:15',
      'ALL /assets/* server.mjs:19',
    ]);
    assert.deepEqual(fmt(r.matched), ['GET /api/todos', 'POST /api/todos', 'PUT /api/todos/:param', 'DELETE /api/todos/:param']);
    assert.deepEqual(r.callsWithoutRoute, []);
    assert.deepEqual(fmt(r.routesNeverCalled), ['ALL /assets/* server.mjs:19']);
  });

  it('reports a path mismatch and a method mismatch on both sides', () => {
    const front = src(
      'async function load() {',
      "  return (await fetch('/api/todo')).json();", //                  2 singular: no such route
      '}',
      'async function rename(id, title) {',
      "  await fetch(`/api/todos/${id}`, { method: 'PATCH', body: JSON.stringify({ title }) });", // 5 PATCH, server has PUT
      '}',
      "fetch('/api/todos', { method: 'post' });", //                     7 lower-case method
    );
    const server = src(
      "const express = require('express');",
      'const app = express();',
      "app.get('/api/todos', (req, res) => res.json([]));", //           3
      "app.post('/api/todos', (req, res) => res.json({}));", //          4
      "app.put('/api/todos/:id', (req, res) => res.json({}));", //       5
    );
    const r: ContractReport = checkContracts([{ path: 'web/main.js', content: front }, { path: 'api/server.js', content: server }]);
    assert.deepEqual(fmt(r.callsWithoutRoute), ['GET /api/todo web/main.js:2', 'PATCH /api/todos/:id web/main.js:5']);
    assert.deepEqual(fmt(r.routesNeverCalled), ['GET /api/todos api/server.js:3', 'PUT /api/todos/:id api/server.js:5']);
    assert.deepEqual(fmt(r.matched), ['POST /api/todos']);
  });

  it('extracts XMLHttpRequest and axios calls from inline scripts of an HTML page', () => {
    const html = src(
      '<!doctype html>',
      '<html><head>',
      '<script src="https://cdn.jsdelivr.net/npm/axios/dist/axios.min.js"></script>',
      '<script type="application/json">{ "x": "fetch(\'/api/not-code\')" }</script>',
      '</head><body>',
      '<script>',
      '  const xhr = new XMLHttpRequest();',
      "  xhr.open('PUT', '/api/todos/' + id);", //                        8
      '  xhr.send(JSON.stringify(todo));',
      "  axios.get('/api/todos').then((r) => render(r.data));", //       10
      '  axios.post("http://localhost:3000/api/todos", { title });', //   11
      '  axios({', //                                                      12
      "    method: 'delete',",
      '    url: `/api/todos/${todo.id}`,',
      '  });',
      "  const api = axios.create({ baseURL: '/api' });",
      "  api.patch('/todos/' + id, { done: true });", //                 17
      '  fetch("https://cdn.example.com/data.json");', //                another service: ignored
      '</script>',
      '</body></html>',
    );
    const r = checkContracts([{ path: 'public/index.html', content: html }]);
    assert.deepEqual(fmt(r.calls), [
      'PUT /api/todos/:id public/index.html:8',
      'GET /api/todos public/index.html:10',
      'POST /api/todos public/index.html:11',
      'DELETE /api/todos/:id public/index.html:12',
      'PATCH /api/todos/:id public/index.html:17',
    ]);
  });

  it('ignores test files, node_modules, .ensemble and non-code files', () => {
    const call = "fetch('/api/secret-endpoint');";
    const r = checkContracts([
      { path: 'test/api.test.js', content: call },
      { path: 'src/todos.test.ts', content: call },
      { path: 'src/__tests__/ui.js', content: call },
      { path: 'tests/e2e.js', content: call },
      { path: 'node_modules/lib/index.js', content: call },
      { path: '.ensemble/sessions/x/report.js', content: call },
      { path: 'README.md', content: call },
      { path: 'data.json', content: `{ "a": "${call}" }` },
      { path: 'src\\client.js', content: "fetch('/api/real');" },
    ]);
    assert.deepEqual(fmt(r.calls), ['GET /api/real src/client.js:1']);
    assert.equal(r.filesScanned, 1);
  });

  it('follows request helpers to their call sites (method from the options argument)', () => {
    const api = src(
      "const API_BASE = 'http://localhost:3000/api';",
      'async function request<T>(path: string, options: RequestInit = {}): Promise<T> {',
      '  const res = await fetch(`${API_BASE}${path}`, {',
      "    headers: { 'Content-Type': 'application/json' },",
      '    ...options,',
      '  });',
      '  return res.json() as Promise<T>;',
      '}',
      'export const todoApi = {',
      "  list: () => request<Todo[]>('/todos'),", //                      10
      "  create: (title: string) => request<Todo>('/todos', { method: 'POST', body: JSON.stringify({ title }) }),", // 11
      "  remove: (id: number) => request<void>(`/todos/${id}`, { method: 'DELETE' }),", // 12
      '};',
      'const send = (method, url) => fetch(url, { method });',
      "send('PUT', '/api/todos/7');", //                                  15
    );
    const r = checkContracts([{ path: 'src/api.ts', content: api }]);
    assert.deepEqual(fmt(r.calls), [
      'GET /api/todos src/api.ts:10',
      'POST /api/todos src/api.ts:11',
      'DELETE /api/todos/:id src/api.ts:12',
      'PUT /api/todos/7 src/api.ts:15',
    ]);
  });

  it('prefixes Express routers mounted with app.use, in the same file and across files', () => {
    const index = src(
      "import express from 'express';",
      "import todosRouter from './routes/todos.js';",
      'const app = express();',
      'const api = express.Router();',
      "api.get('/health', (req, res) => res.json({ ok: true }));", //       5
      "app.use('/api', api);",
      "app.use('/api/todos', todosRouter);",
      "app.all('/api/echo', (req, res) => res.json(req.body));", //          8
    );
    const todos = src(
      "const { Router } = require('express');",
      'const router = Router();',
      "router.route('/')",
      '  .get((req, res) => res.json([]))', //                              4
      '  .post((req, res) => res.status(201).json({}));', //                5
      "router.delete('/:id', (req, res) => res.status(204).end());", //    6
      'module.exports = router;',
    );
    const front = src("fetch('/api/todos');", "fetch('/api/todos/3', { method: 'DELETE' });", "fetch('/api/echo', { method: 'POST' });");
    const r = checkContracts([{ path: 'server/index.js', content: index }, { path: 'server/routes/todos.js', content: todos }, { path: 'client/app.js', content: front }]);
    assert.deepEqual(fmt(r.routes), [
      'GET /api/health server/index.js:5',
      'ALL /api/echo server/index.js:8',
      'GET /api/todos server/routes/todos.js:4',
      'POST /api/todos server/routes/todos.js:5',
      'DELETE /api/todos/:id server/routes/todos.js:6',
    ]);
    assert.deepEqual(fmt(r.matched), ['GET /api/todos', 'DELETE /api/todos/:id', 'POST /api/echo']);
    assert.deepEqual(fmt(r.routesNeverCalled), ['GET /api/health server/index.js:5', 'POST /api/todos server/routes/todos.js:5']);
  });

  it('normalises URLs: host, query string, base constants, concatenation; prefers the most specific route', () => {
    const front = src(
      "const CONFIG = { API_URL: 'http://127.0.0.1:8080/api' };",
      "fetch(CONFIG.API_URL + '/todos?done=true');", //                     2
      'fetch(`${window.location.origin}/api/todos/stats`);', //            3
      "fetch(`${import.meta.env.VITE_API}/api/todos/${encodeURIComponent(todo.id)}#top`);", // 4
      "fetch('//cdn.example.com/lib.js');", //                              another service
      "fetch('https://api.github.com/repos');", //                          another service
      'fetch(someUrlFromElsewhere);', //                                    unknown: not reported
    );
    const server = src(
      "const express = require('express');",
      'const app = express();',
      "app.get('/api/todos', list);",
      "app.get('/api/todos/stats', stats);",
      "app.get('/api/todos/:id', one);",
      "app.get(/^\\/api\\/users\\/(\\d+)$/, user);", //                       6
    );
    const r = checkContracts([{ path: 'app.js', content: front }, { path: 'server.js', content: server }]);
    assert.deepEqual(fmt(r.calls), ['GET /api/todos app.js:2', 'GET /api/todos/stats app.js:3', 'GET /api/todos/:id app.js:4']);
    assert.deepEqual(fmt(r.matched), ['GET /api/todos', 'GET /api/todos/stats', 'GET /api/todos/:id']);
    assert.deepEqual(fmt(r.routesNeverCalled), ['GET /api/users/:param server.js:6']);
  });

  it('reads options held in a constant, reassigned URLs, Angular HttpClient, and divisions that are not regexes', () => {
    const app = src(
      "const API_URL = '/api/todos';",
      'async function createTodo(title) {',
      '  const options = {',
      "    method: 'POST',",
      "    headers: { 'Content-Type': 'application/json' },",
      '    body: JSON.stringify({ title }),',
      '  };',
      '  const response = await fetch(API_URL, options);', //            8 POST
      '  let url = API_URL;',
      "  if (filter) url = url + '?filter=' + filter;",
      '  const pct = done / total * 100; await fetch(url); // 1 / 2', //  11 GET
      '}',
    );
    const service = src(
      "import { HttpClient } from '@angular/common/http';",
      "@Injectable({ providedIn: 'root' })",
      'export class TodoService {',
      "  private apiUrl = '/api/todos';",
      '  constructor(private http: HttpClient) {}',
      '  list(): Observable<Todo[]> { return this.http.get<Todo[]>(this.apiUrl); }', // 6
      '  remove(id: number) { return this.http.delete(`${this.apiUrl}/${id}`); }', //   7
      '}',
    );
    const r = checkContracts([{ path: 'app.js', content: app }, { path: 'src/app/todo.service.ts', content: service }]);
    assert.deepEqual(fmt(r.calls), [
      'POST /api/todos app.js:8',
      'GET /api/todos app.js:11',
      'GET /api/todos src/app/todo.service.ts:6',
      'DELETE /api/todos/:id src/app/todo.service.ts:7',
    ]);
  });

  it('reads node:http servers that switch on the URL and check the method inside', () => {
    const server = src(
      "const http = require('http');",
      'http.createServer((req, res) => {',
      "  const url = req.url.split('?')[0];",
      '  switch (url) {',
      "    case '/api/todos':", //                                          5
      "      if (req.method === 'GET') return list(res);", //              6
      "      if (req.method === 'POST') return create(req, res);", //      7
      '      break;',
      "    case '/api/health':", //                                         9
      '      return res.end("ok");',
      '    default:',
      '      res.writeHead(404); res.end();',
      '  }',
      '}).listen(3000);',
    );
    const r = checkContracts([{ path: 'server.js', content: server }]);
    assert.deepEqual(fmt(r.routes), ['GET /api/todos server.js:6', 'POST /api/todos server.js:7', 'ALL /api/health server.js:9']);
  });

  it('never throws on odd input', () => {
    const odd = ['fetch(`${', 'app.get(/', '((((( }}}} `', '<script>', 'const x = /[/]/; fetch("/a" + ', "fetch('/x', { method: })", 'if (req.url === ) {} switch (req.method) { case'];
    const files = odd.map((content, i) => ({ path: i % 2 ? `f${i}.js` : `f${i}.html`, content }));
    files.push({ path: 'server.js', content: "require('http'); " + odd.join('\n') }, { path: 'x.js', content: null as unknown as string });
    assert.doesNotThrow(() => checkContracts(files));
    let seed = 42;
    const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const alphabet = ['fetch(', 'app.get(', "'/api/x'", '`/a/${', '}', '{', '(', ')', '/', '\\', "'", '"', '`', '\n', 'if (req.url === ', 'case ', ':', '+', 'x', 'require("http")', '/^\\/a\\/(\\d+)$/', '<script>', '</script>'];
    for (let n = 0; n < 300; n++) {
      const content = Array.from({ length: 40 }, () => alphabet[rand(alphabet.length)]).join('');
      assert.doesNotThrow(() => checkContracts([{ path: n % 3 ? 'a.js' : 'a.html', content }]), content);
    }
    assert.deepEqual(checkContracts([]), { matched: [], callsWithoutRoute: [], routesNeverCalled: [], calls: [], routes: [], filesScanned: 0 });
  });
});

describe('checkContracts: prefix dispatchers', () => {
  it('does not report a node:http prefix dispatch as a route never called when calls fall under it', () => {
    const server = [
      "const http = require('node:http');",
      'http.createServer((req, res) => {',
      "  if (req.url.startsWith('/api/')) return api(req, res);",
      '});',
      'function api(req, res) {',
      "  if (req.method === 'GET' && req.url === '/api/todos') return list(res);",
      '}',
    ].join('\n');
    const front = "fetch('/api/todos');";
    const r = checkContracts([{ path: 'server.js', content: server }, { path: 'public/app.js', content: front }]);
    assert.deepEqual(r.matched, [{ method: 'GET', path: '/api/todos' }]);
    assert.deepEqual(r.routesNeverCalled, []);
    const lonely = checkContracts([{ path: 'server.js', content: server }, { path: 'public/app.js', content: "fetch('/other');" }]);
    assert.ok(lonely.routesNeverCalled.some((x) => x.path === '/api/*'));
  });
});
