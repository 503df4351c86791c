// Best of several in words: the progress line of each candidate event (the CLI's stderr, the Output
// channel), report.json's `tasks[].candidates` / `tasks[].candidateVerdict` and report.md's section,
// folded from a hand-written race's log (test/helpers/race.ts).

import * as assert from 'node:assert/strict';
import type { EnsembleEvent } from '../../src/core/events';
import { describeEvent, narrate } from '../../src/core/fold/narrate';
import { buildReport, renderMarkdown, reportFromEvents } from '../../src/core/fold/report';
import { applyEvent, foldEvents, initialState } from '../../src/core/fold/state';
import { foldTranscript } from '../../src/core/fold/transcript';
import { raceEvents } from '../helpers/race';

/** The candidate events' lines, each told with the fold through it (as the CLI tells them). */
function candidateLines(events: EnsembleEvent[], withState = true): string[] {
  const s = initialState();
  const out: string[] = [];
  for (const e of events) {
    applyEvent(s, e);
    if (e.type.startsWith('candidate.')) out.push(describeEvent(e, withState ? s : undefined)!);
  }
  return out;
}

describe('best of several: narration', () => {
  it('says each candidate event in one line: who, the check, the dollars, the change, the time; the verdict and the choice', () => {
    assert.deepEqual(candidateLines(raceEvents()), [
      '  ⋯ candidate api#1 (anthropic/claude-sonnet-4-5) started',
      '  ⋯ candidate api#1: its own copy of the workspace is ready (git-worktree, 320 ms)',
      '  ⋯ candidate api#2 (openai/gpt-5) started',
      '  ⋯ candidate api#2: its own copy of the workspace is ready (git-worktree, 320 ms)',
      '  ⋯ candidate api#3 (gemini/gemini-2.5-flash) started',
      '  ⋯ candidate api#3: its own copy of the workspace is ready (git-worktree, 320 ms)',
      '  ◆ candidate api#1 (anthropic/claude-sonnet-4-5) finished: check failed (exit 1), $0.0412, +3 −0 in 2 files, 48.0 s',
      '  ◆ candidate api#2 (openai/gpt-5) finished: check passed, $0.0625, +6 −1 in 3 files, 1m 01s',
      '  ◆ candidate api#3 (gemini/gemini-2.5-flash) finished: check passed, $0.0087, +4 −0 in 2 files, 39.0 s',
      '  ⚖ api judged: api#3 — passed, cheapest of 2 that passed (api#3 $0.0087, api#2 $0.0625, api#1 did not pass)',
      '  ★ api: applying api#3 (gemini/gemini-2.5-flash), chosen automatically: passed, cheapest of 2 that passed',
    ]);
  });

  it('without the fold, a line says what the event holds (no model, no dollars); a user\'s choice and "none" are said so', () => {
    const lines = candidateLines(raceEvents({ chosenBy: 'user', pick: 'api#2' }), false);
    assert.equal(lines[7], '  ◆ candidate api#2 finished: check passed, +6 −1 in 3 files, 1m 01s');
    assert.equal(lines[10], '  ★ api: applying api#2, chosen by the user: you chose api#2');
    assert.equal(candidateLines(raceEvents({ chosenBy: 'user', pick: null })).at(-1), '  ★ api: no candidate applied (your choice): you chose to apply none');
  });

  it('a candidate that failed its check, gave up or was not applied is a warning; the others are information', () => {
    const events = raceEvents();
    const levels = events.filter((e) => e.type.startsWith('candidate.')).map((e) => narrate(e)!.level);
    assert.deepEqual(levels, ['info', 'info', 'info', 'info', 'info', 'info', 'warn', 'info', 'info', 'info', 'info']);
    const gaveUp = {
      ...events.find((e) => e.type === 'candidate.finished')!,
      outcome: 'gave_up',
      check: undefined,
      error: 'turn limit reached',
      files: [],
    } as EnsembleEvent;
    assert.deepEqual(narrate(gaveUp), { level: 'warn', text: '  ✗ candidate api#1 gave up: turn limit reached, no change, 48.0 s' });
    const none = raceEvents({ chosenBy: 'user', pick: null }).find((e) => e.type === 'candidate.chosen')!;
    assert.equal(narrate(none)!.level, 'warn');
  });
});

describe('best of several: report', () => {
  it("report.json lists each task's candidates with their outcome, check, cost, tokens, time, files and lines, the verdict and the one applied", () => {
    const r = reportFromEvents(raceEvents());
    const [api, ui] = r.tasks;
    assert.deepEqual(ui!.candidates, [], 'a task one agent did has no candidates');
    assert.equal(ui!.candidateVerdict, null);
    assert.deepEqual(
      api!.candidates.map((c) => [
        c.candidateId,
        `${c.provider}/${c.model}`,
        c.outcome,
        c.check?.exitCode,
        c.passed,
        c.costUsd,
        c.tokens.input,
        c.tokens.output,
        c.wallMs,
        c.files.length,
        c.added,
        c.removed,
        c.chosen,
      ]),
      [
        ['api#1', 'anthropic/claude-sonnet-4-5', 'finished', 1, false, 0.0412, 9200, 2100, 48_000, 2, 3, 0, false],
        ['api#2', 'openai/gpt-5', 'finished', 0, true, 0.0625, 11800, 3900, 61_000, 3, 6, 1, false],
        ['api#3', 'gemini/gemini-2.5-flash', 'finished', 0, true, 0.0087, 10400, 2600, 39_000, 2, 4, 0, true],
      ],
    );
    assert.deepEqual(api!.candidates[1]!.check, { command: 'npm test', exitCode: 0, timedOut: false, durationMs: 4100 });
    assert.deepEqual(api!.candidates[1]!.files[2], { path: 'package.json', change: 'modified', added: 1, removed: 1 });
    assert.deepEqual(api!.candidateVerdict, {
      round: 1,
      winner: 'api#3',
      reason: 'passed, cheapest of 2 that passed',
      ranking: [
        { candidateId: 'api#3', passed: true, costUsd: 0.0087, lines: 4, files: 2 },
        { candidateId: 'api#2', passed: true, costUsd: 0.0625, lines: 7, files: 3 },
        { candidateId: 'api#1', passed: false, costUsd: 0.0412, lines: 3, files: 2 },
      ],
      chosen: { candidateId: 'api#3', by: 'auto', reason: 'passed, cheapest of 2 that passed' },
    });
    // Every candidate's dollars are the task's: what the race cost in all.
    assert.equal(Math.round(api!.costUsd! * 1e4), Math.round((0.0412 + 0.0625 + 0.0087) * 1e4));
    assert.deepEqual(JSON.parse(JSON.stringify(r)).tasks[0].candidates.length, 3, 'report.json is plain JSON');
    // The user's pick, not the verdict's, is the one applied.
    const picked = reportFromEvents(raceEvents({ chosenBy: 'user', pick: 'api#2' })).tasks[0]!;
    assert.deepEqual(
      picked.candidates.map((c) => c.chosen),
      [false, true, false],
    );
    assert.deepEqual(picked.candidateVerdict!.chosen, { candidateId: 'api#2', by: 'user', reason: 'you chose api#2' });
    assert.equal(picked.candidateVerdict!.winner, 'api#3');
  });

  it("a candidate's agent stops working when its candidate ends (agent.ended follows candidate.finished)", () => {
    const s = foldEvents(raceEvents({ until: 'finished' }));
    assert.deepEqual(
      ['backend-1', 'backend-2', 'backend-3'].map((id) => [s.agents[id]!.status, s.agents[id]!.step]),
      [
        ['COMPLETED', undefined],
        ['COMPLETED', undefined],
        ['COMPLETED', undefined],
      ],
    );
    const running = foldEvents(raceEvents({ until: 'running' }));
    assert.equal(running.agents['backend-1']!.status, 'ACTIVE');
  });

  it('a race being judged or waiting for the user: no verdict, then a verdict without a choice; a session that stops mid-race settles its candidates', () => {
    const running = foldEvents(raceEvents({ until: 'running' }));
    assert.equal(buildReport(running).tasks[0]!.candidateVerdict, null);
    assert.deepEqual(
      buildReport(running).tasks[0]!.candidates.map((c) => [c.outcome, c.check, c.wallMs]),
      [
        ['running', null, null],
        ['running', null, null],
        ['running', null, null],
      ],
    );
    const judged = reportFromEvents(raceEvents({ until: 'judged' }));
    assert.equal(judged.tasks[0]!.candidateVerdict!.chosen, null);
    assert.match(renderMarkdown(judged), /Applied: not chosen yet \(waiting for your choice\)\./);
    const cancelled = raceEvents({ until: 'running' });
    const last = cancelled.at(-1)!;
    cancelled.push({ type: 'session.ended', status: 'cancelled', v: 1, seq: last.seq + 1, ts: last.ts + 1 } as EnsembleEvent);
    assert.deepEqual(
      reportFromEvents(cancelled).tasks[0]!.candidates.map((c) => c.outcome),
      ['cancelled', 'cancelled', 'cancelled'],
    );
  });

  it('report.md has a best-of-several section: the candidates side by side, the verdict, the one applied', () => {
    const md = renderMarkdown(reportFromEvents(raceEvents()));
    const section = md.slice(md.indexOf('## Best of several'), md.indexOf('## Commands'));
    assert.equal(
      section,
      [
        '## Best of several',
        '',
        "Each candidate did the task in its own copy of the workspace; the task's check judged them: passed, then the lowest cost, then the smaller change.",
        '',
        '### api: REST API for the todos — best of 3',
        '',
        "The check: `npm test`, run in each candidate's copy.",
        '',
        '| candidate | provider/model | outcome | check | cost | tokens in / out | time | change | applied |',
        '|---|---|---|---|---|---|---|---|---|',
        '| api#1 | anthropic/claude-sonnet-4-5 | finished | failed (exit 1) | $0.0412 | 9200 / 2100 | 48.0 s | +3 −0 in 2 files | — |',
        '| api#2 | openai/gpt-5 | finished | passed | $0.0625 | 11800 / 3900 | 1m 01s | +6 −1 in 3 files | — |',
        '| api#3 | gemini/gemini-2.5-flash | finished | passed | $0.0087 | 10400 / 2600 | 39.0 s | +4 −0 in 2 files | yes |',
        '',
        'Verdict: api#3 — passed, cheapest of 2 that passed.',
        'Applied: api#3, chosen automatically (passed, cheapest of 2 that passed).',
        '',
        '',
      ].join('\n'),
    );
    assert.doesNotMatch(renderMarkdown(reportFromEvents(raceEvents().filter((e) => !e.type.startsWith('candidate.')))), /Best of several/);
    const none = renderMarkdown(reportFromEvents(raceEvents({ chosenBy: 'user', pick: null })));
    assert.match(none, /Applied: none, your choice \(you chose to apply none\)\./);
  });
});

describe('best of several: transcripts', () => {
  it("each candidate's transcript says it raced, how its check went and whether it was applied; a race none won does not end a candidate twice", () => {
    const t = foldTranscript(raceEvents({ chosenBy: 'user', pick: null }));
    const lines = (id: string) => t.agents[id]!.filter((e) => e.kind === 'candidate').map((e) => (e.kind === 'candidate' ? `${e.step}: ${e.text}` : ''));
    assert.deepEqual(lines('backend-1'), [
      "started: api#1: one of the task's candidates, in its own copy of the workspace",
      'finished: The API and its tests. — its check `npm test` failed (exit 1); +3 −0 in 2 files',
      'not_applied: No candidate was applied, chosen by you: you chose to apply none',
    ]);
    assert.equal(t.agents['backend-3']!.filter((e) => e.kind === 'end').length, 0, 'the escalation that follows is not told as the last candidate giving up');
  });
});
