// A small MCP server over stdio for the tests, in the mode its first argument names:
//   crash    `crash` exits the process in the middle of the call (code 3, after a line on stderr)
//   hang     `hang` never answers (the process lives on)
//   garbage  `garbage` answers a result that is not MCP, and a line that is not JSON-RPC on stdout
//   grow     `unlock` adds the tool `unlocked` (the server says its tool list changed); `write` writes a file
// Every mode also has `ping`. With `--stay` among its arguments it keeps running when its stdin closes
// (as servers with timers or children of their own do), so that only a kill ends it.
import * as fs from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const mode = process.argv[2] ?? 'grow';
if (process.argv.includes('--stay')) setInterval(() => {}, 1000);
if (mode === 'garbage') {
  // Raw JSON-RPC, without the SDK (whose server checks its own answers): a valid start, then for
  // `garbage` a line that is not JSON-RPC and a result that is not a tool result.
  const tools = [{ name: 'garbage', description: 'Answers what is not MCP.', inputSchema: { type: 'object', properties: {} } }];
  let rest = '';
  process.stdin.setEncoding('utf8').on('data', (chunk) => {
    rest += chunk;
    for (let i = rest.indexOf('\n'); i >= 0; i = rest.indexOf('\n')) {
      const m = JSON.parse(rest.slice(0, i));
      rest = rest.slice(i + 1);
      const answer = (result) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id: m.id, result })}\n`);
      if (m.method === 'initialize') answer({ protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'test-garbage', version: '1.0.0' } });
      else if (m.method === 'tools/list') answer({ tools });
      else if (m.method === 'tools/call') {
        process.stdout.write('this line is not JSON-RPC\n');
        answer({ content: 'not a list of content blocks', isError: 'perhaps' });
      } else if (m.id !== undefined) answer({});
    }
  });
} else {
const server = new McpServer({ name: `test-${mode}`, version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
const text = (t) => ({ content: [{ type: 'text', text: t }] });

server.registerTool('ping', { description: 'Answers pong.', inputSchema: {}, annotations: { readOnlyHint: true } }, async () => text('pong'));
if (mode === 'crash') {
  server.registerTool('crash', { description: 'Exits in the middle of the call.', inputSchema: {} }, async () => {
    process.stderr.write('fatal: the test server crashes on purpose\n');
    setTimeout(() => process.exit(3), 50);
    return new Promise(() => {});
  });
}
if (mode === 'hang') server.registerTool('hang', { description: 'Never answers.', inputSchema: {} }, () => new Promise(() => {}));
if (mode === 'grow') {
  server.registerTool('unlock', { description: 'Adds the tool "unlocked".', inputSchema: {} }, async () => {
    server.registerTool('unlocked', { description: 'Exists only after unlock.', inputSchema: { word: z.string().describe('Any word') } }, async ({ word }) => text(`unlocked says ${word}`));
    return text('unlocked is there now');
  });
  server.registerTool('write', { description: 'Writes a file in the current folder.', inputSchema: { name: z.string(), text: z.string() } }, async ({ name, text: body }) => {
    fs.writeFileSync(name, body);
    return text(`wrote ${name}`);
  });
  server.registerTool('env', { description: 'Its environment.', inputSchema: {} }, async () => text(JSON.stringify(process.env)));
}
await server.connect(new StdioServerTransport());
}
