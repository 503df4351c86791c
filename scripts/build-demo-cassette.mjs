// Writes demo/todo-app.cassette.json: the demo's scripted session, written by hand below, with the
// files the agents "write" taken from demo/todo-app/ so that they stay real, runnable and tested.
// Run it after changing either: `node scripts/build-demo-cassette.mjs` (a unit test checks the
// committed cassette is current).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const app = (p) => fs.readFileSync(path.join(root, 'demo', 'todo-app', p), 'utf8');
const write = (p, content = app(p)) => ({ name: 'write_file', arguments: { path: p, content } });
const search = (args) => ({ name: 'search_files', arguments: args });
const edit = (p, oldText, newText) => ({ name: 'edit_file', arguments: { path: p, edits: [{ oldText, newText }] } });
// The front end first writes its page loading a script it then names app.js, and fixes that one line
// with edit_file (the page it ends with is demo/todo-app/public/index.html, byte for byte).
const SCRIPT_TAG = '<script src="app.js"></script>';
const firstPage = app('public/index.html').replace(SCRIPT_TAG, '<script src="main.js"></script>');
if (firstPage === app('public/index.html')) throw new Error(`demo/todo-app/public/index.html no longer holds ${SCRIPT_TAG}`);
const reply = (provider, key, usage, text, ...toolCalls) => ({ key, provider, reply: { ...(text ? { text } : {}), ...(toolCalls.length ? { toolCalls } : {}), usage } });
const finish = (summary) => ({ name: 'finish', arguments: { summary } });
const runCommand = (command) => ({ name: 'run_command', arguments: { command } });
const u = (input, output, cachedInput) => ({ input, output, ...(cachedInput ? { cachedInput } : {}) });

const API = 'GET /api/todos (list), POST /api/todos {title} → 201 {id,title,done}, PATCH /api/todos/:id {title?,done?} → 200, DELETE /api/todos/:id → 204; errors are JSON {error}';

const plan = {
  rationale: 'A todo app splits cleanly into an HTTP API and a static front end that agree on one small JSON contract, so both can be built in parallel; the tests need the server and the page to exist first.',
  tasks: [
    {
      id: 'backend-api',
      title: 'Todo API and static server',
      role: 'backend',
      dependsOn: [],
      rationale: 'Server-side Node.js and the API contract are the back-end specialist\'s work.',
      description: `Create server.js with no dependencies (node:http): export createApp({publicDir}) returning an http.Server; keep todos in memory; implement ${API}; serve ./public for every other path. Create package.json with scripts start ("node server.js") and test ("node --test --experimental-test-coverage").`,
      check: 'npm test, once the qa-tests task has written the tests',
    },
    {
      id: 'frontend-ui',
      title: 'Todo list page',
      role: 'frontend',
      dependsOn: [],
      rationale: 'Markup, styling and browser code belong to the front-end specialist; the API contract is fixed in the description, so it need not wait for the back end.',
      description: `Create public/index.html, public/styles.css and public/app.js (no build step, no framework): a form to add a todo, a list with a checkbox to toggle done and a button to delete, and a count of items left. Use the API: ${API}. Accessible labels; follows light/dark colour schemes.`,
    },
    {
      id: 'qa-tests',
      title: 'API tests',
      role: 'qa',
      dependsOn: ['backend-api', 'frontend-ui'],
      rationale: 'Tests are the QA specialist\'s; they need server.js and the page (one test checks that / serves it) to exist.',
      description: 'Write test/server.test.js with node:test and node:assert that starts createApp() on a free port for each test and covers: empty list, create and list, a missing title is rejected with 400, PATCH done/title, DELETE, 404 for a missing id, and that / serves the page.',
      check: 'npm test: all tests pass',
    },
  ],
};

const entries = [
  reply('anthropic', 'plan#1', u(2140, 1180), 'Planning three tasks: the API and the page in parallel, then the tests.', { name: 'submit_plan', arguments: plan }),
  // The back end on Gemini: rate-limited once (429, retry after 1 s), then it answers.
  { key: 'task/backend-api#1', provider: 'gemini', fault: { status: 429, message: 'Resource has been exhausted (e.g. check quota).', retryAfterS: 1 }, times: 1 },
  reply('gemini', 'task/backend-api#1', u(1620, 1890), 'Writing the server and the package manifest.', write('server.js'), write('package.json')),
  // It checks its route list against the contract with a search rather than re-reading the file.
  reply('gemini', 'task/backend-api#2', u(3610, 40), 'Checking the route list against the API contract.', search({ pattern: "req.method === '", path: 'server.js' })),
  reply('gemini', 'task/backend-api#3', u(3780, 95), '', finish('server.js implements the todo API (GET/POST /api/todos, PATCH/DELETE /api/todos/:id) with in-memory storage and serves ./public; package.json has start and test scripts.')),
  // The front end on OpenAI: the service is down (503 three times), so it switches to its fallback.
  { key: 'task/frontend-ui#1', provider: 'openai', fault: { status: 503, message: 'The server is overloaded or not ready yet.' }, times: 3 },
  reply('gemini', 'task/frontend-ui#1', u(1710, 640), 'Creating the page and its styles.', write('public/index.html', firstPage), write('public/styles.css')),
  reply('gemini', 'task/frontend-ui#2', u(2480, 1020), '', write('public/app.js')),
  // One line to fix in an existing file: an edit, not a rewrite of the page.
  reply('gemini', 'task/frontend-ui#3', u(3590, 45), 'The page loads main.js, but the script is app.js: fixing that one line.', edit('public/index.html', '<script src="main.js"></script>', SCRIPT_TAG)),
  reply('gemini', 'task/frontend-ui#4', u(3680, 80), '', finish('public/index.html, public/styles.css and public/app.js: add, toggle, delete todos through the API, with an items-left count.')),
  // QA on a cheap OpenAI model: it looks around, then talks instead of writing the tests.
  reply('openai', 'task/qa-tests#1', u(1310, 40, 1024), '', { name: 'list_files', arguments: {} }),
  reply('openai', 'task/qa-tests#2', u(1420, 35, 1280), '', { name: 'read_file', arguments: { path: 'server.js' } }),
  // It runs the project's tests (`npm test` is in the config's commands.allow): there are none yet.
  reply('openai', 'task/qa-tests#3', u(1980, 30, 1280), 'Checking what the test script runs today.', runCommand('npm test')),
  reply('openai', 'task/qa-tests#4', u(3050, 310, 1280), 'No tests exist yet (0 tests ran). The tests should start the server on port 0 and call each route with fetch. I would cover listing, creating, updating and deleting todos.'),
  reply('openai', 'task/qa-tests#5', u(3400, 120, 2944), 'Understood. The test file would use node:test with one server per test.'),
  reply('openai', 'task/qa-tests#6', u(3560, 90, 3328), 'I have described the tests above.'),
  // Escalated: the orchestrator writes the tests itself, and runs them.
  reply('anthropic', 'escalate/qa-tests#1', u(2890, 210), 'The QA agent described the tests but never wrote them. I will write them myself.', { name: 'read_file', arguments: { path: 'server.js' } }),
  reply('anthropic', 'escalate/qa-tests#2', u(4980, 1560), '', write('test/server.test.js')),
  reply('anthropic', 'escalate/qa-tests#3', u(6600, 40), '', runCommand('npm test')),
  reply('anthropic', 'escalate/qa-tests#4', u(7200, 70), '', finish('Wrote test/server.test.js: seven node:test cases covering every route, validation and the static page; `npm test` passes.')),
];

const cassette = {
  version: 1,
  goal: 'Simple todo list web app',
  note: 'Demo cassette, written by hand: every answer below is scripted. It replays through the real OpenAI, Anthropic and Gemini SDKs against local servers that speak their wire protocols, and exercises a rate limit (retry), an outage (provider switch), a search and a one-line edit, an agent that gives up (escalation) and agents running the project tests (run_command, allowed by commands.allow in the config).',
  config: {
    orchestrator: { provider: 'anthropic', model: 'claude-opus-4-8' },
    roles: {
      frontend: { provider: 'openai', model: 'gpt-5', fallback: { provider: 'gemini', model: 'gemini-2.5-flash' }, description: 'Front-end specialist: HTML, CSS, browser JavaScript, accessibility.' },
      backend: { provider: 'gemini', model: 'gemini-2.5-pro', fallback: { provider: 'openai', model: 'gpt-5' }, description: 'Back-end specialist: Node.js servers, HTTP APIs, data storage.' },
      qa: { provider: 'openai', model: 'gpt-5-mini', description: 'QA specialist: automated tests with node:test, test data, edge cases; runs the tests it writes whenever it has a tool to run commands.' },
    },
    maxConcurrency: 4,
    retry: { maxRetries: 2, maxBackoffMs: 2000 },
    validation: { runTests: 'always', timeoutMs: 60000 },
    commands: { allow: ['npm test'], timeoutMs: 60000 },
  },
  entries,
};

const out = path.join(root, 'demo', 'todo-app.cassette.json');
const text = JSON.stringify(cassette, null, 2) + '\n';
if (process.argv.includes('--check')) {
  const current = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  if (current !== text) {
    console.error('demo/todo-app.cassette.json is out of date: run node scripts/build-demo-cassette.mjs');
    process.exit(1);
  }
} else {
  fs.writeFileSync(out, text);
  console.log(`wrote ${path.relative(root, out)} (${entries.length} entries)`);
}
