// The session the kill -9 test interrupts over and over: deterministic scripted agents that write
// many files, some large (so that a kill often lands in the middle of a write), rewrite each other's
// files and modify a file the user had before the session. Same script in the child and in the
// uninterrupted reference run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChatProvider } from '../../src/core/ports';
import { conv, planStep, ScriptedProvider, turn, type Step } from './scripted';
import { testConfig } from './session';

export const USER_FILE = 'existing.md';

/** The workspace as the user had it before the session. */
export function seedWorkspace(ws: string): void {
  fs.writeFileSync(path.join(ws, USER_FILE), 'the user\'s own file\n');
}

function content(task: string, i: number, size: number): string {
  const line = `${task} file ${i}: ${'abcdefghijklmnopqrstuvwxyz'.repeat(3)}\n`;
  return line.repeat(Math.ceil(size / line.length)).slice(0, size);
}

/** Each task's files: written on turn 1, part of them rewritten on turn 2, then finish. */
const TASKS: Record<string, { role: 'a' | 'b'; dependsOn: string[]; files: number }> = {
  t1: { role: 'a', dependsOn: [], files: 8 },
  t2: { role: 'b', dependsOn: ['t1'], files: 8 },
  t3: { role: 'a', dependsOn: ['t1'], files: 8 },
  t4: { role: 'b', dependsOn: ['t2', 't3'], files: 4 },
};

function agent(req: Parameters<ConstructorParameters<typeof ScriptedProvider>[1]>[0]): Step {
  const task = conv(req).replace(/^task\//, '');
  const spec = TASKS[task];
  if (!spec) return { toolCalls: [{ name: 'finish', arguments: { summary: 'nothing to do' } }] };
  const n = turn(req);
  const write = (p: string, c: string) => ({ name: 'write_file', arguments: { path: p, content: c } });
  if (n === 1) {
    const calls = Array.from({ length: spec.files }, (_, i) => write(`${task}/file-${i}.txt`, content(task, i, i % 3 === 0 ? 400_000 : 20_000)));
    if (task === 't3') calls.push(write(USER_FILE, 'rewritten by t3\n'));
    if (task === 't2' || task === 't4') calls.push(write('t1/file-0.txt', content(`${task} over t1`, 0, 300_000))); // another task's file
    return { toolCalls: calls };
  }
  if (n === 2) return { toolCalls: [write(`${task}/file-1.txt`, content(`${task} again`, 1, 200_000)), write(`${task}/summary.txt`, `${task} done\n`)] };
  return { toolCalls: [{ name: 'finish', arguments: { summary: `${task} wrote its files` } }] };
}

export function providers(): Record<string, ChatProvider> {
  return {
    orch: new ScriptedProvider('orch', () => planStep(Object.entries(TASKS).map(([id, t]) => ({ id, role: t.role, dependsOn: t.dependsOn })))),
    p1: new ScriptedProvider('p1', agent),
    p2: new ScriptedProvider('p2', agent),
  };
}

/** One task at a time, so that the final bytes do not depend on which parallel task wrote last. */
export const config = () => testConfig({ maxConcurrency: 1 });
