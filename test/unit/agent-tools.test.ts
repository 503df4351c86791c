// The agent tools on a real codebase: an existing project (a ~2,000-line file among a few hundred
// lines more, an AGENTS.md) where agents search, read ranges and edit single lines, through the engine
// with scripted providers and through the real SDKs against the wire-exact fakes. Every failing tool
// call must leave the files untouched and the session going.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChatMessage, ChatRequest } from '../../src/core/ports';
import { reviewSession } from '../../src/core/store/review';
import { sha256 } from '../../src/core/store/blobs';
import { NodeFileStore } from '../../src/node/file-store';
import { reportFromEvents, renderMarkdown } from '../../src/core/fold/report';
import { applyEdits } from '../../src/core/session/handlers/edit-file';
import { SEARCH_LIMITS, searchFiles, type SearchSource } from '../../src/core/session/handlers/search-files';
import { startFakeServer } from '../../src/fakes/index';
import type { FakeReply, FakeServer } from '../../src/fakes/script';
import { conv, planStep, turn, type Step } from '../helpers/scripted';
import { ofType, run, tempWorkspace, testConfig, type Run } from '../helpers/session';
import { runWithFakes } from '../helpers/fake-session';

const BIG_LINES = 2000;
const PRICE_LINE = 1234;
const PRICE = "export function formatPrice(cents) { return '$' + (cents / 100).toFixed(2); }";
const RULES_MARK = 'RULES-MARKER-91c2';
const OWN_RULES_MARK = 'OWN-RULES-MARKER-55';

function bigFile(): string {
  const lines: string[] = [];
  for (let i = 1; i <= BIG_LINES; i++) lines.push(i === PRICE_LINE ? PRICE : `export function helper${i}(x) { return x * ${i} + ${i % 7}; }`);
  return lines.join('\n') + '\n';
}

function cartFile(): string {
  const lines = ["import { formatPrice } from './big.js';", ''];
  for (let i = 1; i <= 150; i++) lines.push(i === 78 ? 'export const total = (items) => formatPrice(items.reduce((a, i) => a + i.cents, 0));' : `export const item${i} = { id: ${i}, cents: ${i * 100} };`);
  return lines.join('\n') + '\n';
}

/** An existing project: source, docs, rules, and things a search must never show. */
function seedProject(ws: string): Record<string, Buffer | string> {
  const files: Record<string, Buffer | string> = {
    'AGENTS.md': `# Conventions\n\n- ${RULES_MARK}: two-space indentation.\n- Never add dependencies.\n`,
    '.ensemble/rules.md': `- ${OWN_RULES_MARK}: keep CHANGELOG.md current.\n`,
    'package.json': '{ "name": "shop", "type": "module", "scripts": { "test": "node --test" } }\n',
    'src/big.js': bigFile(),
    'src/cart.js': cartFile(),
    'README.md': Array.from({ length: 60 }, (_, i) => `Line ${i + 1} of the shop's readme.`).join('\n') + '\n',
    'src/min.js': `${'a'.repeat(3000)}NEEDLE${'b'.repeat(2000)}\n`,
    '.gitignore': 'dist/\n*.log\n',
    // Never searched: ignored by .gitignore, inside a .git or .ensemble folder. Binary: only named. Latin-1: text, as git and ripgrep see it.
    'dist/bundle.js': 'formatPrice(1)\n',
    'debug.log': 'formatPrice failed\n',
    'assets/logo.bin': Buffer.concat([Buffer.from('PNG\0\0\x01'), Buffer.from('formatPrice')]),
    'docs/latin1.txt': Buffer.from([...Buffer.from('formatPrice caf'), 0xe9, 0x0a]),
    'vendor/lib/.git/config': 'formatPrice\n',
    '.ensemble/notes.md': 'formatPrice\n',
  };
  for (const [p, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(ws, p)), { recursive: true });
    fs.writeFileSync(path.join(ws, p), data);
  }
  return files;
}

type Call = { name: string; arguments: Record<string, unknown> };

/** The tool results the model got for its previous turn. */
function lastResults(req: ChatRequest): Extract<ChatMessage, { role: 'tool' }>[] {
  const i = req.messages.map((m) => m.role).lastIndexOf('assistant');
  return req.messages.slice(i + 1).filter((m): m is Extract<ChatMessage, { role: 'tool' }> => m.role === 'tool');
}

/**
 * A session with one task (role a, on p1) whose agent makes `calls`, one per turn (a function may act
 * as the user first), then finishes. Returns what the model read back for each call.
 */
async function agentSession(ws: string, calls: (Call | (() => Call))[], plan: Step = planStep([{ id: 't', role: 'a' }])): Promise<{ r: Run; results: { content: string; isError?: boolean }[] }> {
  const r = run('work on the shop', {
    orch: (req) => (conv(req) === 'plan' ? plan : { toolCalls: [{ name: 'skip_task', arguments: { taskId: 't', reason: 'unexpected escalation' } }] }),
    p1: (req) => {
      const c = calls[turn(req) - 1];
      return { toolCalls: [c ? (typeof c === 'function' ? c() : c) : { name: 'finish', arguments: { summary: 'done' } }] };
    },
  }, { workspace: ws });
  const state = await r.handle.done;
  assert.equal(state.status, 'completed', state.error);
  assert.equal(state.tasks.t?.status, 'completed', 'the session went on to finish the task');
  const results = r.providers.p1!.requests.slice(1).map((q) => lastResults(q)[0]!);
  return { r, results: results.map((m) => ({ content: m.content, isError: m.isError })) };
}

const search = (args: Record<string, unknown>): Call => ({ name: 'search_files', arguments: args });
const read = (args: Record<string, unknown>): Call => ({ name: 'read_file', arguments: args });
const edit = (p: string, ...edits: [string, string][]): Call => ({ name: 'edit_file', arguments: { path: p, edits: edits.map(([oldText, newText]) => ({ oldText, newText })) } });
const text = (ws: string, p: string) => fs.readFileSync(path.join(ws, p), 'utf8');

describe('agent tools on an existing project', function () {
  this.timeout(60_000);

  it('search_files: finds a name with path:line (also in a text file that is not UTF-8), names the binary files that hold it, skips ignored, .git and .ensemble files, pages with "… and N more"', async () => {
    const ws = tempWorkspace();
    seedProject(ws);
    const { r, results } = await agentSession(ws, [
      search({ pattern: 'formatPrice' }),
      search({ pattern: 'helper', maxResults: 5 }),
      search({ pattern: 'export function helper' }),
      search({ pattern: '(', regex: true }),
      search({ pattern: 'helper19\\d\\(', regex: true }),
      search({ pattern: 'FORMATPRICE' }),
      search({ pattern: 'FORMATPRICE', caseSensitive: false, glob: 'cart.js' }),
      search({ pattern: 'formatPrice', path: 'src/cart.js' }),
      search({ pattern: 'NEEDLE' }),
      search({ pattern: 'x', path: '.git' }),
    ]);
    const lines = (i: number) => results[i]!.content.split('\n');
    assert.deepEqual(lines(0), [
      'docs/latin1.txt:1: formatPrice caf\uFFFD',
      `src/big.js:${PRICE_LINE}: ${PRICE}`,
      "src/cart.js:1: import { formatPrice } from './big.js';",
      'src/cart.js:80: export const total = (items) => formatPrice(items.reduce((a, i) => a + i.cents, 0));',
      '(binary files that contain it, lines not shown: assets/logo.bin)',
    ]);
    assert.deepEqual(lines(1).slice(0, 5), ['src/big.js:1: export function helper1(x) { return x * 1 + 1; }', 'src/big.js:2: export function helper2(x) { return x * 2 + 2; }', 'src/big.js:3: export function helper3(x) { return x * 3 + 3; }', 'src/big.js:4: export function helper4(x) { return x * 4 + 4; }', 'src/big.js:5: export function helper5(x) { return x * 5 + 5; }']);
    assert.match(lines(1)[5]!, new RegExp(`^… and ${(BIG_LINES - 1 - 5).toLocaleString('en')} more: ${(BIG_LINES - 1).toLocaleString('en')} matching lines in 1 file \\(these are 1–5\\); call again with offset 5 for the next 5`));
    assert.equal(lines(1).length, 6);
    assert.equal(lines(2).length, SEARCH_LIMITS.results + 1, 'the default cap');
    assert.match(lines(2).at(-1)!, new RegExp(`^… and ${(BIG_LINES - 1 - SEARCH_LIMITS.results).toLocaleString('en')} more`));
    assert.equal(results[3]!.isError, true);
    assert.match(results[3]!.content, /^Invalid regular expression "\(": .*regex: false/);
    assert.deepEqual(lines(4), Array.from({ length: 10 }, (_, k) => `src/big.js:${190 + k}: export function helper${190 + k}(x) { return x * ${190 + k} + ${(190 + k) % 7}; }`));
    assert.match(results[5]!.content, /^No matches for "FORMATPRICE" in \d+ files\.$/, 'case-sensitive unless asked');
    assert.deepEqual(lines(6).map((l) => l.split(': ')[0]), ['src/cart.js:1', 'src/cart.js:80']);
    assert.deepEqual(lines(7).map((l) => l.split(': ')[0]), ['src/cart.js:1', 'src/cart.js:80']);
    const needle = lines(8);
    assert.equal(needle.length, 1);
    assert.match(needle[0]!, /^src\/min\.js:1: …a+NEEDLEb+…$/);
    assert.ok(needle[0]!.length < 240, `a long line is cut around the match (${needle[0]!.length})`);
    assert.equal(results[9]!.isError, true);
    assert.match(results[9]!.content, /Refused "\.git"/);
    // The failures are in the log; nothing was written.
    assert.deepEqual(ofType(r.events(), 'tool.failed').map((e) => e.tool), ['search_files', 'search_files']);
    assert.equal(ofType(r.events(), 'file.written').length, 0);
  });

  it('read_file: a range comes back numbered with the line count; bad ranges are clear errors; a cut file says how to read on', async () => {
    const ws = tempWorkspace();
    seedProject(ws);
    fs.writeFileSync(path.join(ws, 'huge.txt'), Array.from({ length: 3000 }, (_, i) => `row ${String(i + 1).padStart(5, '0')} ${'x'.repeat(40)}`).join('\n') + '\n');
    const { results } = await agentSession(ws, [
      read({ path: 'src/big.js', startLine: PRICE_LINE - 1, endLine: PRICE_LINE + 1 }),
      read({ path: 'src/big.js', startLine: 5, endLine: 2 }),
      read({ path: 'src/big.js', startLine: BIG_LINES + 1 }),
      read({ path: 'src/big.js', startLine: BIG_LINES - 1, endLine: BIG_LINES + 500 }),
      read({ path: 'src/big.js', startLine: 0 }),
      read({ path: 'huge.txt' }),
      read({ path: 'README.md' }),
    ]);
    assert.equal(results[0]!.content, [`1233| export function helper1233(x) { return x * 1233 + 1; }`, `1234| ${PRICE}`, `1235| export function helper1235(x) { return x * 1235 + 3; }`, `(lines 1233–1235 of ${BIG_LINES})`].join('\n'));
    assert.deepEqual(results.slice(1, 3).map((x) => x.isError), [true, true]);
    assert.equal(results[1]!.content, 'startLine (5) is after endLine (2): give startLine ≤ endLine (lines are numbered from 1).');
    assert.equal(results[2]!.content, `startLine ${BIG_LINES + 1} is past the end: src/big.js has ${BIG_LINES} lines.`);
    assert.match(results[3]!.content, new RegExp(`^1999\\| .*\\n2000\\| .*\\n\\(lines 1999–2000 of 2000; the file ends at line 2000\\)$`));
    assert.equal(results[4]!.isError, true);
    assert.match(results[4]!.content, /Invalid arguments for read_file: startLine/);
    const cut = results[5]!.content;
    assert.equal(cut.startsWith('row 00001 '), true);
    assert.match(cut, /\n… \(truncated at 100000 characters, in line (\d+) of 3000: read the rest with startLine \1 and an endLine\)$/);
    assert.equal(results[6]!.content, text(ws, 'README.md'), 'without a range: the whole file, as before');
  });

  it('edit_file: changes one line of a 2,000-line file, the rest byte-identical, recorded and revertible byte-exact', async () => {
    const ws = tempWorkspace();
    seedProject(ws);
    const before = fs.readFileSync(path.join(ws, 'src/big.js'));
    const { r, results } = await agentSession(ws, [edit('src/big.js', ['(cents / 100).toFixed(2); }', "(cents / 100).toFixed(2) + ' EUR'; }"])]);
    assert.equal(results[0]!.isError, undefined);
    assert.match(results[0]!.content, new RegExp(`^Edited src/big\\.js: 1 edit, at line ${PRICE_LINE} \\(\\d+ bytes now\\)\\.$`));
    const after = text(ws, 'src/big.js');
    const expected = before.toString('utf8').replace(PRICE, () => PRICE.replace('toFixed(2);', "toFixed(2) + ' EUR';"));
    assert.notEqual(expected, before.toString('utf8'));
    assert.equal(after, expected, 'only that line changed');
    const [w] = ofType(r.events(), 'file.written');
    assert.deepEqual([w?.path, w?.change, w?.beforeSha, w?.afterSha, w?.role, w?.provider], ['src/big.js', 'modified', sha256(before), sha256(after), 'a', 'p1']);
    assert.deepEqual(ofType(r.events(), 'tool.called').find((e) => e.tool === 'edit_file')?.summary, 'src/big.js (1 edit)');
    const review = reviewSession(ws, r.handle.sessionId, new NodeFileStore(ws));
    assert.deepEqual(review.files().map((f) => [f.path, f.change]), [['src/big.js', 'modified']]);
    const reverted = await review.revert('src/big.js');
    assert.equal(reverted.ok, true);
    assert.ok(fs.readFileSync(path.join(ws, 'src/big.js')).equals(before), 'reverted byte for byte');
  });

  it('edit_file errors (0 matches, 2 matches, overlapping, one bad edit among good ones, a user edit since the read) change nothing, and the session goes on', async () => {
    const ws = tempWorkspace();
    seedProject(ws);
    fs.writeFileSync(path.join(ws, 'dup.txt'), 'alpha\nbeta\ngamma\nalpha\n');
    fs.writeFileSync(path.join(ws, 'mine.txt'), 'first\nsecond\n');
    const snapshot = () => Object.fromEntries(['src/big.js', 'dup.txt', 'src/cart.js'].map((p) => [p, text(ws, p)]));
    const original = snapshot();
    const userVersion = 'first (the user changed this)\nsecond\n';
    const { r, results } = await agentSession(ws, [
      edit('src/big.js', ["return '$' + (cents / 100).toFixed(3);", 'x']),
      edit('dup.txt', ['alpha', 'ALPHA']),
      edit('dup.txt', ['alpha\nbeta', 'x'], ['beta\ngamma', 'y']),
      edit('dup.txt', ['beta', 'BETA'], ['delta', 'DELTA']),
      edit('nowhere.txt', ['a', 'b']),
      read({ path: 'mine.txt' }),
      () => {
        fs.writeFileSync(path.join(ws, 'mine.txt'), userVersion); // the user edits the file the agent just read
        return edit('mine.txt', ['second', 'SECOND']);
      },
    ]);
    const [zero, two, overlap, partial, missing, , conflict] = results;
    assert.equal(zero!.isError, true);
    assert.match(zero!.content, /^edit_file changed nothing in src\/big\.js:\nedits\[0\]\.oldText occurs 0 times in the file\. The most similar lines:\n/);
    assert.ok(zero!.content.includes(`\n1234| ${PRICE}\n`), `the nearest line, numbered: ${zero!.content}`);
    assert.match(two!.content, /edits\[0\]\.oldText occurs 2 times in the file \(at lines 1, 4\): include surrounding lines/);
    assert.match(overlap!.content, /edits\[0\] and edits\[1\] overlap \(both change line 2\)/);
    assert.match(partial!.content, /^edit_file changed nothing in dup\.txt:\nedits\[1\]\.oldText occurs 0 times/);
    assert.doesNotMatch(partial!.content, /edits\[0\]/, 'only the bad edit is named');
    assert.match(missing!.content, /nowhere\.txt does not exist\. Create it with write_file/);
    assert.equal(conflict!.isError, true);
    assert.match(conflict!.content, /^Refused to write mine\.txt: it changed on disk since this session last saw it/);
    assert.deepEqual(snapshot(), original, 'nothing changed');
    assert.equal(text(ws, 'mine.txt'), userVersion, 'the user\'s version stays');
    const ev = r.events();
    assert.equal(ofType(ev, 'file.written').length, 0);
    assert.deepEqual(ofType(ev, 'file.refused').map((e) => [e.path, e.reason]), [['mine.txt', 'conflict']]);
    assert.deepEqual(ofType(ev, 'tool.failed').map((e) => e.tool), ['edit_file', 'edit_file', 'edit_file', 'edit_file', 'edit_file'], 'each rejected edit is a tool failure (the conflict is a refusal)');
  });

  it('search_files skips .git and .ensemble at any depth even when a store lists them (it works over any FileStore)', async () => {
    const files: Record<string, string> = { 'a.js': 'needle\n', '.git/config': 'needle\n', 'vendor/lib/.GIT/HEAD': 'needle\n', 'pkg/.ensemble/x.md': 'needle\n', 'b/.git./y': 'needle\n' };
    const store: SearchSource = {
      list: async () => Object.entries(files).map(([p, t]) => ({ path: p, type: 'file' as const, size: t.length })),
      read: async (p) => (files[p] === undefined ? undefined : Buffer.from(files[p]!)),
      stat: async () => ({ type: 'dir', size: 0, mtimeMs: 0 }),
    };
    const r = await searchFiles(store, { pattern: 'needle' });
    assert.equal(r.result, 'a.js:1: needle');
  });

  it('edit_file keeps a CRLF file CRLF and a missing final newline missing; applies several edits in one call', () => {
    const crlf = 'one\r\ntwo\r\nthree\r\nfour';
    const r = applyEdits(crlf, [{ oldText: 'one\ntwo', newText: 'one\ntwo and a half' }, { oldText: 'four', newText: 'FOUR' }]);
    assert.deepEqual(r, { ok: true, content: 'one\r\ntwo and a half\r\nthree\r\nFOUR', lines: [1, 4] });
    const lf = 'a\nb\nc';
    assert.deepEqual(applyEdits(lf, [{ oldText: 'b', newText: 'B\nB2' }]), { ok: true, content: 'a\nB\nB2\nc', lines: [2] });
    // Adjacent edits touch but do not overlap.
    assert.deepEqual(applyEdits('abcdef', [{ oldText: 'cd', newText: 'X' }, { oldText: 'ab', newText: 'Y' }]), { ok: true, content: 'YXef', lines: [1, 1] });
    const none = applyEdits(lf, [{ oldText: 'b', newText: 'b' }]);
    assert.equal(none.ok, false);
  });

  it('project rules reach the planning and every agent\'s system prompt; recorded, reported; a task\'s check reaches its agent', async () => {
    const ws = tempWorkspace();
    seedProject(ws);
    const plan: Step = { toolCalls: [{ name: 'submit_plan', arguments: { rationale: 'one task', tasks: [{ id: 't', title: 'Price in euros', description: 'Change formatPrice', role: 'a', dependsOn: [], check: 'npm test' }] } }] };
    const { r } = await agentSession(ws, [search({ pattern: 'formatPrice' })], plan);
    const systems = [...r.providers.orch!.requests, ...r.providers.p1!.requests].map((q) => q.system);
    assert.ok(systems.length >= 3);
    for (const s of systems) {
      assert.ok(s.includes(RULES_MARK) && s.includes(OWN_RULES_MARK), s);
      assert.ok(s.indexOf('--- AGENTS.md ---') < s.indexOf('--- .ensemble/rules.md ---'));
    }
    assert.match(r.providers.p1!.requests[0]!.messages[0]!.role === 'user' ? (r.providers.p1!.requests[0]!.messages[0] as { content: string }).content : '', /\n\nHow this task is checked: npm test\n\n/);
    const ev = r.events();
    const agentsBytes = fs.statSync(path.join(ws, 'AGENTS.md')).size;
    const expected = [{ path: 'AGENTS.md', bytes: agentsBytes, truncated: false }, { path: '.ensemble/rules.md', bytes: fs.statSync(path.join(ws, '.ensemble/rules.md')).size, truncated: false }];
    assert.deepEqual(ofType(ev, 'rules.loaded').map((e) => e.files), [expected]);
    assert.equal(ofType(ev, 'plan.accepted')[0]!.tasks[0]!.check, 'npm test');
    const report = reportFromEvents(ev);
    assert.deepEqual(report.rules, expected);
    assert.ok(renderMarkdown(report).includes(`**Project rules:** AGENTS.md (${agentsBytes} B), .ensemble/rules.md (`));
    const json = JSON.parse(fs.readFileSync(path.join(r.handle.dir, 'report.json'), 'utf8'));
    assert.deepEqual(json.rules, expected);
  });

  it('project rules reach the escalated orchestrator; more than 8 KB is cut with a note', async () => {
    const ws = tempWorkspace();
    const long = `# Rules\nRULE-HEAD\n${Array.from({ length: 400 }, (_, i) => `- rule number ${i} of this long file`).join('\n')}\nRULE-TAIL\n`;
    assert.ok(Buffer.byteLength(long) > 10_000);
    fs.writeFileSync(path.join(ws, 'AGENTS.md'), long);
    fs.mkdirSync(path.join(ws, '.ensemble'));
    fs.writeFileSync(path.join(ws, '.ensemble', 'rules.md'), 'OWN-RULES-AFTER-THE-CAP\n');
    const r = run('x', {
      orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 't', role: 'a' }]) : { toolCalls: [{ name: 'skip_task', arguments: { taskId: 't', reason: 'cannot be done' } }] }),
      p1: () => ({ text: 'I would rather talk.' }),
    }, { workspace: ws });
    await r.handle.done;
    const escalation = r.providers.orch!.requests.find((q) => conv(q) === 'escalate/t');
    assert.ok(escalation, 'the task was escalated');
    for (const q of [...r.providers.orch!.requests, ...r.providers.p1!.requests]) {
      assert.ok(q.system.includes('RULE-HEAD'));
      assert.ok(!q.system.includes('RULE-TAIL'));
      assert.ok(q.system.includes('\n… (AGENTS.md cut at 8 KB)'));
      assert.ok(!q.system.includes('OWN-RULES-AFTER-THE-CAP'), 'the cap is for all rules together');
    }
    const rulesText = escalation.system.slice(escalation.system.indexOf('--- AGENTS.md ---'));
    assert.ok(Buffer.byteLength(rulesText) < 8 * 1024 + 200, `${Buffer.byteLength(rulesText)} bytes`);
    assert.deepEqual(ofType(r.events(), 'rules.loaded')[0]!.files, [
      { path: 'AGENTS.md', bytes: Buffer.byteLength(long), truncated: true },
      { path: '.ensemble/rules.md', bytes: 24, truncated: true },
    ]);
  });
});

describe('agent tools through the real SDKs against the fakes', function () {
  this.timeout(60_000);
  const servers: FakeServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });

  it('on an existing project: an agent searches, edits one line of the 2,000-line file with a small request; the rules reach every system prompt', async () => {
    const [orch, p1, p2] = [await startFakeServer('gemini', () => ({ kind: 'reply', text: 'unused' })), await startFakeServer('openai', () => ({ kind: 'reply', text: 'unused' })), await startFakeServer('anthropic', () => ({ kind: 'reply', text: 'unused' }))];
    servers.push(orch, p1, p2);
    const n = (trace?: string) => Number((trace ?? '#0').split('#')[1]);
    orch.setHandler((q): FakeReply => ({
      kind: 'reply',
      toolCalls: [{ name: 'submit_plan', arguments: { rationale: 'two tasks', tasks: [{ id: 'euro', title: 'Prices in euros', description: 'Make formatPrice print euros', role: 'a', dependsOn: [], check: 'npm test' }, { id: 'docs', title: 'Readme', description: 'Check the readme', role: 'b', dependsOn: [] }] } }],
      ...(q.trace === 'plan#1' ? {} : { text: 'unexpected' }),
    }));
    p1.setHandler((q): FakeReply => {
      const step = n(q.trace);
      if (step === 1) return { kind: 'reply', text: 'Where is it?', toolCalls: [{ name: 'search_files', arguments: { pattern: 'function formatPrice', glob: '*.js' } }] };
      if (step === 2) return { kind: 'reply', toolCalls: [{ name: 'edit_file', arguments: { path: 'src/big.js', edits: [{ oldText: "return '$' + (cents / 100)", newText: "return '€' + (cents / 100)" }] } }] };
      return { kind: 'reply', toolCalls: [{ name: 'finish', arguments: { summary: 'formatPrice prints euros' } }] };
    });
    p2.setHandler((q): FakeReply => (n(q.trace) === 1 ? { kind: 'reply', toolCalls: [{ name: 'read_file', arguments: { path: 'README.md', startLine: 1, endLine: 3 } }] } : { kind: 'reply', toolCalls: [{ name: 'finish', arguments: { summary: 'readme is fine' } }] }));
    const ws = tempWorkspace();
    const seeded = seedProject(ws);
    const before = String(seeded['src/big.js']);
    const r = runWithFakes('euros', {}, { orch: { kind: 'gemini', fake: orch }, p1: { kind: 'openai', fake: p1 }, p2: { kind: 'anthropic', fake: p2 } }, testConfig(), { workspace: ws });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    // The search answer went back to the model through the SDK.
    const second = p1.requests.find((q) => q.trace === 'task/euro#2');
    assert.ok(JSON.stringify(second?.body).includes(`src/big.js:${PRICE_LINE}: ${PRICE}`), 'the search result reached the model');
    // One line changed; every other byte of the 2,000-line file is as it was.
    const after = text(ws, 'src/big.js');
    const [b, a] = [before.split('\n'), after.split('\n')];
    assert.equal(a.length, b.length);
    assert.deepEqual(a.map((l, i) => i).filter((i) => a[i] !== b[i]), [PRICE_LINE - 1]);
    assert.equal(a[PRICE_LINE - 1], PRICE.replace("'$'", "'€'"));
    // The edit cost the model a few dozen output tokens, where rewriting the file would cost ~25,000.
    const editCall = ofType(r.events(), 'llm.response').find((e) => e.toolCalls.includes('edit_file'));
    assert.ok(editCall, 'the edit went through the SDK');
    assert.ok(editCall.usage.output < 100, `output tokens: ${editCall.usage.output}`);
    assert.ok(editCall.usage.output * 100 < before.length / 4);
    // The rules were in every system prompt each SDK sent: Gemini's systemInstruction, OpenAI's system message, Anthropic's system.
    const systemOf = (s: FakeServer, body: unknown): string => {
      const x = body as { systemInstruction?: unknown; messages?: { role: string; content: unknown }[]; system?: unknown };
      if (s === orch) return JSON.stringify(x.systemInstruction);
      if (s === p1) return JSON.stringify(x.messages?.filter((m) => m.role === 'system' || m.role === 'developer'));
      return JSON.stringify(x.system);
    };
    for (const s of [orch, p1, p2]) {
      assert.ok(s.requests.length > 0);
      for (const q of s.requests) assert.ok(systemOf(s, q.body).includes(RULES_MARK) && systemOf(s, q.body).includes(OWN_RULES_MARK), `${s.provider} ${q.trace}`);
    }
    // The task's check reached the agent; the range came back numbered.
    assert.ok(JSON.stringify(p1.requests[0]!.body).includes('How this task is checked: npm test'));
    assert.ok(JSON.stringify(p2.requests.find((q) => q.trace === 'task/docs#2')?.body).includes("   1| Line 1 of the shop's readme.\\n   2| Line 2"));
  });
});
