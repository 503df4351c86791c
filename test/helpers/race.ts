// A hand-written log of a session with one best-of-three task, as the engine writes one
// (src/core/session/candidates.ts): an agent.spawned per candidate, task.started with the first one's
// agent, candidate.started per candidate once its copy is made, the candidates' calls and tools (each in
// its own copy: their writes are not logged as file.written), each one's check as its agent's command,
// candidate.finished and agent.ended per candidate, candidate.judged,
// candidate.chosen, then the winner's changes applied as ordinary file.written events and task.completed.
// Candidate A (anthropic) fails the check, B (openai) passes dearly, C (gemini) passes cheaply: C wins.

import type { CandidateFile, EnsembleEvent, EventBody } from '../../src/core/events';
import { judge } from '../../src/core/fold/candidates';
import { foldEvents } from '../../src/core/fold/state';
import { sha256 } from '../../src/core/store/blobs';

export const RACE_SESSION = 'race-1';

/** What each candidate's copy held before and after, by path: the blobs its `candidate.finished` names. */
const BEFORE: Record<string, string> = { 'package.json': '{ "name": "todo", "scripts": { "test": "node --test" } }\n' };
const AFTER: Record<string, Record<string, string>> = {
  'api#1': {
    'server.js': "const http = require('node:http');\nhttp.createServer((q, s) => s.end('[]')).listen(3000);\n",
    'test/api.test.js': "test('lists', () => assert.equal(1, 2));\n",
  },
  'api#2': {
    'server.js': "const express = require('express');\nconst app = express();\napp.get('/todos', (q, s) => s.json([]));\napp.listen(3000);\n",
    'db.js': 'module.exports = new Map();\n',
    'package.json': '{ "name": "todo", "scripts": { "test": "node --test" }, "dependencies": { "express": "^4" } }\n',
  },
  'api#3': {
    'server.js': "const http = require('node:http');\nconst todos = [];\nhttp.createServer((q, s) => s.end(JSON.stringify(todos))).listen(3000);\n",
    'test/api.test.js': "test('lists', () => assert.deepEqual([], []));\n",
  },
};

const lines = (s: string | undefined) => (s ? s.split('\n').length - 1 : 0);

/** The files candidate `id` changed, with their blobs' shas and line counts (a whole-file diff). */
export function candidateFiles(id: string): CandidateFile[] {
  return Object.entries(AFTER[id]!).map(([p, after]) => {
    const before = BEFORE[p];
    return {
      path: p,
      change: before === undefined ? 'created' : 'modified',
      beforeSha: before === undefined ? null : sha256(before),
      beforeKnown: true,
      afterSha: sha256(after),
      added: lines(after),
      removed: lines(before),
    };
  });
}

/** Every content the race's events name, by sha (to put into a session's blob store). */
export function raceBlobs(): Map<string, string> {
  const all = [...Object.values(BEFORE), ...Object.values(AFTER).flatMap((f) => Object.values(f))];
  return new Map(all.map((c) => [sha256(c), c]));
}

export const RACE_CANDIDATES = [
  { id: 'api#1', agentId: 'backend-1', provider: 'anthropic', model: 'claude-sonnet-4-5', costUsd: 0.0412, input: 9200, output: 2100 },
  { id: 'api#2', agentId: 'backend-2', provider: 'openai', model: 'gpt-5', costUsd: 0.0625, input: 11800, output: 3900 },
  { id: 'api#3', agentId: 'backend-3', provider: 'gemini', model: 'gemini-2.5-flash', costUsd: 0.0087, input: 10400, output: 2600 },
] as const;

export interface RaceOptions {
  /** Where the log stops: after the candidates started and worked a little, once all finished, once judged (the user is asked), or the whole session. */
  until?: 'running' | 'finished' | 'judged' | 'ended';
  /** Who chose: the verdict (`auto`), or the user, who picked `pick` (null: none). */
  chosenBy?: 'auto' | 'user';
  pick?: string | null;
}

/** The race session's events, numbered and timed as a log's. */
export function raceEvents(o: RaceOptions = {}): EnsembleEvent[] {
  const until = o.until ?? 'ended';
  const out: EventBody[] = [];
  const t0 = Date.UTC(2026, 11, 7, 13, 0, 0);
  const times: number[] = [];
  const at = (ms: number, ...bodies: EventBody[]) => {
    for (const b of bodies) {
      out.push(b);
      times.push(t0 + ms);
    }
  };
  const task = {
    id: 'api',
    title: 'REST API for the todos',
    description: 'GET/POST /todos with an in-memory store, and its tests.',
    role: 'backend',
    dependsOn: [],
    check: 'npm test',
    candidates: RACE_CANDIDATES.map((c) => ({ provider: c.provider, model: c.model })),
  };
  const ui = { id: 'ui', title: 'Todo list page', description: 'A page that lists and adds todos.', role: 'frontend', dependsOn: ['api'] };
  at(
    0,
    {
      type: 'session.started',
      sessionId: RACE_SESSION,
      goal: 'Todo list web app',
      config: {
        orchestrator: { provider: 'anthropic', model: 'claude-sonnet-4-5' },
        roles: { backend: { provider: 'gemini', model: 'gemini-2.5-pro' }, frontend: { provider: 'openai', model: 'gpt-5' } },
        maxConcurrency: 4,
      },
    },
    { type: 'phase.started', phase: 'planning' },
    { type: 'plan.accepted', rationale: 'The API first, each of three models trying it; then the page.', tasks: [task, ui] },
    { type: 'phase.ended', phase: 'planning', outcome: 'ok' },
    { type: 'phase.started', phase: 'development' },
    ...RACE_CANDIDATES.map((c): EventBody => ({
      type: 'agent.spawned',
      agentId: c.agentId,
      role: 'backend',
      provider: c.provider,
      model: c.model,
      taskId: 'api',
    })),
    { type: 'task.started', taskId: 'api', agentId: 'backend-1', role: 'backend', provider: 'anthropic', model: 'claude-sonnet-4-5' },
  );
  for (const c of RACE_CANDIDATES)
    at(
      1000,
      { type: 'candidate.started', taskId: 'api', round: 1, candidateId: c.id, agentId: c.agentId, provider: c.provider, model: c.model },
      { type: 'candidate.copied', taskId: 'api', round: 1, candidateId: c.id, copy: 'git-worktree', ms: 320 },
      { type: 'agent.prompt', agentId: c.agentId, taskId: 'api', text: `Task api: ${task.title}\n${task.description}` },
      {
        type: 'llm.request',
        callId: `${c.agentId}-c1`,
        agentId: c.agentId,
        taskId: 'api',
        provider: c.provider,
        model: c.model,
        trace: `${c.agentId}#1`,
        attempt: 1,
      },
    );
  RACE_CANDIDATES.forEach((c, i) =>
    at(
      9000 + i * 1000,
      {
        type: 'llm.response',
        callId: `${c.agentId}-c1`,
        agentId: c.agentId,
        taskId: 'api',
        provider: c.provider,
        model: c.model,
        latencyMs: 8000,
        usage: { input: c.input, output: c.output },
        costUsd: c.costUsd,
        stopReason: 'tool_use',
        toolCalls: ['write_file'],
      },
      { type: 'agent.text', agentId: c.agentId, text: 'Writing the server first.' },
      { type: 'tool.called', agentId: c.agentId, taskId: 'api', tool: 'write_file', summary: 'server.js' },
    ),
  );
  if (until !== 'running') {
    const wall = [48_000, 61_000, 39_000];
    RACE_CANDIDATES.forEach((c, i) => {
      const passed = c.id !== 'api#1';
      const commandId = `c${i + 1}`;
      const output = passed ? '# pass 3\n# fail 0\n' : 'not ok 1 - lists\n# pass 0\n# fail 1\n';
      at(
        wall[i]! - 4200,
        { type: 'tool.result', agentId: c.agentId, taskId: 'api', tool: 'write_file', ok: true, summary: 'wrote server.js' },
        // Its check, run as its agent's command in its copy (src/core/session/commands.ts runCheck).
        { type: 'command.requested', commandId, agentId: c.agentId, taskId: 'api', role: 'backend', command: 'npm test', cwd: '.', timeoutMs: 120_000 },
        { type: 'command.decided', commandId, decision: 'allowed', by: 'policy', reason: "it is the task's check, which judges its candidates" },
      );
      at(
        wall[i]!,
        {
          type: 'command.ran',
          commandId,
          exitCode: passed ? 0 : 1,
          timedOut: false,
          cancelled: false,
          durationMs: 4100,
          outputTail: output,
          omittedChars: 0,
          files: [],
        },
        {
          type: 'candidate.finished',
          round: 1,
          taskId: 'api',
          candidateId: c.id,
          agentId: c.agentId,
          outcome: 'finished',
          summary: 'The API and its tests.',
          check: {
            command: 'npm test',
            exitCode: passed ? 0 : 1,
            timedOut: false,
            durationMs: 4100,
            outputTail: output,
          },
          wallMs: wall[i]!,
          files: candidateFiles(c.id),
        },
        { type: 'agent.ended', agentId: c.agentId, status: 'COMPLETED', summary: 'The API and its tests.' },
      );
    });
  }
  if (until === 'running' || until === 'finished') return numbered(out, times);
  const race = foldEvents(numbered(out, times)).tasks.api!.race!;
  const verdict = judge(race);
  at(61_500, { type: 'candidate.judged', taskId: 'api', round: 1, ...verdict });
  if (until === 'judged') return numbered(out, times);
  const by = o.chosenBy ?? 'auto';
  const pick = by === 'auto' ? verdict.winner : (o.pick ?? null);
  at(62_000, {
    type: 'candidate.chosen',
    taskId: 'api',
    round: 1,
    candidateId: pick,
    by,
    reason: by === 'auto' ? verdict.reason : pick === null ? 'you chose to apply none' : `you chose ${pick}`,
  });
  const winner = RACE_CANDIDATES.find((c) => c.id === pick);
  if (winner) {
    for (const f of candidateFiles(winner.id))
      at(62_100, {
        type: 'file.written',
        agentId: winner.agentId,
        taskId: 'api',
        path: f.path,
        change: f.change as 'created' | 'modified',
        beforeSha: f.beforeSha,
        afterSha: f.afterSha!,
        bytes: AFTER[winner.id]![f.path]!.length,
        role: 'backend',
        provider: winner.provider,
        model: winner.model,
      });
    at(62_200, { type: 'task.completed', taskId: 'api', agentId: winner.agentId, summary: 'The API and its tests.' });
    const page = '<!doctype html><ul id="todos"></ul>\n';
    at(
      62_300,
      { type: 'agent.spawned', agentId: 'frontend-1', role: 'frontend', provider: 'openai', model: 'gpt-5', taskId: 'ui' },
      { type: 'task.started', taskId: 'ui', agentId: 'frontend-1', role: 'frontend', provider: 'openai', model: 'gpt-5' },
      {
        type: 'llm.request',
        callId: 'frontend-1-c1',
        agentId: 'frontend-1',
        taskId: 'ui',
        provider: 'openai',
        model: 'gpt-5',
        trace: 'frontend-1#1',
        attempt: 1,
      },
    );
    at(
      75_000,
      {
        type: 'llm.response',
        callId: 'frontend-1-c1',
        agentId: 'frontend-1',
        taskId: 'ui',
        provider: 'openai',
        model: 'gpt-5',
        latencyMs: 12_000,
        usage: { input: 6100, output: 1800 },
        costUsd: 0.0256,
        stopReason: 'tool_use',
        toolCalls: ['write_file'],
      },
      { type: 'tool.called', agentId: 'frontend-1', taskId: 'ui', tool: 'write_file', summary: 'public/index.html' },
      {
        type: 'file.written',
        agentId: 'frontend-1',
        taskId: 'ui',
        path: 'public/index.html',
        change: 'created',
        beforeSha: null,
        afterSha: sha256(page),
        bytes: page.length,
        role: 'frontend',
        provider: 'openai',
        model: 'gpt-5',
      },
      { type: 'tool.result', agentId: 'frontend-1', taskId: 'ui', tool: 'write_file', ok: true, summary: 'wrote public/index.html' },
      { type: 'task.completed', taskId: 'ui', agentId: 'frontend-1', summary: 'The page.' },
    );
  } else at(62_200, { type: 'task.escalated', taskId: 'api', reason: 'no candidate was applied' });
  at(76_000, { type: 'phase.ended', phase: 'development', outcome: 'ok' }, { type: 'session.ended', status: 'completed' });
  return numbered(out, times);
}

function numbered(bodies: EventBody[], times: number[]): EnsembleEvent[] {
  return bodies.map((b, i) => ({ ...b, v: 1, seq: i + 1, ts: times[i]! }) as EnsembleEvent);
}
