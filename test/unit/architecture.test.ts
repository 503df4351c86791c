// The layering the README promises, checked on the source: the engine imports neither the editor
// nor any SDK; adapters know only the ports; the webview imports only the pure fold.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

function sources(dir: string): string[] {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f)).map((f) => path.join(dir, f));
}

function imports(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"`;]*?from\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]!);
}

/** The adapter kinds and their SDKs: the one list (src/providers/kinds.json). */
const KIND_LIST = JSON.parse(fs.readFileSync(path.join(root, 'src', 'providers', 'kinds.json'), 'utf8')) as { kinds: Record<string, { adapter: string; sdk: string }>; hostKinds: Record<string, { host: string; adapter: string }> };
const KINDS = KIND_LIST.kinds;
const PROVIDER_SDKS = [...new Set(Object.values(KINDS).map((k) => k.sdk))];
const MCP_SDK = '@modelcontextprotocol/sdk';
const SDKS = ['vscode', ...PROVIDER_SDKS, '@google/genai', '@vscode/webview-ui-toolkit', MCP_SDK];

describe('architecture', () => {
  it('src/core imports no editor and no provider SDK', () => {
    const files = sources('src/core');
    assert.ok(files.length > 10);
    for (const f of files) for (const i of imports(f)) assert.ok(!SDKS.some((s) => i === s || i.startsWith(`${s}/`)), `${f} imports ${i}`);
  });

  it('src/core imports nothing outside src/core', () => {
    for (const f of sources('src/core')) for (const i of imports(f).filter((x) => x.startsWith('.'))) {
      const target = path.resolve(path.dirname(path.join(root, f)), i);
      assert.ok(target.startsWith(path.join(root, 'src', 'core')), `${f} imports ${i}`);
    }
  });

  it('provider adapters depend on the engine only through its ports', () => {
    for (const f of sources('src/providers')) for (const i of imports(f).filter((x) => x.includes('core/'))) assert.match(i, /core\/ports$/, `${f} imports ${i}`);
  });

  it('each SDK is imported by exactly one adapter file, the one kinds.json names', () => {
    const owners: Record<string, Set<string>> = {};
    for (const f of sources('src')) for (const i of imports(f)) if (PROVIDER_SDKS.includes(i)) (owners[i] ??= new Set()).add(f);
    const expected = Object.fromEntries(Object.values(KINDS).map((k) => [k.sdk, [path.join('src', 'providers', `${k.adapter}.ts`)]]));
    assert.deepEqual(Object.fromEntries(Object.entries(owners).map(([k, v]) => [k, [...v].sort()])), expected);
    assert.ok(Object.keys(expected).length >= 3);
  });

  it('the MCP SDK is imported by one file: the Node adapter of the McpClient port', () => {
    const users = sources('src').filter((f) => imports(f).some((i) => i === MCP_SDK || i.startsWith(`${MCP_SDK}/`)));
    assert.deepEqual(users, [path.join('src', 'node', 'mcp-client.ts')]);
  });

  it('the kinds a user can configure are the kinds this build knows: package.json\'s enum is kinds.json\'s (its SDK kinds, then its host kinds)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { additionalProperties?: { properties?: { kind?: { enum?: string[] } } } }> } } };
    const settingEnum = pkg.contributes.configuration.properties['ensemble.providers']?.additionalProperties?.properties?.kind?.enum;
    assert.deepEqual(settingEnum, [...Object.keys(KINDS), ...Object.keys(KIND_LIST.hostKinds)], 'package.json contributes.configuration ensemble.providers.additionalProperties.properties.kind.enum must list the keys of src/providers/kinds.json\'s kinds, then of its hostKinds, in order');
    for (const k of Object.values(KIND_LIST.hostKinds)) assert.ok(fs.existsSync(path.join(root, k.adapter)), `a host kind's adapter ${k.adapter} exists`);
  });

  it('src/core is organised by concern: only the shared contracts stand at its top', () => {
    const top = fs.readdirSync(path.join(root, 'src', 'core'), { withFileTypes: true });
    const folders = top.filter((d) => d.isDirectory()).map((d) => d.name).sort();
    assert.deepEqual(folders, ['fold', 'money', 'quality', 'session', 'store']);
    const files = top.filter((d) => d.isFile()).map((d) => d.name);
    for (const f of files) assert.ok(['events.ts', 'ports.ts', 'emitter.ts', 'config.ts', 'best-of.ts', 'mcp-config.ts', 'paths.ts', 'redact.ts'].includes(f), `src/core/${f} belongs in one of ${folders.join(', ')}`);
  });

  it('inside src/core the imports run one way: fold → money → store → quality → session, the shared contracts under all', () => {
    // Each folder may import the shared contracts at core's top and the folders before it, never one after it:
    // the pure folds know nothing else; quality (the contract check, the test runner's parsing) knows no session.
    const ORDER = ['fold', 'money', 'store', 'quality', 'session'];
    const core = path.join(root, 'src', 'core');
    const where = (abs: string) => path.relative(core, abs).split(path.sep)[0]!;
    let checked = 0;
    for (const f of sources('src/core')) {
      const from = where(path.join(root, f));
      const rank = ORDER.indexOf(from);
      for (const i of imports(f).filter((x) => x.startsWith('.'))) {
        const to = where(path.resolve(path.dirname(path.join(root, f)), i));
        const toRank = ORDER.indexOf(to);
        checked++;
        if (rank < 0) assert.equal(toRank, -1, `${f} is a shared contract at core's top, yet imports ${i} (${to}/)`);
        else assert.ok(toRank <= rank, `${f} (${from}/) imports ${i}, from ${to}/, which comes after it in ${ORDER.join(' → ')}`);
      }
    }
    assert.ok(checked > 100);
  });

  it('src/core holds no Node adapter: the file store implementation lives in src/node', () => {
    for (const f of sources('src/core')) assert.doesNotMatch(fs.readFileSync(path.join(root, f), 'utf8'), /implements\s+FileStore\b/, `${f} implements the FileStore port`);
    assert.match(fs.readFileSync(path.join(root, 'src', 'node', 'file-store.ts'), 'utf8'), /class NodeFileStore implements FileStore/);
  });

  it('src/core spawns no process: the CommandRunner port is implemented in src/node', () => {
    for (const f of sources('src/core')) for (const i of imports(f)) assert.ok(!['node:child_process', 'child_process'].includes(i), `${f} imports ${i}`);
    assert.match(fs.readFileSync(path.join(root, 'src', 'node', 'command-runner.ts'), 'utf8'), /class NodeCommandRunner implements CommandRunner/);
  });

  it('the folds are pure: no I/O, only events, ports and other folds', () => {
    for (const f of sources('src/core/fold')) for (const i of imports(f)) assert.ok(i.startsWith('./') || i === '../events' || i === '../ports', `${f} imports ${i}`);
  });

  it('the webview imports only the protocol, the pure folds, core/best-of and the types they use; the toolkit only through components.ts', () => {
    const files = sources('webview');
    assert.ok(files.length > 3);
    for (const f of files) for (const i of imports(f)) {
      if (i.startsWith('../src/')) assert.match(i, /^\.\.\/src\/(protocol|core\/fold\/[\w-]+|core\/events|core\/ports|core\/best-of)$/, `${f} imports ${i}`);
      else if (!i.startsWith('./')) assert.ok(f === path.join('webview', 'components.ts') || !i.startsWith('@vscode/webview-ui-toolkit'), `${f} imports ${i}`);
    }
  });
});
