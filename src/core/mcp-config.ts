// MCP servers as users already configure them: `mcpServers` in .ensemble/config.json and the setting
// `ensemble.mcpServers` take the shape of VS Code's mcp.json `servers` (a process: `command`, `args`,
// `env`, `cwd`; an HTTP endpoint: `url`, `headers`), and the workspace's own `.vscode/mcp.json` joins
// them when the user says so (`mcp.useWorkspaceConfig`). Variables are VS Code's: `${workspaceFolder}`,
// `${userHome}`, `${env:NAME}` and `${input:ID}`, the last asked of the user (once: VS Code keeps the
// answer in its SecretStorage) by the wiring before the session starts, and then redacted from
// everything the session writes. Each role names what it gets (`mcp: ["github", "memory/read_graph"]`);
// by default none, so servers configured for other tools change nothing here.

import { z } from 'zod';
import { SECRET_ENV_NAME } from './redact';

/** A server as configured: a process speaking MCP on its stdin/stdout, or a streamable HTTP endpoint. */
export type McpServerConfig =
  | { type: 'stdio'; command: string; args: string[]; env: Record<string, string>; cwd?: string }
  | { type: 'http'; url: string; headers: Record<string, string> };

const serverSchema = z
  .object({
    type: z.enum(['stdio', 'http', 'sse']).optional(),
    command: z.string().trim().min(1).optional(),
    args: z.array(z.union([z.string(), z.number()])).optional(),
    env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    cwd: z.string().optional(),
    url: z.string().trim().min(1).optional(),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .superRefine((s, ctx) => {
    const type = s.type ?? (s.command ? 'stdio' : s.url ? 'http' : undefined);
    if (!type) ctx.addIssue({ code: 'custom', message: 'needs a "command" (a process) or a "url" (an HTTP endpoint)' });
    else if (type === 'stdio' && !s.command) ctx.addIssue({ code: 'custom', message: 'a stdio server needs a "command"' });
    else if (type !== 'stdio' && !s.url) ctx.addIssue({ code: 'custom', message: `an ${type} server needs a "url"` });
  })
  .transform((s): McpServerConfig => {
    const type = s.type ?? (s.command ? 'stdio' : 'http');
    if (type === 'stdio') {
      // VS Code drops a variable set to null; numbers and booleans are written as text.
      const env = Object.fromEntries(Object.entries(s.env ?? {}).flatMap(([k, v]) => (v === null ? [] : [[k, String(v)]])));
      return { type: 'stdio', command: s.command!, args: (s.args ?? []).map(String), env, ...(s.cwd ? { cwd: s.cwd } : {}) };
    }
    // `sse` servers are reached over streamable HTTP, which current servers serve at the same URL.
    return { type: 'http', url: s.url!, headers: s.headers ?? {} };
  });

/** Server names: what `mcp__<server>__<tool>` and the roles' selections use. */
const serverName = z.string().regex(/^[^/\s]+$/, 'a server name has no "/" and no spaces');

export const mcpServersSchema = z.record(serverName, serverSchema);

/** A role's selection: `server` (all its tools), `server/tool`, or `server/prefix*`. */
export const mcpSelection = z.array(
  z
    .string()
    .trim()
    .regex(/^[^/\s]+(\/[^\s]+)?$/, 'each entry is "server" or "server/tool"'),
);

/**
 * Which MCP tool calls run: the same modes as `commands.run`. `ask`: a call matching `allow` (or a
 * read-only tool with `allowReadOnly`) runs, any other is put to the user, and denied when nobody can
 * be asked; `allowed`: only those run; `always`: every call runs; `never`: no MCP tool is offered.
 */
export interface McpPolicy {
  run: 'ask' | 'allowed' | 'always' | 'never';
  /** `server/tool` patterns, `*` standing for any run of characters (`github/*`; a `*` may also stand for the server). */
  allow: string[];
  /** Tools the server annotates `readOnlyHint: true` run without asking (the server's word for it). */
  allowReadOnly: boolean;
  /** The longest a call (and a server's start) may take. */
  timeoutMs: number;
  /** Whether the workspace's `.vscode/mcp.json` servers are used too. */
  useWorkspaceConfig: boolean;
}

export const DEFAULT_MCP_POLICY: McpPolicy = { run: 'ask', allow: [], allowReadOnly: false, timeoutMs: 120_000, useWorkspaceConfig: false };

export const mcpPolicySchema = z.object({
  run: z.enum(['ask', 'allowed', 'always', 'never']).optional(),
  allow: z
    .array(
      z
        .string()
        .trim()
        .regex(/^[^/\s]+\/[^\s]+$/, 'each pattern is "server/tool" (`*` for any characters)'),
    )
    .optional(),
  allowReadOnly: z.boolean().optional(),
  timeoutMs: z.number().int().positive().optional(),
  useWorkspaceConfig: z.boolean().optional(),
});

/** An `${input:ID}` as VS Code's mcp.json declares it (`inputs`); an undeclared one is asked with its id. */
export interface McpInput {
  id: string;
  description?: string;
  password?: boolean;
}

const inputSchema = z.object({ type: z.string().optional(), id: z.string().min(1), description: z.string().optional(), password: z.boolean().optional() });

/** A configuration problem of MCP servers (the CLI exits 2 with its message, as for any configuration error). */
export class McpConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'McpConfigError';
  }
}

/** The servers and inputs of a VS Code mcp.json (already parsed from JSONC); `where` names the file in errors. */
export function parseMcpJson(raw: unknown, where: string): { servers: Record<string, McpServerConfig>; inputs: McpInput[] } {
  const obj = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  if (!obj) throw new McpConfigError(`${where} is not a JSON object.`);
  const servers = mcpServersSchema.safeParse(obj.servers ?? {});
  if (!servers.success)
    throw new McpConfigError(`Invalid ${where}: ${servers.error.issues.map((i) => `servers.${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const inputs = z.array(inputSchema).safeParse(obj.inputs ?? []);
  if (!inputs.success) throw new McpConfigError(`Invalid ${where}: inputs: ${inputs.error.issues[0]?.message ?? 'not a list'}`);
  return { servers: servers.data, inputs: inputs.data.map(({ id, description, password }) => ({ id, description, password })) };
}

/** A selection entry split: `github` → github, every tool; `github/search_*` → github, that pattern. */
export function splitSelection(entry: string): { server: string; tool: string } {
  const at = entry.indexOf('/');
  return at < 0 ? { server: entry, tool: '*' } : { server: entry.slice(0, at), tool: entry.slice(at + 1) };
}

/** The names of the servers some role (or the orchestrator) selects: the only ones ever started. */
export function serversInUse(cfg: { orchestrator: { mcp?: string[] }; roles: Record<string, { mcp?: string[] }>; mcp: Pick<McpPolicy, 'run'> }): string[] {
  if (cfg.mcp.run === 'never') return [];
  const names = new Set<string>();
  for (const r of [cfg.orchestrator, ...Object.values(cfg.roles)]) for (const e of r.mcp ?? []) names.add(splitSelection(e).server);
  return [...names];
}

/** Every selection that names a server not configured: "roles.qa.mcp names "gitub", which is not configured". */
export function unknownServers(cfg: {
  orchestrator: { mcp?: string[] };
  roles: Record<string, { mcp?: string[] }>;
  mcpServers: Record<string, unknown>;
}): string[] {
  const out: string[] = [];
  const check = (who: string, list: string[] | undefined) => {
    for (const e of list ?? []) {
      const { server } = splitSelection(e);
      if (!Object.hasOwn(cfg.mcpServers, server))
        out.push(
          `${who}.mcp names the MCP server "${server}", which is not configured (mcpServers${Object.keys(cfg.mcpServers).length ? `: ${Object.keys(cfg.mcpServers).join(', ')}` : ' is empty'})`,
        );
    }
  };
  check('orchestrator', cfg.orchestrator.mcp);
  for (const [name, r] of Object.entries(cfg.roles)) check(`roles.${name}`, r.mcp);
  return out;
}

const VARIABLE = /\$\{(workspaceFolder|userHome|pathSeparator|\/|env:([^}]+)|input:([^}]+))\}/g;

export interface McpVariables {
  workspaceFolder: string;
  userHome: string;
  env: Record<string, string | undefined>;
  /** The inputs declared (mcp.json `inputs`). */
  inputs?: readonly McpInput[];
  /** Asks the user for an input's value (VS Code: SecretStorage, else an input box); undefined: not given. */
  input(input: McpInput): Promise<string | undefined>;
  pathSeparator?: string;
}

/**
 * The configuration with the variables of the servers in use replaced by their values, and the values
 * that must never be written anywhere (every input, every `${env:…}`, every header value): the
 * session's redactor gets them. An input is asked once per call, however many places use it. Throws a
 * ConfigError for a selection naming an unknown server, or an input the user did not give.
 */
export async function resolveMcpVariables<
  C extends { orchestrator: { mcp?: string[] }; roles: Record<string, { mcp?: string[] }>; mcp: McpPolicy; mcpServers: Record<string, McpServerConfig> },
>(cfg: C, vars: McpVariables): Promise<{ config: C; secrets: string[] }> {
  const unknown = unknownServers(cfg);
  if (unknown.length) throw new McpConfigError(`Invalid configuration: ${unknown.join('; ')}.`);
  const secrets = new Set<string>();
  const answers = new Map<string, string>();
  const declared = new Map((vars.inputs ?? []).map((i) => [i.id, i]));
  const sub = async (text: string, server: string): Promise<string> => {
    let out = '';
    let from = 0;
    for (const m of text.matchAll(VARIABLE)) {
      out += text.slice(from, m.index);
      from = m.index + m[0].length;
      const [, name, env, input] = m;
      if (env !== undefined) {
        const value = vars.env[env] ?? '';
        if (value) secrets.add(value);
        out += value;
      } else if (input !== undefined) {
        let value = answers.get(input);
        if (value === undefined) {
          value = await vars.input(declared.get(input) ?? { id: input, password: true });
          if (value === undefined)
            throw new McpConfigError(
              `The MCP server "${server}" needs \${input:${input}}${declared.get(input)?.description ? ` (${declared.get(input)!.description})` : ''}, which was not given.`,
            );
          answers.set(input, value);
        }
        secrets.add(value);
        out += value;
      } else out += name === 'workspaceFolder' ? vars.workspaceFolder : name === 'userHome' ? vars.userHome : (vars.pathSeparator ?? '/');
    }
    return out + text.slice(from);
  };
  const servers: Record<string, McpServerConfig> = { ...cfg.mcpServers };
  for (const name of serversInUse(cfg)) {
    const s = servers[name]!;
    if (s.type === 'stdio') {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(s.env)) env[k] = await sub(v, name);
      const args: string[] = [];
      for (const a of s.args) args.push(await sub(a, name));
      servers[name] = { type: 'stdio', command: await sub(s.command, name), args, env, ...(s.cwd ? { cwd: await sub(s.cwd, name) } : {}) };
    } else {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(s.headers)) secrets.add((headers[k] = await sub(v, name)));
      servers[name] = { type: 'http', url: await sub(s.url, name), headers };
    }
  }
  return { config: { ...cfg, mcpServers: servers }, secrets: [...secrets].filter(Boolean) };
}

/**
 * The values of the servers in use that are secrets whatever their source: every header value (an
 * Authorization header) and every `env` value whose name says it holds one (GITHUB_TOKEN, API_KEY…).
 */
export function mcpSecrets(cfg: {
  orchestrator: { mcp?: string[] };
  roles: Record<string, { mcp?: string[] }>;
  mcp: Pick<McpPolicy, 'run'>;
  mcpServers: Record<string, McpServerConfig>;
}): string[] {
  const out: string[] = [];
  for (const name of serversInUse(cfg)) {
    const s = cfg.mcpServers[name];
    if (s?.type === 'http') out.push(...Object.values(s.headers));
    else if (s)
      out.push(
        ...Object.entries(s.env)
          .filter(([k]) => SECRET_ENV_NAME.test(k))
          .map(([, v]) => v),
      );
    if (s?.type === 'http') {
      // A credential in the URL's query or user part.
      try {
        const u = new URL(s.url);
        if (u.password) out.push(u.password);
        for (const [k, v] of u.searchParams) if (SECRET_ENV_NAME.test(k)) out.push(v);
      } catch {
        /* not a URL: the connection says so */
      }
    }
  }
  return out.filter(Boolean);
}
