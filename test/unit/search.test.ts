// search_files and list_files on a tree made to catch them out (test/helpers/search-tree.ts): nested
// .gitignore files, hidden files, node_modules and .ensemble at several depths, binary files, other
// encodings. git's own view of the same tree is the ground truth: the listing is `git ls-files -co
// --exclude-standard`, the totals are `git grep -I -c`. Both searches — ripgrep (src/node/ripgrep.ts)
// and the engine's reading one (src/core/session/text-search.ts) — must give exactly those answers,
// page by page, and the same text to the model.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { NodeFileStore } from '../../src/node/file-store';
import { bundledRipgrep, RipgrepSearch } from '../../src/node/ripgrep';
import { SEARCH_LIMITS, searchFiles } from '../../src/core/session/handlers/search-files';
import { LIST_LIMITS, listFilesIn } from '../../src/core/session/handlers/list-files';
import { readingSearch } from '../../src/core/session/text-search';
import type { TextQuery, TextSearch } from '../../src/core/ports';
import type { ToolArgs } from '../../src/core/session/tools';
import { gitGrep, gitListing, makeSearchTree, NEEDLE } from '../helpers/search-tree';
import { tempWorkspace } from '../helpers/tmp';
import { ofType, run } from '../helpers/session';
import { conv, planStep, turn } from '../helpers/scripted';

const HAS_RG = spawnSync('rg', ['--version']).status === 0;
const HUGE = 'data/huge.txt';

/** Every matching line git finds in text files, `path:line`, in the listing's order. */
function gitLines(dir: string, pattern: string, order: string[]): string[] {
  const out = execFileSync('git', ['-c', 'core.quotepath=off', 'grep', '-z', '-n', '--untracked', '-I', '-F', '-e', pattern], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
  const rank = new Map(order.map((p, i) => [p, i]));
  return out
    .split('\n')
    .filter(Boolean)
    .map((rec) => rec.split('\0') as [string, string])
    .filter(([p]) => rank.has(p) && p !== HUGE)
    .sort((a, b) => rank.get(a[0])! - rank.get(b[0])! || Number(a[1]) - Number(b[1]))
    .map(([p, n]) => `${p}:${n}`);
}

describe('search_files and list_files: every file, the true total, in pages', function () {
  this.timeout(120_000);
  let ws: string;
  let store: NodeFileStore;
  let listed: string[];
  const engines: [string, TextSearch | undefined][] = [['reading', undefined]];
  const made: string[] = [];
  const temp = (prefix: string) => {
    const dir = tempWorkspace(prefix);
    made.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  });

  before(async () => {
    ws = temp('ensemble-search-');
    makeSearchTree(ws, 500);
    // Larger than a search reads: named, never searched (git, which has no such limit, finds its lines).
    fs.mkdirSync(path.join(ws, 'data'));
    fs.writeFileSync(path.join(ws, HUGE), `${NEEDLE} in a large file\n`.repeat(Math.ceil((SEARCH_LIMITS.fileBytes + 1) / 22)));
    store = new NodeFileStore(ws);
    listed = (await store.list('.', { limit: Number.POSITIVE_INFINITY })).map((e) => e.path);
    if (HAS_RG) engines.push(['ripgrep', new RipgrepSearch(ws)]);
    else console.log('      (ripgrep is not installed here: only the reading search is tried)');
  });

  it('lists exactly what git sees: nested .gitignore files (anchored, **, negations, a whitelist), hidden files; never node_modules, .ensemble or a link', async () => {
    assert.ok(listed.length > 450, `${listed.length}`);
    assert.deepEqual(listed, gitListing(ws));
    for (const p of ['sub/root-only.txt', 'docs/keep/draft-keep.md', 'packages/a/keep.tmp', 'packages/a/src/local.txt', 'packages/b/debug.log', 'packages/c/src/a.ts', '.env.example', '.config/tool/settings.json', 'src/-dash.ts', 'src/ünïcödé.ts']) assert.ok(listed.includes(p), p);
    for (const p of ['root-only.txt', 'docs/keep/draft-other.md', 'packages/a/x.tmp', 'packages/a/local.txt', 'packages/a/coverage', 'packages/c/src/a.js', 'packages/c/readme.md', '.env', 'app.log', 'src/link.ts']) assert.ok(!listed.includes(p), p);
    assert.ok(!listed.some((p) => /(^|\/)(node_modules|\.ensemble|\.git|build|coverage|generated)\//.test(p)));
    // A folder's listing is the same files; an ignored folder lists nothing.
    assert.deepEqual((await store.list('packages', { limit: Number.POSITIVE_INFINITY })).map((e) => e.path), listed.filter((p) => p.startsWith('packages/')));
    assert.deepEqual(await store.list('packages/a/generated'), []);
    assert.deepEqual((await store.list('.', { limit: 5 })).map((e) => e.path), listed.slice(0, 5), 'a limit keeps the first files in order');
  });

  it('finds what git grep -I -c finds, file by file: literal, case-insensitive, regular expression; binary files apart', async () => {
    const files = listed.filter((p) => p !== HUGE);
    const queries: [TextQuery, { regex?: boolean; ignoreCase?: boolean }][] = [
      [{ pattern: NEEDLE, regex: false, caseSensitive: true }, {}],
      [{ pattern: NEEDLE, regex: false, caseSensitive: false }, { ignoreCase: true }],
      [{ pattern: `${NEEDLE}[0-9]+`, regex: true, caseSensitive: true }, { regex: true }],
      [{ pattern: `^${NEEDLE}`, regex: true, caseSensitive: true }, { regex: true }],
      [{ pattern: 'return value', regex: false, caseSensitive: true }, {}],
    ];
    for (const [query, opts] of queries) {
      const truth = gitGrep(ws, query.pattern, opts);
      truth.counts.delete(HUGE);
      assert.ok(truth.counts.size > 0, query.pattern);
      for (const [name, engine] of engines) {
        const r = (await (engine ?? readingSearch(store)).search(query, files, { offset: 0, limit: 1e9 }))!;
        assert.ok(r, name);
        assert.deepEqual(new Map(r.files.map((f) => [f.path, f.lines])), truth.counts, `${name}: ${query.pattern}`);
        assert.deepEqual(r.files.map((f) => f.path), files.filter((p) => truth.counts.has(p)), `${name}: in the order given`);
        assert.deepEqual(r.binary, truth.binary, `${name}: ${query.pattern} binary`);
        assert.equal(r.matches.length, [...truth.counts.values()].reduce((a, b) => a + b, 0), `${name}: every line`);
        assert.deepEqual(r.unreadable, []);
      }
    }
    // Unlike git, a CRLF line's "\r" is not part of it: `$` matches before it.
    for (const [name, engine] of engines) {
      const r = (await (engine ?? readingSearch(store)).search({ pattern: `${NEEDLE}$`, regex: true, caseSensitive: true }, ['src/crlf.ts', 'src/no-final-newline.ts'], { offset: 0, limit: 10 }))!;
      assert.deepEqual(r.matches, [{ path: 'src/crlf.ts', line: 1, text: `one ${NEEDLE}` }, { path: 'src/crlf.ts', line: 3, text: `three ${NEEDLE}` }, { path: 'src/no-final-newline.ts', line: 2, text: `last ${NEEDLE}` }], name);
    }
  });

  it('pages: every match exactly once, in order, with the true total and the next offset', async () => {
    const expected = gitLines(ws, NEEDLE, listed);
    const total = expected.length;
    assert.ok(total > 300, `${total}`);
    for (const [name, engine] of engines) {
      const seen: string[] = [];
      const pageSize = 137;
      let splitFiles = 0; // pages that start inside a file, after its first matches
      for (let offset = 0; ; offset += pageSize) {
        const r = await searchFiles(store, { pattern: NEEDLE, maxResults: pageSize, offset }, { search: engine });
        const lines = r.result.split('\n');
        const shown = lines.filter((l) => /^[^(…].*:\d+: /.test(l));
        const here = shown.map((l) => /^(.*?:\d+): /.exec(l)![1]!);
        if (seen.length && here.length && seen.at(-1)!.replace(/:\d+$/, '') === here[0]!.replace(/:\d+$/, '')) splitFiles++;
        seen.push(...here);
        assert.match(r.summary!, new RegExp(`^${total.toLocaleString('en')} matches in `), name);
        if (offset + pageSize < total) {
          assert.equal(shown.length, pageSize);
          assert.ok(lines.includes(`… and ${(total - offset - pageSize).toLocaleString('en')} more: ${total.toLocaleString('en')} matching lines in ${new Set(expected.map((e) => e.replace(/:\d+$/, ''))).size} files (these are ${offset + 1}–${offset + pageSize}); call again with offset ${offset + pageSize} for the next ${Math.min(pageSize, total - offset - pageSize)}, or narrow the search with path or glob`), `${name}: ${lines.find((l) => l.startsWith('…'))}`);
        } else {
          assert.equal(shown.length, total - offset);
          assert.match(r.result, new RegExp(`\\(the last of ${total.toLocaleString('en')} matching lines in \\d+ files: these are ${offset + 1}–${total}\\)`));
          break;
        }
      }
      assert.deepEqual(seen, expected, name);
      assert.ok(splitFiles > 0, 'some page starts in the middle of a file\'s matches');
      const past = await searchFiles(store, { pattern: NEEDLE, offset: total }, { search: engine });
      assert.match(past.result, new RegExp(`^No matches at offset ${total}: there are ${total.toLocaleString('en')} matching lines in \\d+ files; give an offset below ${total}\\.`));
    }
  });

  it('names the binary files that hold the pattern and the files too large to search: nothing is left out silently', async () => {
    for (const [name, engine] of engines) {
      const r = await searchFiles(store, { pattern: NEEDLE }, { search: engine });
      assert.ok(r.result.includes('\n(binary files that contain it, lines not shown: assets/img1.png, assets/img3.png, assets/img5.png)'), name);
      assert.ok(r.result.includes(`\n(not searched, larger than ${SEARCH_LIMITS.fileBytes.toLocaleString('en')} bytes: ${HUGE}; read_file reads a range of lines)`), name);
      const late = await searchFiles(store, { pattern: NEEDLE, path: 'fixtures' }, { search: engine });
      assert.equal(late.result, `fixtures/late-nul.txt:1: ${NEEDLE}\nfixtures/late-nul.txt:4: ${NEEDLE} after the NUL`, `${name}: a NUL after the first 8,000 bytes is text, as git says`);
      const latin = await searchFiles(store, { pattern: 'caf', path: 'docs' }, { search: engine });
      assert.equal(latin.result, `docs/latin1.txt:1: ${NEEDLE} caf\uFFFD`, `${name}: not UTF-8, still text`);
    }
  });

  it('ripgrep and the reading search give the model the same answers (paths, globs, regular expressions, case, long lines, offsets)', async function () {
    if (!HAS_RG) this.skip();
    const rg = engines[1]![1];
    const cases: ToolArgs<'search_files'>[] = [
      { pattern: NEEDLE },
      { pattern: 'NEEDLE', caseSensitive: false, glob: '*.ts' },
      { pattern: `${NEEDLE}\\d+`, regex: true, path: 'src' },
      { pattern: NEEDLE, path: 'packages/a' },
      { pattern: NEEDLE, glob: 'docs/**, *.json', maxResults: 7, offset: 11 },
      { pattern: `${NEEDLE}$`, regex: true, path: 'src/crlf.ts' },
      { pattern: NEEDLE, path: 'src/bom.ts' },
      { pattern: `^\ufeff${NEEDLE}`, regex: true },
      { pattern: `var ${NEEDLE}` },
      { pattern: 'caf' },
      { pattern: 'no such text anywhere' },
      { pattern: `(?<=then )${NEEDLE}`, regex: true },
      { pattern: `Needle|NEEDLE`, regex: true, offset: 3, maxResults: 5 },
    ];
    for (const a of cases) {
      const [fast, slow] = [await searchFiles(store, a, { search: rg }), await searchFiles(store, a)];
      assert.equal(fast.result, slow.result, JSON.stringify(a));
      assert.equal(fast.summary, slow.summary, JSON.stringify(a));
    }
    const long = (await searchFiles(store, { pattern: `var ${NEEDLE}`, path: 'src' }, { search: rg })).result;
    assert.match(long, /^src\/long\.min\.js:1: …x+;var needle=1;y+…$/, 'a long line is cut around the match');
  });

  it('falls back to reading the files when ripgrep is missing, or refuses a pattern JavaScript takes', async () => {
    const missing = new RipgrepSearch(ws, { rgPath: path.join(ws, 'no-such-rg') });
    assert.equal(await missing.search({ pattern: NEEDLE, regex: false, caseSensitive: true }, listed, { offset: 0, limit: 10 }), undefined);
    const a = { pattern: NEEDLE, maxResults: 20, offset: 5 };
    assert.deepEqual(await searchFiles(store, a, { search: missing }), await searchFiles(store, a));
    if (!HAS_RG) return;
    const rg = engines[1]![1]!;
    // `[^]` (any character) is JavaScript's; neither of ripgrep's engines takes it.
    const q = { pattern: `${NEEDLE}[^]caf`, regex: true, caseSensitive: true };
    assert.equal(await rg.search(q, listed, { offset: 0, limit: 10 }), undefined);
    const r = await searchFiles(store, { pattern: q.pattern, regex: true, path: 'docs' }, { search: rg });
    assert.equal(r.result, 'docs/latin1.txt:1: needle caf\uFFFD');
    // Nor can a NUL be given to a process: the engine searches for it.
    const nul = await searchFiles(store, { pattern: '\0', path: 'assets' }, { search: rg });
    assert.equal(nul.result, `No matches for "\\u0000" in 6 files under "assets" (other than in the binary files below).\n(binary files that contain it, lines not shown: ${[0, 1, 2, 3, 4, 5].map((i) => `assets/img${i}.png`).join(', ')})`);
  });

  it('ripgrep runs with the allow-listed environment (no key), a time limit and the session\'s signal', async function () {
    if (!HAS_RG || process.platform === 'win32') this.skip();
    const bin = temp('ensemble-fake-rg-');
    const envDump = path.join(bin, 'env.txt');
    const pidFile = path.join(bin, 'pid');
    const script = (body: string) => {
      const file = path.join(bin, `rg-${fs.readdirSync(bin).length}`);
      fs.writeFileSync(file, `#!/bin/sh\nif [ "$1" = --version ]; then echo "ripgrep 13.0.0"; exit 0; fi\n${body}\n`, { mode: 0o755 });
      return file;
    };
    const canaries = { OPENAI_API_KEY: 'sk-canary-search-0123456789', ENSEMBLE_TEST_TOKEN: 'canary-token-77' };
    Object.assign(process.env, canaries);
    try {
      const spy = new RipgrepSearch(ws, { rgPath: script(`env > '${envDump}'\nexec rg "$@"`) });
      const r = await searchFiles(store, { pattern: NEEDLE, maxResults: 3 }, { search: spy });
      assert.deepEqual(r, await searchFiles(store, { pattern: NEEDLE, maxResults: 3 }));
      const env = fs.readFileSync(envDump, 'utf8');
      assert.match(env, /^PATH=/m);
      for (const v of Object.values(canaries)) assert.ok(!env.includes(v), `${v} reached ripgrep`);
    } finally {
      for (const k of Object.keys(canaries)) delete process.env[k];
    }
    const q = { pattern: NEEDLE, regex: false, caseSensitive: true };
    // Several batches run at once, each its own fake ripgrep: each appends its pid (one atomic write),
    // since one killed between `>`'s truncation and its write would leave the file empty.
    const slow = script(`echo $$ >> '${pidFile}'\nexec sleep 30`);
    const pids = () => (fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').split('\n').filter((l) => /^\d+$/.test(l)).map(Number) : []);
    const started = Date.now();
    await assert.rejects(new RipgrepSearch(ws, { rgPath: slow, timeoutMs: 300 }).search(q, listed, { offset: 0, limit: 10 }), /The search took longer than 0 s and was stopped: narrow it with path or glob\./);
    assert.ok(Date.now() - started < 5000);
    const gone = (pid: number) => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    };
    assert.ok(pids().length > 0, 'the fake ripgrep ran');
    for (const pid of pids()) assert.ok(gone(pid), `the timed-out ripgrep ${pid} was killed`);
    fs.rmSync(pidFile);
    const ac = new AbortController();
    const searching = new RipgrepSearch(ws, { rgPath: slow }).search(q, listed, { offset: 0, limit: 10 }, ac.signal);
    while (!pids().length) await new Promise((r) => setTimeout(r, 10));
    ac.abort(new Error('cancelled by the user'));
    await assert.rejects(searching, /cancelled by the user/);
    // Killed at once; reaped by Node soon after (a busy machine may take a moment).
    for (const pid of pids()) {
      for (let i = 0; i < 100 && !gone(pid); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(gone(pid), `the cancelled ripgrep ${pid} was killed`);
    }
  });

  it('finds the ripgrep VS Code ships under its appRoot (unpacked from the asar archive or not)', () => {
    const exe = process.platform === 'win32' ? 'rg.exe' : 'rg';
    const appRoot = temp('ensemble-approot-');
    assert.equal(bundledRipgrep(appRoot), undefined);
    for (const modules of ['node_modules.asar.unpacked', 'node_modules']) {
      const rg = path.join(appRoot, modules, '@vscode', 'ripgrep', 'bin', exe);
      fs.mkdirSync(path.dirname(rg), { recursive: true });
      fs.writeFileSync(rg, '');
      assert.equal(bundledRipgrep(appRoot), rg);
    }
  });

  it('a session hands search_files its TextSearch and its task\'s signal', async () => {
    const asked: { files: number; aborted: boolean | undefined }[] = [];
    const spy: TextSearch = {
      search: async (q, files, page, signal) => {
        asked.push({ files: files.length, aborted: signal?.aborted });
        return readingSearch(store).search(q, files, page, signal);
      },
    };
    const r = run('find it', {
      orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 't', role: 'a' }]) : { toolCalls: [{ name: 'skip_task', arguments: { taskId: 't', reason: 'no' } }] }),
      p1: (req) => ({ toolCalls: [turn(req) === 1 ? { name: 'search_files', arguments: { pattern: NEEDLE, maxResults: 2 } } : { name: 'finish', arguments: { summary: 'done' } }] }),
    }, { workspace: ws, search: spy });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    assert.deepEqual(asked, [{ files: listed.length - 1, aborted: false }], 'every listed file but the one too large');
    const result = ofType(r.events(), 'tool.result').find((e) => e.tool === 'search_files')!;
    assert.match(result.summary, /^[\d,]+ matches in [\d,]+ files \([\d,]+ files searched\)$/);
    fs.rmSync(path.join(ws, '.ensemble', 'sessions'), { recursive: true, force: true });
  });

  it('list_files: a large folder answers with its folders and their file counts, then pages through every file once', async () => {
    const over = await listFilesIn(store, {});
    const lines = over.result.split('\n');
    assert.equal(over.summary, `${listed.length} files`);
    assert.match(lines[0]!, new RegExp(`^${listed.length} files in the workspace, too many to list at once\\. Its folders to \\d levels deep with the files each holds \\(at any depth\\):$`));
    const folders = lines.filter((l) => / \([\d,]+ files?\)$/.test(l) && l.includes('/ ('));
    assert.ok(folders.length > 5 && folders.length <= LIST_LIMITS.folders);
    for (const f of folders) {
      const [, dir, n] = /^(.*)\/ \(([\d,]+) files?\)$/.exec(f)!;
      assert.equal(Number(n!.replace(/,/g, '')), listed.filter((p) => p.startsWith(`${dir}/`)).length, f);
    }
    assert.ok(lines.includes(`README.md (${fs.statSync(path.join(ws, 'README.md')).size} bytes)`), 'the files directly in it');
    assert.match(lines.at(-1)!, /page through all [\d,]+ files with offset \(400 at a time, from 0\)\.$/);
    // Shallower with depth; a folder by path.
    const shallow = (await listFilesIn(store, { depth: 1 })).result.split('\n').filter((l) => l.includes('/ ('));
    assert.ok(shallow.every((l) => !l.slice(0, -1).includes('/ (') || l.indexOf('/') === l.indexOf('/ (')), shallow.join('\n'));
    const pkg = await listFilesIn(store, { path: 'packages/a' });
    assert.deepEqual(pkg.result.split('\n').map((l) => l.replace(/ \([\d,]+ bytes\)$/, '')), listed.filter((p) => p.startsWith('packages/a/')), 'a small folder is listed whole, as before');
    // Pages: every file exactly once, in order.
    const paged: string[] = [];
    for (let offset = 0; offset < listed.length; offset += LIST_LIMITS.page) {
      const page = (await listFilesIn(store, { offset })).result.split('\n');
      const tail = page.pop()!;
      assert.match(tail, new RegExp(`^\\(files ${(offset + 1).toLocaleString('en')}–${Math.min(listed.length, offset + LIST_LIMITS.page).toLocaleString('en')} of ${listed.length.toLocaleString('en')}`));
      paged.push(...page.map((l) => l.replace(/ \([\d,]+ bytes\)$/, '')));
    }
    assert.deepEqual(paged, listed);
    assert.match((await listFilesIn(store, { offset: listed.length })).result, /^No files at offset/);
  });
});
