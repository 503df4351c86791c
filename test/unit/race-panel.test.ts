// Best of several in the side panel: the real panel (webview/main.ts in jsdom, test/helpers/panel.ts)
// sent a hand-written race's log (test/helpers/race.ts) as the extension sends it — the candidates side
// by side, their figures, the verdict, each one's transcript and diff, and the user's choice when
// `candidateApproval` is "ask"; and the protocol's new messages.

import * as assert from 'node:assert/strict';
import type { EnsembleEvent } from '../../src/core/events';
import { foldEvents } from '../../src/core/fold/state';
import { summarise } from '../../src/core/fold/summary';
import type { CandidateQuestion } from '../../src/core/ports';
import { isWebviewMessage, type HostMessage, type SessionSummary } from '../../src/protocol';
import { raceViews } from '../../webview/rows';
import { Panel, snapshotOf } from '../helpers/panel';
import { RACE_SESSION, raceEvents } from '../helpers/race';

const summaryOf = (events: EnsembleEvent[], live: boolean): SessionSummary[] => [{ ...summarise(foldEvents(events))!, live }];

/** The candidates' table of task `taskId`: one array of cell texts per candidate. */
function candidateRows(p: Panel, taskId = 'api'): string[][] {
  return [...p.app.querySelectorAll(`.race[data-task="${taskId}"] tbody tr`)].map((tr) =>
    [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').replace(/\s+/g, ' ').trim()),
  );
}

/** What the engine asks the chooser for the judged race (src/core/session/candidates.ts builds it from the fold). */
function questionOf(events: EnsembleEvent[]): CandidateQuestion {
  const t = foldEvents(events).tasks.api!;
  const v = t.race!.verdict!;
  return {
    taskId: 'api',
    title: t.title,
    round: 1,
    recommended: v.winner,
    reason: v.reason,
    candidates: v.ranking.map((r) => {
      const c = t.race!.candidates.find((x) => x.candidateId === r.candidateId)!;
      return { candidateId: r.candidateId, provider: c.provider, model: c.model, passed: r.passed, costUsd: r.costUsd, files: r.files, lines: r.lines };
    }),
  };
}

describe('panel: best of several', () => {
  const open: Panel[] = [];
  const panel = () => {
    const p = new Panel();
    open.push(p);
    return p;
  };
  afterEach(() => {
    for (const p of open.splice(0)) p.close();
  });

  it('shows a race as it runs: each candidate with its provider/model, its step, no check yet and what it has cost so far', () => {
    const p = panel();
    const events = raceEvents({ until: 'running' });
    p.send(snapshotOf(RACE_SESSION, events, summaryOf(events, true)));
    const section = p.app.querySelector('.section-candidates') as HTMLElement;
    assert.equal(section.hidden, false);
    assert.equal(p.text('.race h3'), 'REST API for the todos · api');
    assert.equal(p.text('.race .verdict'), 'Best of 3: 3 running, 0 finished');
    assert.deepEqual(candidateRows(p), [
      ['anthropic / claude-sonnet-4-5', 'running · editing server.js', 'not run', '$0.0412 · 9.2k / 2.1k tokens', '—', '—'],
      ['openai / gpt-5', 'running · editing server.js', 'not run', '$0.0625 · 12k / 3.9k tokens', '—', '—'],
      ['gemini / gemini-2.5-flash', 'running · editing server.js', 'not run', '$0.0087 · 10k / 2.6k tokens', '—', '—'],
    ]);
    assert.equal(p.app.querySelectorAll('.race [data-key^="cdiff:"]').length, 0, 'no diff before a candidate has finished');
    // The tasks table says the task races, the agents table which candidate each agent is.
    assert.match(p.rows('tasks')[0]![0]!, /best of 3 · 3 running/);
    assert.deepEqual(
      p.rows('agents').map((r) => r[3]),
      // The task's model calls are all its candidates' (one each so far).
      ['REST API for the todos (3 model calls)candidate api#1', 'REST API for the todos (3 model calls)candidate api#2', 'REST API for the todos (3 model calls)candidate api#3'],
    );
  });

  it('shows the finished race — check, cost, tokens, time, change — and the verdict; batches give the same page as the snapshot', () => {
    const all = raceEvents();
    const running = raceEvents({ until: 'running' });
    const live = panel();
    live.send(snapshotOf(RACE_SESSION, running, summaryOf(running, true)));
    // The rest of the log in batches of 5, as feed.ts sends them.
    const rest = all.filter((e) => e.seq > running.at(-1)!.seq);
    // The running log's events are a prefix of the whole log's only up to the candidates' first calls: rebuild from the whole.
    const prefix = all.filter((e) => e.seq <= running.at(-1)!.seq);
    assert.deepEqual(prefix, running);
    for (let i = 0; i < rest.length; i += 5) live.send({ type: 'events', sessionId: RACE_SESSION, events: rest.slice(i, i + 5) });
    live.send({ type: 'sessions', sessions: summaryOf(all, false) });
    const fresh = panel();
    fresh.send(snapshotOf(RACE_SESSION, all, summaryOf(all, false)));
    for (const p of [live, fresh]) {
      assert.deepEqual(candidateRows(p), [
        ['anthropic / claude-sonnet-4-5', 'finished', 'failed (exit 1)', '$0.0412 · 9.2k / 2.1k tokens', '48 s', '+3 −0 in 2 files'],
        ['openai / gpt-5', 'finished', 'passed', '$0.0625 · 12k / 3.9k tokens', '1m 01s', '+6 −1 in 3 files'],
        ['gemini / gemini-2.5-flash', 'finished applied', 'passed', '$0.0087 · 10k / 2.6k tokens', '39 s', '+4 −0 in 2 files'],
      ]);
      assert.equal(p.text('.race .verdict'), 'Chosen: api#3 gemini/gemini-2.5-flash — passed, cheapest of 2 that passed');
      assert.ok(p.app.querySelector('.race .verdict.verdict-ok'));
      assert.equal(p.app.querySelectorAll('.race .race-chosen').length, 1);
      assert.match(p.rows('tasks')[0]![0]!, /best of 3 · api#3 applied/);
      // The check's command and output are in the cell's tooltip.
      assert.match((p.app.querySelector('.race tbody tr td:nth-child(3)') as HTMLElement).title, /^npm test · 4\.1 s\nnot ok 1 - lists/);
    }
    assert.equal(live.app.querySelector('#candidates-body')!.innerHTML, fresh.app.querySelector('#candidates-body')!.innerHTML);
  });

  it("opens a candidate's transcript (its agent's, like any agent's) and asks the extension for its diff", () => {
    const events = raceEvents();
    const p = panel();
    p.send(snapshotOf(RACE_SESSION, events, summaryOf(events, false)));
    (p.app.querySelector('[data-key="candidate:api#2"]') as HTMLElement).click();
    assert.deepEqual(p.posted.at(-1), { type: 'transcript', sessionId: RACE_SESSION, agentId: 'backend-2' });
    p.answerTranscripts(events);
    p.send();
    assert.match(p.text('.transcript-head'), /^backend \(backend-2\) openai \/ gpt-5/);
    const entries = [...p.app.querySelectorAll('.transcript .entry')].map((li) => (li.textContent ?? '').replace(/\s+/g, ' ').trim());
    assert.deepEqual(entries[0], "Candidate api#2: one of the task's candidates, in its own copy of the workspace");
    assert.ok(entries.includes('Candidate finished The API and its tests. — its check `npm test` passed; +6 −1 in 3 files'), entries.join('\n'));
    assert.equal(entries.at(-1), 'Not applied api#3 was applied instead, chosen by the check and the price: passed, cheapest of 2 that passed');
    assert.equal(p.app.querySelector('[data-key="candidate:api#2"]')!.getAttribute('aria-expanded'), 'true');
    (p.app.querySelector('[data-key="cdiff:api#2"]') as HTMLElement).click();
    assert.deepEqual(p.posted.at(-1), { type: 'openCandidateDiff', candidateId: 'api#2' });
    // The winner's transcript says its changes were applied (and no second "Finished" for its agent's end or the task's completion).
    (p.app.querySelector('[data-key="candidate:api#3"]') as HTMLElement).click();
    p.answerTranscripts(events);
    p.send();
    const winner = [...p.app.querySelectorAll('.transcript .entry')].map((li) => (li.textContent ?? '').replace(/\s+/g, ' ').trim());
    assert.deepEqual(winner.slice(-2), [
      'Candidate finished The API and its tests. — its check `npm test` passed; +4 −0 in 2 files',
      'Applied Its changes are applied to the workspace, chosen by the check and the price: passed, cheapest of 2 that passed',
    ]);
  });

  it('with candidateApproval "ask": the choice above the sections (recommended first, Apply None) and on each row; withdrawn, gone', () => {
    const events = raceEvents({ until: 'judged' });
    const p = panel();
    p.send(snapshotOf(RACE_SESSION, events, summaryOf(events, true)));
    assert.equal(p.text('.race .verdict'), 'Recommended: api#3 gemini/gemini-2.5-flash — passed, cheapest of 2 that passed. Waiting for your choice.');
    assert.match(p.rows('tasks')[0]![0]!, /best of 3 · waiting for your choice/);
    assert.equal(p.app.querySelectorAll('.race .race-recommended').length, 1);
    const q = questionOf(events);
    p.send({ type: 'questions', questions: [{ ...q, id: 4, kind: 'candidate' }] });
    assert.match(
      p.text('.section-questions'),
      /Which candidate's changes should be applied to task api\?\s*REST API for the todos\s*The verdict: api#3 \(gemini\/gemini-2\.5-flash\) — passed, cheapest of 2 that passed\./,
    );
    const buttons = [...p.app.querySelectorAll('.section-questions vscode-button')].map((b) => [b.textContent?.trim(), b.getAttribute('appearance')]);
    assert.deepEqual(buttons, [
      ['Apply api#3 (gemini/gemini-2.5-flash) · recommended', 'primary'],
      ['Apply api#2 (openai/gpt-5)', 'secondary'],
      ['Apply api#1 (anthropic/claude-sonnet-4-5)', 'secondary'],
      ['Apply None', 'secondary'],
    ]);
    assert.equal(p.window.document.activeElement?.closest('.answers'), null, 'no answer takes the focus');
    (p.app.querySelector('[data-key="q:4:api#2"]') as HTMLElement).click();
    assert.deepEqual(p.posted.at(-1), { type: 'chooseCandidate', id: 4, candidateId: 'api#2' });
    (p.app.querySelector('[data-key="q:4:none"]') as HTMLElement).click();
    assert.deepEqual(p.posted.at(-1), { type: 'chooseCandidate', id: 4, candidateId: null });
    (p.app.querySelector('[data-key="capply:4:api#1"]') as HTMLElement).click();
    assert.deepEqual(p.posted.at(-1), { type: 'chooseCandidate', id: 4, candidateId: 'api#1' });
    p.send({ type: 'questions', questions: [] });
    assert.equal(p.app.querySelectorAll('[data-key^="capply:"], .section-questions vscode-button').length, 0);
    // The user's pick is logged, and shown.
    const chosen = raceEvents({ chosenBy: 'user', pick: 'api#2' });
    const choice = chosen.find((e) => e.type === 'candidate.chosen')!;
    p.send({ type: 'events', sessionId: RACE_SESSION, events: [choice] });
    assert.equal(p.text('.race .verdict'), 'Chosen by you: api#2 openai/gpt-5 (the verdict: api#3, passed, cheapest of 2 that passed)');
    assert.match(p.rows('tasks')[0]![0]!, /best of 3 · api#2 applied/);
    assert.deepEqual(
      candidateRows(p).map((r) => r[1]),
      ['finished', 'finished applied', 'finished'],
    );
  });

  it('says when none was applied', () => {
    const events = raceEvents({ chosenBy: 'user', pick: null });
    const p = panel();
    p.send(snapshotOf(RACE_SESSION, events, summaryOf(events, false)));
    assert.equal(p.text('.race .verdict'), 'None applied (your choice): you chose to apply none');
    assert.ok(p.app.querySelector('.race .verdict.verdict-warn'));
    assert.equal(p.app.querySelectorAll('.race .race-chosen').length, 0);
  });

  it('hides the section in a session where no task raced, and labels every cell for the narrow layout', () => {
    const p = panel();
    const plain = raceEvents({ until: 'running' }).filter((e) => !e.type.startsWith('candidate.'));
    p.send(snapshotOf(RACE_SESSION, plain, summaryOf(plain, false)));
    assert.equal((p.app.querySelector('.section-candidates') as HTMLElement).hidden, true);
    const events = raceEvents();
    p.send(snapshotOf(RACE_SESSION, events, summaryOf(events, false)));
    assert.equal((p.app.querySelector('.section-candidates') as HTMLElement).hidden, false);
    const labels = [...p.app.querySelectorAll('.race tbody tr:first-child td')].map((td) => td.getAttribute('data-label'));
    assert.deepEqual(labels, ['Candidate', 'Status', 'Check', 'Cost', 'Time', 'Change']);
  });

  it('raceViews: a race still being judged, a candidate that gave up', () => {
    const events = raceEvents({ until: 'finished' });
    const gaveUp = events.map((e) =>
      e.type === 'candidate.finished' && e.candidateId === 'api#1'
        ? ({ ...e, outcome: 'gave_up', check: undefined, error: 'the model stopped using its tools', files: [] } as EnsembleEvent)
        : e,
    );
    const [r] = raceViews(foldEvents(gaveUp));
    assert.equal(r!.verdict, 'Best of 3: judging');
    assert.deepEqual(
      r!.candidates.map((c) => [c.status, c.check, c.checkClass, c.change, c.statusDetail]),
      [
        ['gave up', 'not run', 'none', 'no change', 'the model stopped using its tools\nThe API and its tests.'],
        ['finished', 'passed', 'ok', '+6 −1 in 3 files', 'The API and its tests.'],
        ['finished', 'passed', 'ok', '+4 −0 in 2 files', 'The API and its tests.'],
      ],
    );
  });
});

describe('protocol: best of several', () => {
  it('accepts a candidate choice (an id, or null for none) and a candidate diff request; refuses malformed ones', () => {
    assert.ok(isWebviewMessage({ type: 'chooseCandidate', id: 3, candidateId: 'api#2' }));
    assert.ok(isWebviewMessage({ type: 'chooseCandidate', id: 3, candidateId: null }));
    assert.ok(isWebviewMessage({ type: 'openCandidateDiff', candidateId: 'api#2' }));
    for (const bad of [
      { type: 'chooseCandidate', id: 0, candidateId: 'api#2' },
      { type: 'chooseCandidate', id: 1.5, candidateId: 'api#2' },
      { type: 'chooseCandidate', id: 3 },
      { type: 'chooseCandidate', id: 3, candidateId: '' },
      { type: 'chooseCandidate', id: 3, candidateId: 7 },
      { type: 'openCandidateDiff' },
      { type: 'openCandidateDiff', candidateId: 'x'.repeat(5000) },
    ])
      assert.equal(isWebviewMessage(bad), false, JSON.stringify(bad).slice(0, 80));
    // A candidate question is one of the questions the host sends.
    const m: HostMessage = {
      type: 'questions',
      questions: [{ id: 1, kind: 'candidate', taskId: 't', title: 'T', round: 1, recommended: null, reason: 'r', candidates: [] }],
    };
    assert.equal(m.questions[0]!.kind, 'candidate');
  });
});
