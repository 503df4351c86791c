// MCP servers for the tests: the real ones installed from npm (dev dependencies) and our own small test
// server (crash, hang, garbage, grow), started as the user would configure them, and what a provider's
// wire carried back of a tool result.

import * as net from 'node:net';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { FakeRequest } from '../../src/fakes/script';

const resolve = (p: string) => require.resolve(p, { paths: [path.resolve(__dirname, '..', '..')] });

export const SERVERS = {
  everything: resolve('@modelcontextprotocol/server-everything/dist/index.js'),
  memory: resolve('@modelcontextprotocol/server-memory/dist/index.js'),
  filesystem: resolve('@modelcontextprotocol/server-filesystem/dist/index.js'),
  test: path.join(__dirname, 'mcp-test-server.mjs'),
};

/** A stdio server entry as mcpServers takes it: this Node running `file` with `args`. */
export const stdio = (file: string, args: string[] = [], extra: Record<string, unknown> = {}) => ({ command: process.execPath, args: [file, ...args], ...extra });

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

/** server-everything over streamable HTTP on a free port (`/mcp`), until `stop`. */
export async function everythingOverHttp(): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [SERVERS.everything, 'streamableHttp'], { env: { PATH: process.env.PATH, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((res, rej) => {
    let said = '';
    const timer = setTimeout(() => rej(new Error(`server-everything did not listen: ${said}`)), 20_000);
    child.stderr!.setEncoding('utf8').on('data', (t: string) => {
      said += t;
      if (/listening on port/i.test(said)) {
        clearTimeout(timer);
        res();
      }
    });
    child.on('exit', (code) => rej(new Error(`server-everything exited ${code}: ${said}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    child,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGKILL');
      }),
  };
}

/** A tool result as text, whatever the provider's wire (OpenAI `tool` messages, Anthropic `tool_result` blocks, Gemini `functionResponse` parts): each in order. */
export function toolResults(req: FakeRequest | undefined): { text: string; images: string[] }[] {
  const body = (req?.body ?? {}) as Record<string, unknown>;
  const out: { text: string; images: string[] }[] = [];
  for (const m of (body.messages as Record<string, unknown>[] | undefined) ?? []) {
    if (m.role === 'tool') out.push({ text: String(m.content), images: [] });
    if (m.role === 'user' && Array.isArray(m.content)) {
      for (const b of m.content as Record<string, unknown>[]) {
        if (b.type !== 'tool_result') continue;
        if (typeof b.content === 'string') out.push({ text: b.content, images: [] });
        else {
          const blocks = (b.content as Record<string, unknown>[]) ?? [];
          out.push({ text: blocks.filter((x) => x.type === 'text').map((x) => String(x.text)).join('\n'), images: blocks.filter((x) => x.type === 'image').map((x) => String((x.source as { media_type: string }).media_type)) });
        }
      }
    }
  }
  for (const c of (body.contents as { parts?: Record<string, unknown>[] }[] | undefined) ?? []) {
    for (const p of c.parts ?? []) {
      const r = (p.functionResponse as { response?: { content?: string; error?: string } } | undefined)?.response;
      if (r) out.push({ text: String(r.content ?? r.error), images: [] });
    }
  }
  return out;
}
