// Project rules: the conventions a user writes once for every model that works in the workspace.
// `AGENTS.md` at the workspace root (the cross-tool convention) and `.ensemble/rules.md` (Ensemble's
// own) go, in that order and capped together, into the orchestrator's prompts (planning, escalation)
// and every agent's system prompt. The engine reads them at the start of each run and records which
// it used (`rules.loaded`); the pre-flight names them before anything is sent.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RulesFile } from '../events';
import type { FileStore } from '../ports';
import { ENSEMBLE_DIR } from '../store/log';
import { formatBytes } from '../fold/narrate';

/** The rules files, workspace-relative, in the order their text is given. */
export const RULES_FILES = ['AGENTS.md', `${ENSEMBLE_DIR}/rules.md`] as const;

/** What all rules files together may add to a prompt (bytes of UTF-8). */
export const RULES_CAP_BYTES = 8 * 1024;

export interface ProjectRules {
  files: RulesFile[];
  /** The text for the prompts ('' when there are no rules). */
  text: string;
}

/**
 * Reads the rules files. AGENTS.md goes through the store, so its path rules hold (a link that leads
 * out of the workspace is refused, and then it is not a rules file); .ensemble/rules.md is the
 * engine's own folder, which the store refuses to models, so it is read directly, and only when it is
 * a regular file (not a link). An unreadable file counts as absent: rules never stop a session.
 */
export async function loadRules(workspace: string, store: FileStore): Promise<ProjectRules> {
  const found: { path: string; data: Buffer }[] = [];
  const agents = await store.read(RULES_FILES[0]).catch(() => undefined);
  if (agents !== undefined) found.push({ path: RULES_FILES[0], data: Buffer.from(agents) });
  const own = path.join(workspace, ...RULES_FILES[1].split('/'));
  try {
    if (fs.lstatSync(own).isFile()) found.push({ path: RULES_FILES[1], data: fs.readFileSync(own) });
  } catch {
    // absent or unreadable: no rules from there
  }
  let room = RULES_CAP_BYTES;
  const files: RulesFile[] = [];
  const parts: string[] = [];
  for (const f of found.filter((x) => x.data.length > 0)) {
    if (room <= 0) {
      files.push({ path: f.path, bytes: f.data.length, truncated: true });
      continue;
    }
    const truncated = f.data.length > room;
    let body = (truncated ? cutUtf8(f.data, room) : f.data.toString('utf8')).trimEnd();
    room -= Buffer.byteLength(body);
    if (truncated) body += `\n… (${f.path} cut at ${formatBytes(RULES_CAP_BYTES)})`;
    files.push({ path: f.path, bytes: f.data.length, truncated });
    parts.push(`--- ${f.path} ---\n${body}`);
  }
  return { files, text: parts.join('\n\n') };
}

/** The first `max` bytes of `data` as text, ending at a line break when one is in the last half. */
function cutUtf8(data: Buffer, max: number): string {
  let text = data.subarray(0, max).toString('utf8');
  if (text.endsWith('\uFFFD')) text = text.slice(0, -1); // a character cut in the middle
  const nl = text.lastIndexOf('\n');
  return nl > text.length / 2 ? text.slice(0, nl) : text;
}

/** The rules as a prompt section; '' when there are none. */
export function rulesSection(rules: string | undefined): string {
  return rules ? `Project rules (written by the user for every model working in this workspace; follow them):\n\n${rules}` : '';
}
