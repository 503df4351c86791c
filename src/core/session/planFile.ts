// A plan as text: the plan file of `ensemble plan` / `ensemble run --plan` and the JSON document a
// user edits in VS Code. Same shape as submit_plan's arguments (`{rationale, tasks}`, plus an optional
// `goal`), checked by the same rules (validatePlan), with each problem placed where it is in the text:
// the line of the offending task's field, so the CLI can name it and the editor can underline it.

import type { TaskSpec } from '../events';
import { validatePlan, type PlanIssue } from './plan';

export interface PlanProblem {
  message: string;
  /** 0-based offsets of the text at fault, and the 1-based line and column of its start. */
  start: number;
  end: number;
  line: number;
  column: number;
}

export type PlanTextCheck = { ok: true; goal?: string; rationale: string; tasks: TaskSpec[] } | { ok: false; problems: PlanProblem[] };

/** What a plan file holds: submit_plan's arguments, and the goal they were planned for. */
export function planFileText(plan: { goal?: string; rationale: string; tasks: readonly TaskSpec[] }): string {
  return JSON.stringify({ ...(plan.goal === undefined ? {} : { goal: plan.goal }), rationale: plan.rationale, tasks: plan.tasks }, null, 2) + '\n';
}

export function checkPlanText(text: string, roles: readonly string[]): PlanTextCheck {
  let root: Node;
  try {
    root = new Parser(text).parseDocument();
  } catch (e) {
    if (!(e instanceof SyntaxProblem)) throw e;
    return { ok: false, problems: [locate(text, `Not valid JSON: ${e.message}.`, e.offset, Math.min(text.length, e.offset + 1))] };
  }
  const value = toValue(root);
  const check = validatePlan(value, roles);
  if (check.ok) {
    const goal = (value as { goal?: unknown }).goal;
    return { ok: true, goal: typeof goal === 'string' ? goal : undefined, rationale: check.rationale, tasks: check.tasks };
  }
  return { ok: false, problems: check.issues.map((i) => place(text, root, i)) };
}

/** Where an issue is: the task's field, else the task, else the `tasks` array, else the whole document. */
function place(text: string, root: Node, issue: PlanIssue): PlanProblem {
  const tasks = member(root, 'tasks');
  const task = issue.task !== undefined && tasks?.kind === 'array' ? tasks.items[issue.task] : undefined;
  const field = task && issue.field ? member(task, issue.field) : undefined;
  const at = field ?? (task ? keyRange(task) : undefined) ?? tasks ?? root;
  return locate(text, issue.message, at.start, at.end);
}

/** A task object's first line is enough to point at it (the whole object would underline many lines). */
function keyRange(n: Node): Node {
  return { ...n, end: Math.min(n.end, n.start + 1) };
}

function locate(text: string, message: string, start: number, end: number): PlanProblem {
  const before = text.slice(0, start);
  const line = before.split('\n').length;
  const column = start - (before.lastIndexOf('\n') + 1) + 1;
  return { message, start, end: Math.max(end, start), line, column };
}

// --- a small JSON parser that keeps where each value is --------------------------------------------

type Node = { start: number; end: number } & ({ kind: 'object'; props: { key: string; value: Node }[] } | { kind: 'array'; items: Node[] } | { kind: 'scalar'; value: unknown });

class SyntaxProblem extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function member(n: Node, key: string): Node | undefined {
  // The last one wins, as in JSON.parse.
  return n.kind === 'object' ? [...n.props].reverse().find((p) => p.key === key)?.value : undefined;
}

function toValue(n: Node): unknown {
  if (n.kind === 'scalar') return n.value;
  if (n.kind === 'array') return n.items.map(toValue);
  return Object.fromEntries(n.props.map((p) => [p.key, toValue(p.value)]));
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseDocument(): Node {
    if (this.s.charCodeAt(0) === 0xfeff) this.i = 1;
    const v = this.value();
    this.ws();
    if (this.i < this.s.length) throw new SyntaxProblem(`unexpected ${JSON.stringify(this.s[this.i])} after the end of the plan`, this.i);
    return v;
  }

  private ws(): void {
    while (this.i < this.s.length && ' \t\r\n'.includes(this.s[this.i]!)) this.i++;
  }

  private expect(c: string): void {
    this.ws();
    if (this.s[this.i] !== c) throw new SyntaxProblem(this.i >= this.s.length ? `the text ends where ${JSON.stringify(c)} was expected` : `expected ${JSON.stringify(c)} but found ${JSON.stringify(this.s[this.i])}`, this.i);
    this.i++;
  }

  private value(): Node {
    this.ws();
    const start = this.i;
    const c = this.s[this.i];
    if (c === '{') {
      this.i++;
      const props: { key: string; value: Node }[] = [];
      this.ws();
      if (this.s[this.i] === '}') this.i++;
      else {
        for (;;) {
          this.ws();
          if (this.s[this.i] !== '"') throw new SyntaxProblem('expected a property name in double quotes', this.i);
          const key = this.string();
          this.expect(':');
          props.push({ key, value: this.value() });
          this.ws();
          if (this.s[this.i] === ',') this.i++;
          else if (this.s[this.i] === '}') {
            this.i++;
            break;
          } else throw new SyntaxProblem('expected "," or "}" after a property', this.i);
        }
      }
      return { kind: 'object', props, start, end: this.i };
    }
    if (c === '[') {
      this.i++;
      const items: Node[] = [];
      this.ws();
      if (this.s[this.i] === ']') this.i++;
      else {
        for (;;) {
          items.push(this.value());
          this.ws();
          if (this.s[this.i] === ',') this.i++;
          else if (this.s[this.i] === ']') {
            this.i++;
            break;
          } else throw new SyntaxProblem('expected "," or "]" after an item', this.i);
        }
      }
      return { kind: 'array', items, start, end: this.i };
    }
    if (c === '"') return { kind: 'scalar', value: this.string(), start, end: this.i };
    const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(this.s.slice(this.i, this.i + 64));
    if (!m) throw new SyntaxProblem(this.i >= this.s.length ? 'the text ends where a value was expected' : `unexpected ${JSON.stringify(c)}`, this.i);
    this.i += m[0].length;
    return { kind: 'scalar', value: JSON.parse(m[0]) as unknown, start, end: this.i };
  }

  private string(): string {
    const start = this.i;
    this.i++;
    while (this.i < this.s.length && this.s[this.i] !== '"') {
      if (this.s[this.i] === '\n') break;
      this.i += this.s[this.i] === '\\' ? 2 : 1;
    }
    if (this.s[this.i] !== '"') throw new SyntaxProblem('a string is not closed', start);
    this.i++;
    try {
      return JSON.parse(this.s.slice(start, this.i)) as string;
    } catch {
      throw new SyntaxProblem('a string has an invalid escape or control character', start);
    }
  }
}
