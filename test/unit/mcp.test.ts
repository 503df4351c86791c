// MCP: the pure parts (tool names within every provider's rules, schemas, the policy, results, the
// configuration and its variables) and no server left running after Ensemble is killed with SIGKILL.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { formatResult, matchesMcpPattern, mcpToolName, mcpVerdict, normaliseSchema, summariseArguments } from '../../src/core/session/mcp-tools';
import { mcpSecrets, parseMcpJson, resolveMcpVariables, serversInUse, unknownServers, McpConfigError } from '../../src/core/mcp-config';
import { resolveConfig, ConfigError } from '../../src/core/config';
import { toGeminiSchema } from '../../src/providers/gemini-schema';
import { NodeMcpClient } from '../../src/node/mcp-client';
import { platformSandbox } from '../../src/node/sandbox';
import { ofType, run, tempWorkspace, testConfig } from '../helpers/session';
import { conv, planStep } from '../helpers/scripted';
import { SERVERS, stdio } from '../helpers/mcp';

const OPENAI_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const GEMINI_NAME = /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/;

describe('MCP: names, schemas, policy, results', () => {
  it('names tools mcp__<server>__<tool> within every provider\'s rules, unique, and stable', () => {
    const taken = new Set<string>();
    const name = (s: string, t: string) => {
      const n = mcpToolName(s, t, taken);
      taken.add(n);
      return n;
    };
    assert.equal(name('github', 'search_issues'), 'mcp__github__search_issues');
    assert.equal(name('everything', 'get-tiny-image'), 'mcp__everything__get-tiny-image');
    const odd = [name('my server', 'read.file'), name('my.server', 'read file'), name('ünï', 'tool/with:colons'), name('x'.repeat(40), 'y'.repeat(40)), name('x'.repeat(40), `${'y'.repeat(39)}z`)];
    assert.equal(odd[0], 'mcp__my_server__read_file');
    assert.notEqual(odd[1], odd[0], 'two tools that clean to the same name get different names');
    for (const n of [...taken]) {
      assert.match(n, OPENAI_NAME);
      assert.match(n, GEMINI_NAME);
    }
    assert.equal(taken.size, 7);
    assert.equal(odd[3]!.length, 64);
    assert.notEqual(odd[3], odd[4]);
  });

  it('inlines $refs into one self-contained object schema, and Gemini gets only fields it knows', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { owner: { $ref: '#/$defs/User' }, labels: { type: 'array', items: { $ref: '#/$defs/Label' } }, $ref: { type: 'string' } },
      required: ['owner', 'missing'],
      additionalProperties: false,
      $defs: { User: { type: 'object', properties: { login: { type: 'string' }, boss: { $ref: '#/$defs/User' } } }, Label: { oneOf: [{ type: 'string' }, { type: 'integer' }] } },
    };
    const n = normaliseSchema(schema);
    assert.equal(n.type, 'object');
    assert.deepEqual(n.required, ['owner']);
    assert.equal(JSON.stringify(n).includes('"$ref":"#'), false);
    assert.equal((n.properties.owner as { properties: Record<string, unknown> }).properties.login !== undefined, true);
    assert.deepEqual(Object.keys(n.properties), ['owner', 'labels', '$ref'], 'a property named $ref is a property');
    assert.deepEqual(normaliseSchema(undefined), { type: 'object', properties: {} });
    const g = toGeminiSchema(n);
    const keys = JSON.stringify(g);
    assert.doesNotMatch(keys, /additionalProperties|\$schema|oneOf|\$defs/);
    assert.deepEqual((g.properties as Record<string, { items?: { anyOf?: unknown[] } }>).labels!.items!.anyOf, [{ type: 'string' }, { type: 'integer' }]);
  });

  it('applies mcp.run, mcp.allow (server/tool with *) and mcp.allowReadOnly', () => {
    assert.ok(matchesMcpPattern('github/*', 'github', 'search_issues'));
    assert.ok(matchesMcpPattern('*/read_*', 'fs', 'read_file'));
    assert.ok(!matchesMcpPattern('github/search', 'github', 'search_issues'));
    assert.ok(!matchesMcpPattern('git/*', 'github', 'x'));
    const p = (run: 'ask' | 'allowed' | 'always' | 'never', allowReadOnly = false) => ({ run, allow: ['github/search_*'], allowReadOnly });
    assert.equal(mcpVerdict(p('ask'), 'github', 'search_code', false).kind, 'allowed');
    assert.equal(mcpVerdict(p('ask'), 'github', 'create_issue', false).kind, 'ask');
    assert.equal(mcpVerdict(p('ask', true), 'github', 'get_issue', true).kind, 'allowed');
    assert.equal(mcpVerdict(p('ask'), 'github', 'get_issue', true).kind, 'ask');
    assert.equal(mcpVerdict(p('allowed'), 'github', 'create_issue', false).kind, 'denied');
    assert.equal(mcpVerdict(p('always'), 'github', 'delete_repo', false).kind, 'allowed');
    assert.equal(mcpVerdict(p('never'), 'github', 'search_code', false).kind, 'denied');
  });

  it('summarises arguments: long strings cut, secret-named values hidden', () => {
    const s = summariseArguments({ query: 'x'.repeat(200), auth: { password: 'hunter2-hunter2', user: 'me' }, n: 3 });
    assert.match(s, /"query":"x{80}… \(200 characters\)"/);
    assert.match(s, /"password":"\[hidden\]","user":"me"/);
    assert.ok(summariseArguments({ big: 'y'.repeat(5000), more: 'z'.repeat(5000), list: Array.from({ length: 100 }, (_, i) => i) }).length <= 301);
  });

  it('turns results into text, images and notes', () => {
    const png = Buffer.from('png-bytes').toString('base64');
    const r = formatResult('s', 't', {
      isError: false,
      content: [
        { type: 'text', text: 'hello' },
        { type: 'image', mimeType: 'image/png', data: png },
        { type: 'audio', mimeType: 'audio/wav', data: png },
        { type: 'resource', uri: 'file:///a.txt', mimeType: 'text/plain', text: 'A' },
        { type: 'resource', uri: 'file:///b.bin', mimeType: 'application/zip', blob: png },
        { type: 'resource_link', uri: 'file:///c', name: 'c' },
        { type: 'other', kind: 'hologram' },
      ],
    });
    assert.deepEqual(r.images, [{ mimeType: 'image/png', data: png }]);
    assert.equal(r.text, ['hello', '[image 1: image/png image, 9 B]', '[audio/wav audio, 9 B: not shown (models here are not given audio)]', '[resource file:///a.txt (text/plain)]\nA', '[resource file:///b.bin (application/zip): 9 B of binary data, not shown]', '[resource link: c — file:///c]', '[a "hologram" content block: not shown]'].join('\n'));
    const err = formatResult('s', 't', { isError: true, content: [{ type: 'text', text: 'no such issue' }] });
    assert.equal(err.summary, 'error: no such issue');
    assert.equal(formatResult('s', 't', { isError: false, content: [], structured: { a: 1 } }).text, '{\n  "a": 1\n}');
    assert.equal(formatResult('s', 't', { isError: false, content: [] }).text, 's/t returned nothing.');
    const many = formatResult('s', 't', { isError: false, content: Array.from({ length: 6 }, () => ({ type: 'image' as const, mimeType: 'image/png', data: png })) });
    assert.equal(many.images.length, 4);
    assert.match(many.text, /not shown \(at most 4 images per result\)/);
  });
});

describe('MCP: configuration', () => {
  it('takes VS Code\'s mcp.json server shapes, per-role selections and the policy', () => {
    const c = resolveConfig({
      mcpServers: { github: { command: 'npx', args: ['-y', 'srv', 3], env: { TOKEN: '${input:gh}', DROP: null, N: 1 } }, web: { type: 'http', url: 'https://x.test/mcp', headers: { Authorization: 'Bearer abcdefgh12345678' } }, old: { type: 'sse', url: 'https://y.test/sse' } },
      roles: { a: { provider: 'openai', model: 'gpt-5', mcp: ['github', 'web/search'] } },
      mcp: { allow: ['github/*'], allowReadOnly: true },
    });
    assert.deepEqual(c.mcpServers.github, { type: 'stdio', command: 'npx', args: ['-y', 'srv', '3'], env: { TOKEN: '${input:gh}', N: '1' } });
    assert.deepEqual(c.mcpServers.old, { type: 'http', url: 'https://y.test/sse', headers: {} });
    assert.deepEqual(c.mcp, { run: 'ask', allow: ['github/*'], allowReadOnly: true, timeoutMs: 120_000, useWorkspaceConfig: false });
    assert.deepEqual(serversInUse(c), ['github', 'web']);
    assert.deepEqual(mcpSecrets(c), ['${input:gh}', 'Bearer abcdefgh12345678'], 'secret-named env values and every header value');
    assert.deepEqual(resolveConfig({}).mcpServers, {});
    assert.throws(() => resolveConfig({ mcpServers: { x: { args: [] } } }), (e: unknown) => e instanceof ConfigError && /mcpServers\.x: needs a "command"/.test(e.message));
    assert.throws(() => resolveConfig({ mcp: { allow: ['github'] } }), (e: unknown) => e instanceof ConfigError && /server\/tool/.test(e.message));
    assert.deepEqual(unknownServers({ ...c, roles: { a: { mcp: ['gitub'] } } }), ['roles.a.mcp names the MCP server "gitub", which is not configured (mcpServers: github, web, old)']);
  });

  it('resolves ${input:…} once (the secrets go to the redactor), ${env:…}, ${workspaceFolder}; an input not given is a configuration error', async () => {
    const c = resolveConfig({
      mcpServers: { a: { command: '${workspaceFolder}/bin/srv', args: ['--token=${input:tok}'], env: { T: '${input:tok}', H: '${env:HOME_X}' } }, b: { url: 'https://x.test/${input:path}', headers: { k: 'v-${input:tok}' } }, unused: { command: 'x', env: { Y: '${input:never}' } } },
      roles: { a: { provider: 'openai', model: 'gpt-5', mcp: ['a', 'b'] } },
    });
    const asked: string[] = [];
    const r = await resolveMcpVariables(c, { workspaceFolder: '/ws', userHome: '/home/u', env: { HOME_X: 'from-env-value' }, inputs: [{ id: 'tok', description: 'the token', password: true }], input: async (i) => (asked.push(i.id), i.id === 'tok' ? 'secret-input-0123' : 'p') });
    assert.deepEqual(asked, ['tok', 'path']);
    assert.deepEqual(r.config.mcpServers.a, { type: 'stdio', command: '/ws/bin/srv', args: ['--token=secret-input-0123'], env: { T: 'secret-input-0123', H: 'from-env-value' } });
    assert.deepEqual(r.config.mcpServers.b, { type: 'http', url: 'https://x.test/p', headers: { k: 'v-secret-input-0123' } });
    assert.deepEqual(r.config.mcpServers.unused, c.mcpServers.unused, 'a server no role selects is not resolved (nobody is asked for its inputs)');
    assert.deepEqual(r.secrets.sort(), ['from-env-value', 'p', 'secret-input-0123', 'v-secret-input-0123'].sort());
    await assert.rejects(resolveMcpVariables(c, { workspaceFolder: '/ws', userHome: '/h', env: {}, inputs: [{ id: 'tok', description: 'the token' }], input: async () => undefined }), (e: unknown) => e instanceof McpConfigError && /"a" needs \$\{input:tok\} \(the token\), which was not given/.test((e as Error).message));
    await assert.rejects(resolveMcpVariables({ ...c, roles: { a: { mcp: ['nope'] } } }, { workspaceFolder: '/ws', userHome: '/h', env: {}, input: async () => 'x' }), /names the MCP server "nope"/);
  });

  it('reads a VS Code mcp.json: servers and inputs; a bad one names the file', () => {
    const j = parseMcpJson({ inputs: [{ type: 'promptString', id: 'pat', description: 'GitHub PAT', password: true }], servers: { github: { type: 'stdio', command: 'docker', args: ['run'], env: { T: '${input:pat}' } } } }, '.vscode/mcp.json');
    assert.deepEqual(j.inputs, [{ id: 'pat', description: 'GitHub PAT', password: true }]);
    assert.equal(j.servers.github!.type, 'stdio');
    assert.throws(() => parseMcpJson({ servers: { x: { type: 'http' } } }, '.vscode/mcp.json'), /Invalid \.vscode\/mcp\.json: servers\.x: an http server needs a "url"/);
  });
});

/** The pids of this machine's processes whose command line holds `marker`. */
function processesWith(marker: string): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker);
    } catch {
      return false;
    }
  }).map(Number);
}

async function until(what: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (what()) return true;
  return what();
}

describe('MCP: no server outlives Ensemble, also after kill -9', function () {
  this.timeout(60_000);
  if (process.platform !== 'linux') return;

  /** Starts the child session, waits until its agent's MCP call answered, and kills it with SIGKILL. */
  async function killMidSession(workspace: string, marker: string, sandbox: 'auto' | 'off'): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'helpers', 'mcp-kill-child.ts'), workspace, marker, sandbox], { stdio: ['ignore', 'pipe', 'inherit'] });
    const dir = await new Promise<string>((res) => child.stdout!.once('data', (d: Buffer) => res(d.toString().trim())));
    assert.ok(await until(() => fs.existsSync(path.join(dir, 'events.jsonl')) && fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8').includes('"mcp.result"'), 30_000), 'the MCP call answered');
    assert.ok(processesWith(marker).length > 0, 'the server runs');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }

  it('inside the sandbox the server dies with Ensemble', async function () {
    if (!(await platformSandbox().probe()).available) this.skip();
    const marker = `mcp-kill-marker-${process.pid}-sandboxed`;
    await killMidSession(tempWorkspace(), marker, 'auto');
    assert.ok(await until(() => processesWith(marker).length === 0, 5000), `still running: ${processesWith(marker).join(', ')}`);
  });

  it('without a sandbox, the next run finds the server an earlier run left and stops it (never a live process\'s)', async () => {
    const workspace = tempWorkspace();
    const marker = `mcp-kill-marker-${process.pid}-plain`;
    await killMidSession(workspace, marker, 'off');
    const orphans = processesWith(marker);
    assert.ok(orphans.length > 0, 'without a sandbox, a SIGKILL leaves the server running');
    // Another client in this process (a second window's) does not stop a server whose owner is alive.
    assert.deepEqual(await new NodeMcpClient(tempWorkspace()).recover(), []);
    const r = run('next', { orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 't1', role: 'a' }]) : { toolCalls: [{ name: 'finish', arguments: { summary: 'ok' } }] }), p1: () => ({ toolCalls: [{ name: 'finish', arguments: { summary: 'ok' } }] }) }, { workspace, config: testConfig({ mcpServers: { grow: stdio(SERVERS.test, ['grow']) } }) });
    assert.equal((await r.handle.done).status, 'completed');
    assert.ok(await until(() => processesWith(marker).length === 0, 5000), `still running: ${processesWith(marker).join(', ')}`);
    const stopped = ofType(r.events(), 'mcp.server').filter((e) => e.status === 'stopped');
    assert.equal(stopped.length, 1);
    assert.match(stopped[0]!.error ?? '', /^left running by an earlier run that was killed: grow \(pid \d+: /);
    assert.deepEqual(fs.readdirSync(path.join(workspace, '.ensemble', 'mcp')), [], 'its pid file is gone');
  });
});
