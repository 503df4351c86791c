// The workspace's own `.vscode/mcp.json` (VS Code's MCP configuration: JSON with comments), read when
// the user says so (`mcp.useWorkspaceConfig`, or the pre-flight's question in VS Code), and its servers
// laid under Ensemble's own `mcpServers` (a server of the same name in Ensemble's configuration wins).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { EngineConfig } from '../core/config';
import { McpConfigError, parseMcpJson, type McpInput, type McpServerConfig } from '../core/mcp-config';

export const WORKSPACE_MCP_JSON = path.join('.vscode', 'mcp.json');

/** The servers and inputs of `<workspace>/.vscode/mcp.json`; undefined when there is none. Throws McpConfigError for a file that is not valid. */
export function readWorkspaceMcp(workspace: string): { file: string; servers: Record<string, McpServerConfig>; inputs: McpInput[] } | undefined {
  const file = path.join(workspace, WORKSPACE_MCP_JSON);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const errors: ParseError[] = [];
  const raw: unknown = parse(text, errors, { allowTrailingComma: true });
  if (errors.length)
    throw new McpConfigError(`${file} is not valid JSON (with comments): ${printParseErrorCode(errors[0]!.error)} at offset ${errors[0]!.offset}.`);
  return { file, ...parseMcpJson(raw, file) };
}

/** The configuration with the workspace's mcp.json servers under its own (when `mcp.useWorkspaceConfig` or `use` says so), and the inputs they declare. */
export function withWorkspaceMcp(cfg: EngineConfig, workspace: string, use = cfg.mcp.useWorkspaceConfig): { config: EngineConfig; inputs: McpInput[] } {
  if (!use) return { config: cfg, inputs: [] };
  const found = readWorkspaceMcp(workspace);
  if (!found) return { config: cfg, inputs: [] };
  return { config: { ...cfg, mcpServers: { ...found.servers, ...cfg.mcpServers } }, inputs: found.inputs };
}
