// MCP on the command line (a separate process, as a user runs it): .ensemble/config.json's mcpServers,
// the workspace's .vscode/mcp.json when mcp.useWorkspaceConfig says so, its ${env:…} (redacted) and
// ${input:…} (asked on a terminal; exit 2 without one), the pre-flight, the progress, and without a
// terminal a call the policy does not allow is denied.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeServer } from '../../src/fakes';
import { ensemble } from '../helpers/cli';
import { tempWorkspace } from '../helpers/session';
import { SERVERS } from '../helpers/mcp';

describe('MCP on the command line', function () {
  this.timeout(90_000);

  it('joins .vscode/mcp.json when asked to, resolves its variables, asks for inputs only on a terminal, and denies what nobody can allow', async () => {
    const fake = await startFakeServer('openai', (req) => {
      const t = req.trace ?? '';
      if (t.startsWith('plan#')) return { kind: 'reply', toolCalls: [{ name: 'submit_plan', arguments: { rationale: 'one', tasks: [{ id: 't1', title: 'Use MCP', description: 'Ping and read the env', role: 'dev', dependsOn: [] }] } }] };
      if (t === 'task/t1#1') return { kind: 'reply', toolCalls: [{ name: 'mcp__grow__ping', arguments: {} }] };
      if (t === 'task/t1#2') return { kind: 'reply', toolCalls: [{ name: 'mcp__ws__env', arguments: {} }] };
      return { kind: 'reply', toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };
    });
    try {
      const ws = tempWorkspace();
      fs.mkdirSync(path.join(ws, '.ensemble'), { recursive: true });
      fs.mkdirSync(path.join(ws, '.vscode'), { recursive: true });
      const server = (extra: Record<string, unknown> = {}) => ({ type: 'stdio', command: process.execPath, args: [SERVERS.test, 'grow'], ...extra });
      const config = (useWorkspaceConfig: boolean) =>
        fs.writeFileSync(
          path.join(ws, '.ensemble', 'config.json'),
          JSON.stringify({ orchestrator: { provider: 'openai', model: 'gpt-5' }, roles: { dev: { provider: 'openai', model: 'gpt-5', mcp: ['grow', 'ws'] } }, validation: { runTests: 'never' }, mcpServers: { grow: server() }, mcp: { allow: ['grow/ping'], useWorkspaceConfig } }),
        );
      const env = { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.baseUrl, MCP_TEST_VALUE: 'env-secret-value-0123456789' };
      const args = ['run', '--goal', 'use mcp', '--workspace', ws, '--json'];

      // A server of mcp.json that needs an input: nobody to ask it of, so nothing starts (exit 2, naming it).
      fs.writeFileSync(path.join(ws, '.vscode', 'mcp.json'), `// VS Code's own file, with comments\n{ "inputs": [{ "type": "promptString", "id": "tok", "description": "The token", "password": true }],\n  "servers": { "ws": ${JSON.stringify(server({ env: { T: '${input:tok}' } }))}, }\n}`);
      config(true);
      const noInput = await ensemble(args, env);
      assert.equal(noInput.code, 2, noInput.stderr);
      assert.match(noInput.stderr, /The MCP server "ws" needs \$\{input:tok\} \(The token\), which was not given\. Without a terminal nobody can be asked: write the value as \$\{env:NAME\}/);
      assert.equal(fake.requests.length, 0, 'no model was called');

      // Without useWorkspaceConfig, mcp.json is not read: "ws" is unknown, and the error says so.
      config(false);
      const unknown = await ensemble(args, env);
      assert.equal(unknown.code, 2, unknown.stderr);
      assert.match(unknown.stderr, /roles\.dev\.mcp names the MCP server "ws", which is not configured \(mcpServers: grow\)/);

      fs.writeFileSync(path.join(ws, '.vscode', 'mcp.json'), JSON.stringify({ servers: { ws: server({ env: { VALUE: '${env:MCP_TEST_VALUE}' } }) } }));
      config(true);
      const r = await ensemble(args, env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /mcp {11}dev: grow, ws \(calls matching mcp\.allow run, others are asked\)/);
      assert.match(r.stderr, /⚙ MCP server grow started \(stdio/);
      assert.match(r.stderr, /⚙ t1 \(dev\) calls grow\/ping \{\} \[m1\]/);
      assert.match(r.stderr, /\[m1\] allowed: it matches the allow pattern "grow\/ping"/);
      assert.match(r.stderr, /\[m2\] denied: it matches no pattern of mcp\.allow and nobody can be asked \(no terminal\)/);
      const report = JSON.parse(r.stdout) as { mcp: { server: string; calls: number; denied: number }[] };
      assert.deepEqual(report.mcp.map((m) => [m.server, m.calls, m.denied]).sort(), [['grow', 1, 0], ['ws', 0, 1]]);
      const sessions = fs.readdirSync(path.join(ws, '.ensemble', 'sessions'));
      const logs = sessions.map((s) => fs.readFileSync(path.join(ws, '.ensemble', 'sessions', s, 'events.jsonl'), 'utf8')).join('\n');
      assert.doesNotMatch(`${r.stdout}${r.stderr}${logs}`, /env-secret-value/);
    } finally {
      await fake.close();
    }
  });
});
