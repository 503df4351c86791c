// Todo API and static file server, with no dependencies.
//   GET    /api/todos        list todos
//   POST   /api/todos        create {title}
//   PATCH  /api/todos/:id    update {title?, done?}
//   DELETE /api/todos/:id    remove
// Everything else is served from ./public.
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript' };
// The longest title a todo may have.
const MAX_TITLE = 200;

function createApp({ publicDir = path.join(__dirname, 'public') } = {}) {
  const todos = [];
  let nextId = 1;

  const send = (res, status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };

  const readJson = (req) =>
    new Promise((resolve, reject) => {
      let data = '';
      req.on('data', (c) => {
        data += c;
        if (data.length > 1e5) reject(new Error('body too large'));
      });
      req.on('end', () => {
        try {
          resolve(data ? JSON.parse(data) : {});
        } catch {
          reject(new Error('invalid JSON'));
        }
      });
    });

  async function api(req, res, pathname) {
    if (pathname === '/api/todos' && req.method === 'GET') return send(res, 200, todos);
    if (pathname === '/api/todos' && req.method === 'POST') {
      const body = await readJson(req);
      const title = typeof body.title === 'string' ? body.title.trim() : '';
      if (!title) return send(res, 400, { error: 'title is required' });
      if (title.length > MAX_TITLE) return send(res, 400, { error: `title is longer than ${MAX_TITLE} characters` });
      const todo = { id: nextId++, title, done: false };
      todos.push(todo);
      return send(res, 201, todo);
    }
    const match = /^\/api\/todos\/(\d+)$/.exec(pathname);
    const todo = match && todos.find((t) => t.id === Number(match[1]));
    if (match && !todo) return send(res, 404, { error: 'todo not found' });
    if (match && req.method === 'PATCH') {
      const body = await readJson(req);
      if (typeof body.title === 'string' && body.title.trim().length > MAX_TITLE) return send(res, 400, { error: `title is longer than ${MAX_TITLE} characters` });
      if (typeof body.title === 'string' && body.title.trim()) todo.title = body.title.trim();
      if (typeof body.done === 'boolean') todo.done = body.done;
      return send(res, 200, todo);
    }
    if (match && req.method === 'DELETE') {
      todos.splice(todos.indexOf(todo), 1);
      return send(res, 204);
    }
    return send(res, 405, { error: 'method not allowed' });
  }

  function serveStatic(res, pathname) {
    const file = path.normalize(path.join(publicDir, pathname === '/' ? 'index.html' : pathname));
    if (!file.startsWith(publicDir)) return send(res, 403, { error: 'forbidden' });
    fs.readFile(file, (err, data) => {
      if (err) return send(res, 404, { error: 'not found' });
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
      res.end(data);
    });
  }

  return http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://localhost');
    if (pathname.startsWith('/api/')) {
      api(req, res, pathname).catch((e) => send(res, 400, { error: e.message }));
    } else {
      serveStatic(res, pathname);
    }
  });
}

if (require.main === module) {
  const port = Number(process.env.PORT) || 3000;
  createApp().listen(port, () => console.log(`Todo app on http://localhost:${port}`));
}

module.exports = { createApp };
