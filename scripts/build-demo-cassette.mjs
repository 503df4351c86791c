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
// The last task, raced by three vendors, limits a title's length: the server and the tests the earlier
// tasks write are demo/todo-app's without those lines, which the candidates' edits add back.
const unless = (file, ...parts) => {
  let text = app(file);
  for (const part of parts) {
    if (!text.includes(part)) throw new Error(`demo/todo-app/${file} no longer holds ${JSON.stringify(part)}`);
    text = text.replace(part, '');
  }
  return text;
};
const TYPES_LINE = "const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript' };\n";
const MAX_TITLE = '// The longest title a todo may have.\nconst MAX_TITLE = 200;\n';
const NEEDS_TITLE = "      if (!title) return send(res, 400, { error: 'title is required' });\n";
const POST_LIMIT = '      if (title.length > MAX_TITLE) return send(res, 400, { error: `title is longer than ${MAX_TITLE} characters` });\n';
const RENAME = "      if (typeof body.title === 'string' && body.title.trim()) todo.title = body.title.trim();\n";
const PATCH_LIMIT = "      if (typeof body.title === 'string' && body.title.trim().length > MAX_TITLE) return send(res, 400, { error: `title is longer than ${MAX_TITLE} characters` });\n";
const NEXT_TEST = "test('marks a todo done and renames it', () =>";
const LIMIT_TEST = app('test/server.test.js').slice(app('test/server.test.js').indexOf("test('rejects a title over 200"), app('test/server.test.js').indexOf(NEXT_TEST));
const firstServer = unless('server.js', MAX_TITLE, POST_LIMIT, PATCH_LIMIT);
const firstTests = unless('test/server.test.js', LIMIT_TEST);
const edits = (p, ...pairs) => ({ name: 'edit_file', arguments: { path: p, edits: pairs.map(([oldText, newText]) => ({ oldText, newText })) } });
const limitOnCreate = [TYPES_LINE, TYPES_LINE + MAX_TITLE];
const limitPost = [NEEDS_TITLE, NEEDS_TITLE + POST_LIMIT];
const limitPatch = [RENAME, PATCH_LIMIT + RENAME];
const limitTest = edits('test/server.test.js', [NEXT_TEST, LIMIT_TEST + NEXT_TEST]);

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
    {
      id: 'title-limit',
      title: 'Limit titles to 200 characters',
      role: 'backend',
      dependsOn: ['qa-tests'],
      rationale: 'A small change that the tests can judge: three vendors try it, each in a copy of its own, and `npm test` and the price decide which change is kept.',
      description: 'Reject a todo whose title is longer than 200 characters (after trimming) with 400 and a JSON {error}, when it is created (POST) and when it is renamed (PATCH). Add one test to test/server.test.js that covers both.',
      check: 'npm test',
      candidates: [
        { provider: 'gemini', model: 'gemini-2.5-pro' },
        { provider: 'openai', model: 'gpt-5' },
        { provider: 'anthropic', model: 'claude-opus-4-8' },
      ],
    },
  ],
};

const entries = [
  reply('anthropic', 'plan#1', u(2140, 1180), 'Planning four tasks: the API and the page in parallel, then the tests, then a title limit raced by three vendors.', { name: 'submit_plan', arguments: plan }),
  // The back end on Gemini: rate-limited once (429, retry after 1 s), then it answers.
  { key: 'task/backend-api#1', provider: 'gemini', fault: { status: 429, message: 'Resource has been exhausted (e.g. check quota).', retryAfterS: 1 }, times: 1 },
  reply('gemini', 'task/backend-api#1', u(1620, 1890), 'Writing the server and the package manifest.', write('server.js', firstServer), write('package.json')),
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
  reply('anthropic', 'escalate/qa-tests#2', u(4980, 1560), '', write('test/server.test.js', firstTests)),
  reply('anthropic', 'escalate/qa-tests#3', u(6600, 40), '', runCommand('npm test')),
  reply('anthropic', 'escalate/qa-tests#4', u(7200, 70), '', finish('Wrote test/server.test.js: seven node:test cases covering every route, validation and the static page; `npm test` passes.')),
  // Best of three: each candidate works in its own copy of the workspace; `npm test` runs in each copy.
  // Gemini limits new titles only, while its own test also renames: its check fails.
  reply('gemini', 'task/title-limit/1#1', u(2910, 610), 'Adding the limit where todos are created, and a test.', edits('server.js', limitOnCreate, limitPost), limitTest),
  reply('gemini', 'task/title-limit/1#2', u(3720, 60), '', finish('Titles over 200 characters are rejected with 400; test/server.test.js covers it.')),
  // OpenAI limits both, and runs the tests in its copy before it finishes: it passes, for the least money.
  reply('openai', 'task/title-limit/2#1', u(2950, 650, 1280), 'Limiting titles on create and rename, with a test for both.', edits('server.js', limitOnCreate, limitPost, limitPatch), limitTest),
  reply('openai', 'task/title-limit/2#2', u(3810, 30, 2816), '', runCommand('npm test')),
  reply('openai', 'task/title-limit/2#3', u(4420, 75, 3584), '', finish('POST and PATCH reject titles over 200 characters with 400; a new test covers both and `npm test` passes (8 tests).')),
  // Anthropic makes the same change and passes too, at a higher price.
  reply('anthropic', 'task/title-limit/3#1', u(3020, 700), 'The limit belongs in both handlers; adding it with a shared constant and a test.', edits('server.js', limitOnCreate, limitPost, limitPatch), limitTest),
  reply('anthropic', 'task/title-limit/3#2', u(3890, 85), '', finish('Titles longer than 200 characters are refused with 400 on create and rename; one new test covers both.')),
];

const cassette = {
  version: 1,
  goal: 'Simple todo list web app',
  note: 'Demo cassette, written by hand: every answer below is scripted. It replays through the real OpenAI, Anthropic and Gemini SDKs against local servers that speak their wire protocols, and exercises a rate limit (retry), an outage (provider switch), a search and a one-line edit, an agent that gives up (escalation), agents running the project tests (run_command, allowed by commands.allow in the config) and a task raced by three vendors (best of several: one fails its check, the cheaper of the two that pass is applied).',
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
