// The side panel's fold-to-DOM: the real panel (webview/main.ts, bundled for the browser) in a jsdom
// window, sent what the extension sends (src/vscode/feed.ts): a snapshot of the focused session's
// log, then its new events in batches, and the session list when it changes. The session is the
// offline demo's (cassette replayed through the real SDKs against the local fakes) and a scripted one.

import * as assert from 'node:assert/strict';
import type { EnsembleEvent } from '../../src/core/events';
import type { ReportJson } from '../../src/core/fold/report';
import type { HostMessage, SessionSummary } from '../../src/protocol';
import { listSessions } from '../../src/core/store/sessions';
import { foldTranscript, concernsAgent } from '../../src/core/fold/transcript';
import { openSession } from '../../src/core/store/state-snapshot';
import { foldEvents } from '../../src/core/fold/state';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { demoRun } from '../helpers/demo';
import { Panel, snapshotOf } from '../helpers/panel';
import { writesThenFinishes, conv, planStep } from '../helpers/scripted';
import { run } from '../helpers/session';
import { usd, tokens } from '../../webview/format';
import { providerColour } from '../../webview/chart';

/** Two panels show the same page; else the first difference, in a few lines. */
function assertSameDom(actual: Panel, expected: Panel, when = ''): void {
  // A running session's clock reads Date.now(): not compared (the header test checks an ended one's).
  const html = (p: Panel) => p.app.innerHTML.replace(/(<span class="elapsed">)[^<]*/g, '$1');
  const a = html(actual);
  const b = html(expected);
  if (a === b) return;
  let i = 0;
  while (a[i] === b[i]) i++;
  const section = /.*id="([\w-]+)-body"/s.exec(b.slice(0, i))?.[1] ?? 'header';
  assert.fail(`the panels differ in section ${section}${when}:\n  got      …${a.slice(Math.max(0, i - 120), i + 120)}…\n  expected …${b.slice(Math.max(0, i - 120), i + 120)}…`);
}

// As src/vscode/feed.ts sends them.
const summaries = (workspaces: string[], liveId?: string): SessionSummary[] => listSessions(workspaces).map((s) => ({ ...s.summary, live: s.sessionId === liveId }));

describe('panel', () => {
  let report: ReportJson;
  let events: EnsembleEvent[];
  let workspace: string;
  let snapshot: Extract<HostMessage, { type: 'snapshot' }>;
  const open: Panel[] = [];
  const panel = () => {
    const p = new Panel();
    open.push(p);
    return p;
  };

  before(async function () {
    this.timeout(120_000);
    const demo = await demoRun();
    ({ report, workspace } = demo);
    events = demo.events();
    snapshot = snapshotOf(report.sessionId, events, summaries([workspace]));
  });

  afterEach(() => {
    for (const p of open.splice(0)) p.close();
  });

  it('says it is ready, and until a session exists shows one welcome with Start and Demo, not empty sections', () => {
    const p = panel();
    assert.deepEqual(p.posted, [{ type: 'ready' }]);
    p.send(snapshotOf(null, []));
    assert.equal(p.text('.status'), 'no session yet');
    assert.ok(p.app.classList.contains('no-session'), 'the sections are hidden (media/panel.css .no-session .section)');
    const buttons = [...p.app.querySelectorAll('.section-header vscode-button')].map((b) => [b.textContent?.trim(), b.getAttribute('appearance')]);
    assert.deepEqual(buttons, [['Start Orchestration', 'primary'], ['Try the Demo', 'secondary']]);
    (p.app.querySelector('[data-key="ensemble.demo"]') as HTMLElement).click();
    assert.deepEqual(p.posted.at(-1), { type: 'run', command: 'ensemble.demo' });
    // A session shown: the sections are back.
    p.send(snapshot);
    assert.ok(!p.app.classList.contains('no-session'));
  });

  it('while a plan waits, its buttons are the only answers on the panel: the header shows no Cancel of its own', () => {
    const p = panel();
    const waiting = [
      { type: 'session.started', sessionId: 'w', goal: 'g', config: { orchestrator: { provider: 'o', model: 'm' }, roles: {}, maxConcurrency: 1 } },
      { type: 'plan.proposed', proposal: 1, source: 'orchestrator', rationale: 'r', tasks: [{ id: 't', title: 'T', description: 'd', role: 'a', dependsOn: [] }], estimateUsd: 0.01, unknownModels: [] },
    ].map((b, i) => ({ ...b, v: 1, seq: i + 1, ts: 1000 + i }) as EnsembleEvent);
    const live = { ...summaries([workspace])[0]!, sessionId: 'w', live: true };
    p.send(snapshotOf('w', waiting, [live]));
    assert.ok(p.app.querySelector('[data-key="ensemble.cancel"]'), 'a running session can be cancelled from the header');
    p.send({ type: 'planReview', awaiting: 1 });
    assert.equal(p.app.querySelectorAll('[data-key="ensemble.cancel"]').length, 0);
    assert.deepEqual([...p.app.querySelectorAll('vscode-button')].map((b) => b.textContent?.trim()).filter((t) => /Cancel/.test(t ?? '')), ['Cancel']);
    p.send({ type: 'planReview', awaiting: null });
    assert.equal(p.app.querySelector('[data-key="ensemble.cancel"]')?.getAttribute('appearance'), 'secondary', 'Cancel Session is not the primary action');
  });

  it('asks where the work is shown: the question above the sections, on the agent\'s row and in its transcript, none focused', () => {
    const p = panel();
    p.send(snapshotOf(report.sessionId, events, summaries([workspace], report.sessionId)));
    const agent = report.tasks[2]!; // qa-tests
    const agentId = Object.values(foldEvents(events).agents).find((a) => a.taskId === agent.id && a.role === 'qa')!.agentId;
    p.send({ type: 'questions', questions: [{ id: 7, kind: 'command', agentId, role: 'qa', taskId: agent.id, taskTitle: agent.title, command: 'npm test', cwd: '.' }] });
    assert.match(p.text('.section-questions'), /The qa agent asks to run a command\s*npm test\s*Task: qa-tests — API tests · in the workspace folder/);
    const answers = [...p.app.querySelectorAll('.section-questions vscode-button')].map((b) => b.textContent?.trim());
    assert.deepEqual(answers, ['Allow Once', 'Allow for This Session', 'Deny']);
    const row = [...p.app.querySelectorAll('#agents-body tbody tr')].find((tr) => tr.classList.contains('asking'))!;
    assert.ok(row, 'the asking agent\'s row is marked');
    assert.deepEqual([...row.querySelectorAll('.answer-icons vscode-button')].map((b) => b.getAttribute('aria-label')), ['Allow Once: npm test', 'Allow for This Session: npm test', 'Deny: npm test']);
    (row.querySelector('button.linklike') as HTMLElement).click(); // opens its transcript
    p.answerTranscripts(events);
    p.send();
    assert.deepEqual([...p.app.querySelectorAll('.transcript-question vscode-button')].map((b) => b.textContent?.trim()), ['Allow Once', 'Allow for This Session', 'Deny']);
    assert.equal(p.window.document.activeElement?.closest('.answers, .answer-icons'), null, 'no answer takes the focus: Enter decides nothing by accident');
    (p.app.querySelector('[data-key="q:7:session"]') as HTMLElement).click();
    assert.deepEqual(p.posted.at(-1), { type: 'answer', id: 7, answer: 'session' });
    // Answered (or withdrawn): gone everywhere.
    p.send({ type: 'questions', questions: [] });
    assert.equal(p.app.querySelectorAll('.answers, .answer-icons').length, 0);
    assert.equal((p.app.querySelector('.section-questions') as HTMLElement).hidden, true);
  });

  it('shows the session\'s status and the dollars the fold says in the header', () => {
    const p = panel();
    p.send(snapshot);
    assert.equal(p.text('.goal'), report.goal);
    assert.equal(p.text('.status'), 'completed');
    // An ended session shows how long it ran, not a running clock.
    const ms = Date.parse(report.endedAt!) - Date.parse(report.startedAt!);
    assert.ok(ms >= 1000 && ms < 60_000, `${ms} ms`);
    assert.equal(p.text('.status-line'), `completed · ${report.tasks.length}/${report.tasks.length} tasks done · ${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`);
    // report.json's total is checked against what the fakes served in demo.test.ts.
    assert.ok(report.metrics.costUsd.total! > 0 && report.metrics.costUsd.total! < 1);
    assert.match(p.text('.spend'), new RegExp(`^Spent \\$${report.metrics.costUsd.total!.toFixed(4).replace('.', '\\.')} \\(no budget limit\\)`));
    assert.equal(p.text('.sr-only[role=status]'), 'completed');
  });

  it('lists each agent with its status: the escalated one hands on to the orchestrator, none left active', () => {
    const p = panel();
    p.send(snapshot);
    const agents = p.rows('agents').map(([role, route, status]) => `${role} ${route} ${status}`);
    assert.deepEqual(agents, [
      'backend gemini / gemini-2.5-pro COMPLETED',
      'frontend gemini / gemini-2.5-flash COMPLETED',
      'qa openai / gpt-5-mini ESCALATED → orchestrator',
      'orchestrator anthropic / claude-opus-4-8 COMPLETED',
      // The title limit's three candidates, each an agent of the backend role.
      'backend gemini / gemini-2.5-pro COMPLETED',
      'backend openai / gpt-5 COMPLETED',
      'backend anthropic / claude-opus-4-8 COMPLETED',
    ]);
    assert.equal(p.app.querySelector('#agents-body .agent-escalated')?.textContent, 'ESCALATED → orchestrator');
  });

  it('lists each task with who finished it, and one row per changed file', () => {
    const p = panel();
    p.send(snapshot);
    // The title cell also lists the task's commands (issue 12): the title comes first.
    assert.deepEqual(p.rows('tasks').map(([title, status]) => `${title!.slice(0, report.tasks.find((t) => title!.startsWith(t.title))?.title.length ?? 0)}: ${status}`), report.tasks.map((t) => `${t.title}: completed`));
    const qaCommands = [...p.app.querySelectorAll('#tasks-body tbody tr')][2]!.querySelectorAll('li.command code');
    assert.deepEqual([...qaCommands].map((c) => c.textContent), report.commands.filter((c) => c.taskId === 'qa-tests').map((c) => c.command));
    assert.equal(p.rows('tasks')[2]![2], 'orchestrator after escalation on anthropic/claude-opus-4-8');
    const files = [...p.app.querySelectorAll('#files-body li.file')];
    assert.deepEqual(files.map((li) => li.querySelector('.file-main button')!.textContent).sort(), report.files.map((f) => f.path).sort());
    assert.equal(new Set(files.map((li) => li.querySelector('.file-main button')!.textContent)).size, files.length);
    assert.equal(p.app.querySelector<HTMLElement>('#files-body > p.muted')!.hidden, true); // no 'No file has been changed yet.'
    assert.match(p.text('#incidents-body'), /Task qa-tests escalated to the orchestrator/);
    assert.match(p.text('#incidents-body'), /Task frontend-ui: openai\/gpt-5 → gemini\/gemini-2\.5-flash/);
  });

  it('draws the same panel from events appended one by one, while live, as from the log so far at once', function () {
    this.timeout(60_000); // a whole panel drawn twice per event of the demo: ~15 s on a busy 2-core machine
    const liveList = summaries([workspace], report.sessionId);
    const live = panel();
    live.send(snapshotOf(report.sessionId, [], liveList));
    const full = panel();
    const seen = new Set<string>();
    events.forEach((e, i) => {
      live.send({ type: 'events', sessionId: report.sessionId, events: [e] });
      full.send(snapshotOf(report.sessionId, events.slice(0, i + 1), liveList));
      assertSameDom(live, full, ` after event ${e.seq} (${e.type})`);
      for (const r of live.rows('agents')) seen.add(r[2]!);
      seen.add(`status ${live.text('.status')}`);
    });
    // While it ran, the session and its agents were shown working (the status cell also shows the
    // current step: "ACTIVE editing server.js"); at the end nothing is.
    assert.ok([...seen].some((x) => x.startsWith('ACTIVE')) && seen.has('status running'), [...seen].join());
    assert.ok([...seen].some((x) => /^ACTIVE ?editing server\.js$/.test(x)), [...seen].join());
    assert.ok(!live.rows('agents').some((r) => r[2]!.startsWith('ACTIVE')), live.rows('agents').join('\n'));
    // The session ends in this window: the feed sends the list without it running.
    live.send({ type: 'sessions', sessions: snapshot.sessions });
    full.send(snapshot);
    assertSameDom(live, full, ' once it ended');
  });

  it('skips the events it already has when batches overlap the snapshot, and draws the same panel', () => {
    const full = panel();
    full.send(snapshot);
    const joined = panel();
    const half = Math.floor(events.length / 2);
    joined.send(snapshotOf(report.sessionId, events.slice(0, half), snapshot.sessions));
    // Batches already on their way repeat some of the snapshot's events (feed.ts): sent again, then the rest.
    for (let i = half - 10; i < events.length; i += 7) joined.send({ type: 'events', sessionId: report.sessionId, events: events.slice(i, i + 7) });
    // A batch of another session (the focus moved) is not this panel's.
    joined.send({ type: 'events', sessionId: 'another', events: events.slice(0, 3) });
    assertSameDom(joined, full);
  });

  /** The agent of the demo with the longest transcript. */
  const chattiest = () => Object.entries(foldTranscript(events).agents).sort((a, b) => b[1].length - a[1].length)[0]![0];
  const openTranscript = (p: Panel, agentId: string) => (p.app.querySelector(`[data-key="agent:${agentId}"]`) as HTMLElement).click();

  it('folds an agent\'s transcript from its own events (and every spawn and task event) as from the whole log', () => {
    const all = foldTranscript(events).agents;
    assert.ok(Object.keys(all).length >= 3);
    for (const agentId of Object.keys(all)) assert.deepEqual(foldTranscript(events.filter((e) => concernsAgent(e, agentId))).agents[agentId], all[agentId], agentId);
  });

  it('opens a long session from its state, not its events, and draws the same page and transcript as folding every event', () => {
    // A long log: the demo's, then thousands of streamed words of its chattiest agent (as a long answer streams).
    const agentId = chattiest();
    const long = [...events];
    const last = events.at(-1)!;
    for (let i = 1; i <= 5_000; i++) long.push({ v: last.v, seq: last.seq + i, ts: last.ts + i, type: 'agent.text', agentId, text: `word ${i} ` } as EnsembleEvent);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-panel-long-'));
    try {
      const log = long.map((e) => JSON.stringify(e)).join('\n') + '\n';
      fs.writeFileSync(path.join(dir, 'events.jsonl'), log);
      // What feed.ts sends for a session that does not run in this window.
      const opened = openSession(dir);
      const message: HostMessage = { type: 'snapshot', sessionId: report.sessionId, state: opened.state, seq: opened.seq, sessions: snapshot.sessions };
      assert.equal(opened.seq, long.at(-1)!.seq);
      assert.ok(!('events' in message));
      const size = JSON.stringify(message).length;
      assert.ok(size * 10 < log.length, `the snapshot is ${size} bytes, the log ${log.length}`);

      const fromState = panel();
      fromState.send(message);
      const folded = panel();
      folded.send(snapshotOf(report.sessionId, [], snapshot.sessions));
      for (let i = 0; i < long.length; i += 100) folded.send({ type: 'events', sessionId: report.sessionId, events: long.slice(i, i + 100) });
      assertSameDom(fromState, folded);

      // The transcript is asked for when the agent is opened, and comes folded from its events.
      for (const p of [fromState, folded]) openTranscript(p, agentId);
      assert.deepEqual(fromState.posted.at(-1), { type: 'transcript', sessionId: report.sessionId, agentId });
      fromState.answerTranscripts(long);
      folded.answerTranscripts(long);
      assert.match(fromState.text('#transcript-body'), /word 1 word 2 .*word 5000/);
      assertSameDom(fromState, folded, ' with the transcript open');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps an opened transcript up to date from batches that overlap its answer, as a panel given everything at once', () => {
    const agentId = chattiest();
    const full = panel();
    full.send(snapshot);
    openTranscript(full, agentId);
    full.answerTranscripts(events);
    const joined = panel();
    const half = Math.floor(events.length / 2);
    joined.send(snapshotOf(report.sessionId, events.slice(0, half), snapshot.sessions));
    openTranscript(joined, agentId);
    // Asked while batches were on their way: the answer (the log read later) is ahead of the state.
    joined.answerTranscripts(events.slice(0, Math.floor(events.length * 0.75)));
    for (let i = half - 10; i < events.length; i += 7) joined.send({ type: 'events', sessionId: report.sessionId, events: events.slice(i, i + 7) });
    assert.ok(full.app.querySelectorAll('#transcript-body li').length > 5);
    assertSameDom(joined, full);
  });

  it('draws the first files of a long session and more on demand (each row has buttons; the Changes view lists them all)', () => {
    const agentId = chattiest();
    const last = events.at(-1)!;
    const many = [...events];
    for (let i = 1; i <= 120; i++) many.push({ v: last.v, seq: last.seq + i, ts: last.ts + i, type: 'file.written', agentId, path: `gen/f${i}.js`, change: 'created', beforeSha: null, afterSha: 'b'.repeat(64), bytes: 10 } as EnsembleEvent);
    const total = snapshotOf(report.sessionId, many).state!.fileOrder.length;
    assert.ok(total > 120);
    const p = panel();
    p.send(snapshotOf(report.sessionId, many, snapshot.sessions));
    const drawn = () => p.app.querySelectorAll('#files-body li.file').length;
    const more = p.app.querySelector<HTMLElement>('[data-key="files:more"]')!;
    assert.equal(drawn(), 50);
    assert.equal(more.textContent, `Show 50 more (${total - 50} not shown)`);
    more.click();
    assert.equal(drawn(), 100);
    more.click();
    more.click();
    assert.equal(drawn(), total);
    assert.equal(more.hidden, true);
  });

  /** The demo's log, then `more(seq, ts)` for each of the next `n` events. */
  const longer = (n: number, more: (i: number) => Record<string, unknown>): EnsembleEvent[] => {
    const last = events.at(-1)!;
    return [...events, ...Array.from({ length: n }, (_, i) => ({ v: last.v, seq: last.seq + i + 1, ts: last.ts + i + 1, ...more(i) }) as unknown as EnsembleEvent)];
  };
  const items = (p: Panel, section: string) => [...p.app.querySelectorAll<HTMLElement>(`#${section}-body li`)];
  const control = (p: Panel, key: string) => p.app.querySelector<HTMLElement>(`[data-key="${key}"]`)!;
  /** The same DOM nodes (not equal-looking ones: deepEqual finds two <li> with the same text equal). */
  const sameNodes = (actual: Element[], expected: Element[], message: string) => {
    assert.equal(actual.length, expected.length, message);
    const i = actual.findIndex((x, j) => x !== expected[j]);
    assert.equal(i, -1, `${message}: row ${i} was redrawn`);
  };

  it('draws the newest 50 of a thousand decisions and incidents, earlier ones on demand, and adds a new one without redrawing the others', () => {
    const agentId = chattiest();
    // 1,000 decisions, then 1,000 incidents of each kind the section lists, in turn.
    const kinds = [
      (i: number) => ({ type: 'provider.switched', taskId: 'frontend-ui', agentId, from: { provider: 'openai', model: 'gpt-5' }, to: { provider: 'gemini', model: 'gemini-2.5-flash' }, reason: `switch ${i}` }),
      (i: number) => ({ type: 'file.refused', agentId, path: `.git/x${i}`, reason: 'protected', message: `refusal ${i}` }),
      (i: number) => ({ type: 'llm.error', callId: `e${i}`, agentId, provider: 'openai', model: 'gpt-5', latencyMs: 1, code: 'quota', retryable: false, message: `quota ${i}` }),
      (i: number) => ({ type: 'task.escalated', taskId: 'qa-tests', reason: `escalation ${i}` }),
    ];
    const many = longer(2_000, (i) => (i < 1_000 ? { type: 'decision', kind: 'fix', taskId: 'qa-tests', summary: `decision ${i}`, rationale: `because ${i}` } : kinds[i % 4]!(i)));
    const state = snapshotOf(report.sessionId, many).state!;
    const decisions = state.decisions.length;
    const incidents = state.escalations.length + state.switches.length + state.refusals.length + state.providerAlerts.length;
    assert.ok(decisions > 1_000 && incidents > 1_000, `${decisions} decisions, ${incidents} incidents`);
    const liveList = summaries([workspace], report.sessionId);
    const p = panel();
    p.send(snapshotOf(report.sessionId, many, liveList));
    const why = (li: HTMLElement) => li.querySelector('.why')!.textContent;

    // The newest, oldest first as the log has them; the controls say how many are not shown.
    assert.deepEqual(items(p, 'decisions').map(why), Array.from({ length: 50 }, (_, i) => `because ${950 + i}`));
    assert.deepEqual(items(p, 'incidents').map(why), Array.from({ length: 50 }, (_, i) => `${['switch', 'refusal', 'quota', 'escalation'][(1_950 + i) % 4]} ${1_950 + i}`));
    for (const [section, total] of [['decisions', decisions], ['incidents', incidents]] as const) {
      assert.equal(control(p, `${section}:more`).textContent, `Show 50 earlier (${(total - 50).toLocaleString('en')} not shown)`);
      assert.equal(control(p, `${section}:all`).textContent, `Show all (${total.toLocaleString('en')})`);
      // Above the list, where the earlier entries would be; the list is still a list of items.
      assert.equal(control(p, `${section}:more`).parentElement!.nextElementSibling!.tagName, 'OL');
      assert.equal(control(p, `${section}:more`).tagName, 'VSCODE-BUTTON');
      assert.equal(control(p, `${section}:more`).querySelector('.codicon')?.className, 'codicon codicon-chevron-up');
    }

    // A new decision and a new incident come in a later batch: appended, the oldest drawn one goes, no other row is redrawn.
    const before = { decisions: items(p, 'decisions'), incidents: items(p, 'incidents') };
    const last = many.at(-1)!;
    const next = [
      { v: last.v, seq: last.seq + 1, ts: last.ts + 1, type: 'decision', kind: 'skip', taskId: 'qa-tests', summary: 'a new one', rationale: 'because new' },
      { v: last.v, seq: last.seq + 2, ts: last.ts + 2, type: 'task.escalated', taskId: 'qa-tests', reason: 'escalation new' },
    ] as EnsembleEvent[];
    // Every change to the two lists is recorded: each should get one row added and one removed, nothing moved.
    const observer = new p.window.MutationObserver(() => {});
    for (const section of ['decisions', 'incidents']) observer.observe(p.app.querySelector(`#${section}-body ol`)!, { childList: true });
    p.send({ type: 'events', sessionId: report.sessionId, events: next });
    const changes = observer.takeRecords();
    observer.disconnect();
    for (const section of ['decisions', 'incidents'] as const) {
      const mine = changes.filter((r) => (r.target as Element).closest(`#${section}-body`));
      assert.deepEqual([mine.reduce((n, r) => n + r.addedNodes.length, 0), mine.reduce((n, r) => n + r.removedNodes.length, 0)], [1, 1], `${section}: rows added and removed`);
      const now = items(p, section);
      assert.equal(now.length, 50);
      sameNodes(now.slice(0, 49), before[section].slice(1), `${section}: the rows that stay`);
      assert.equal(why(now[49]!), section === 'decisions' ? 'because new' : 'escalation new');
      assert.ok(!before[section][0]!.isConnected);
    }
    assert.equal(control(p, 'decisions:more').textContent, `Show 50 earlier (${(decisions + 1 - 50).toLocaleString('en')} not shown)`);
    // The toolkit draws every <span> slotted into a button as a 16 px icon: a text button's label is text.
    for (const b of p.app.querySelectorAll('vscode-button:not([appearance="icon"])')) {
      assert.deepEqual([...b.children].filter((c) => c.tagName === 'SPAN' && c.getAttribute('slot') !== 'start').map((c) => c.outerHTML), [], b.outerHTML);
    }
    // The same page as a panel sent the log so far at once.
    const whole = panel();
    whole.send(snapshotOf(report.sessionId, [...many, ...next], liveList));
    assertSameDom(p, whole);

    // Show more: 50 earlier ones above, the drawn ones kept; Show all: every one, and no control.
    const shown = items(p, 'decisions');
    control(p, 'decisions:more').click();
    assert.equal(items(p, 'decisions').length, 100);
    sameNodes(items(p, 'decisions').slice(50), shown, 'the rows shown before');
    assert.equal(why(items(p, 'decisions')[0]!), 'because 901');
    const hundred = items(p, 'decisions');
    control(p, 'decisions:all').focus();
    assert.equal(p.window.document.activeElement, control(p, 'decisions:all'));
    control(p, 'decisions:all').click();
    // The control is gone: the keyboard focus goes to the list it showed, not to the page's start.
    assert.equal(p.window.document.activeElement, p.app.querySelector('#decisions-body ol'));
    assert.equal(items(p, 'decisions').length, decisions + 1);
    sameNodes(items(p, 'decisions').slice(-100), hundred, 'the rows shown before');
    assert.equal(control(p, 'decisions:more').parentElement!.hidden, true);
    assert.equal(items(p, 'incidents').length, 50, 'each list has its own window');
    // Another session starts again from the newest 50.
    p.send(snapshot);
    p.send(snapshotOf(report.sessionId, many, liveList));
    assert.equal(items(p, 'decisions').length, 50);
  });

  it('opens a long transcript at its newest 50 entries, keeps them live, and shows earlier ones on demand', () => {
    const agentId = chattiest();
    const before = foldTranscript(events).agents[agentId]!.length;
    // 2,000 tool calls, each an entry that its result updates.
    const many = longer(4_000, (i) => (i % 2 ? { type: 'tool.result', agentId, tool: 'read_file', ok: true, summary: `result ${i >> 1}` } : { type: 'tool.called', agentId, tool: 'read_file', summary: `call ${i >> 1}` }));
    const total = before + 2_000;
    const p = panel();
    p.send(snapshotOf(report.sessionId, many, summaries([workspace], report.sessionId)));
    openTranscript(p, agentId);
    p.answerTranscripts(many);
    const label = (li: HTMLElement) => (li.textContent ?? '').trim();
    assert.deepEqual(items(p, 'transcript').map(label), Array.from({ length: 50 }, (_, i) => `read_file call ${1_950 + i} result ${1_950 + i}`));
    assert.equal(control(p, 'transcript:more').textContent, `Show 50 earlier (${(total - 50).toLocaleString('en')} not shown)`);

    // A new call, then its result: one entry added, then only it redrawn.
    const drawn = items(p, 'transcript');
    const last = many.at(-1)!;
    const ev = (i: number, body: Record<string, unknown>) => ({ v: last.v, seq: last.seq + i, ts: last.ts + i, ...body }) as unknown as EnsembleEvent;
    p.send({ type: 'events', sessionId: report.sessionId, events: [ev(1, { type: 'tool.called', agentId, tool: 'list_files', summary: 'src' })] });
    let now = items(p, 'transcript');
    sameNodes(now.slice(0, 49), drawn.slice(1), 'the entries that stay');
    assert.equal(label(now[49]!), 'list_files src running…');
    p.send({ type: 'events', sessionId: report.sessionId, events: [ev(2, { type: 'tool.result', agentId, tool: 'list_files', ok: true, summary: '3 files' })] });
    now = items(p, 'transcript');
    sameNodes(now.slice(0, 49), drawn.slice(1), 'the entries that stay');
    assert.equal(label(now[49]!), 'list_files src 3 files');

    control(p, 'transcript:more').click();
    assert.equal(items(p, 'transcript').length, 100);
    assert.equal(label(items(p, 'transcript')[0]!), `read_file call 1901 result 1901`);
    // Closed and opened again: from its newest 50.
    openTranscript(p, agentId);
    p.send();
    assert.equal(items(p, 'transcript').length, 0);
    openTranscript(p, agentId);
    p.send();
    assert.equal(items(p, 'transcript').length, 50);
  });

  it('forgets the previous session when another one is shown', async function () {
    this.timeout(30_000);
    const second = run('Write one file', {
      orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 'only', role: 'a' }]) : { text: 'no' }),
      p1: writesThenFinishes({ 'notes.txt': 'hello' }),
      p2: () => ({ text: 'unused' }),
    });
    await second.handle.done;
    const both = summaries([workspace, second.workspace]);
    const secondSnapshot: HostMessage = snapshotOf(second.handle.sessionId, second.events(), both);
    const fresh = panel();
    fresh.send(secondSnapshot);
    const reused = panel();
    reused.send({ ...snapshot, sessions: both });
    reused.send(secondSnapshot);
    assertSameDom(reused, fresh);
    assert.deepEqual([...reused.app.querySelectorAll('#files-body li.file .file-main button')].map((b) => b.textContent), ['notes.txt']);
    assert.equal(reused.text('.goal'), 'Write one file');
    // And back: the demo again, as drawn the first time.
    const demoOnly = panel();
    demoOnly.send({ ...snapshot, sessions: both });
    reused.send({ ...snapshot, sessions: both });
    assertSameDom(reused, demoOnly);
  });

  it('says the same dollars and tokens as report.json: header, per provider, per role, per task', () => {
    const p = panel();
    p.send(snapshot);
    const m = report.metrics;
    assert.match(p.text('.spend'), new RegExp(`^Spent ${usd(m.costUsd.total).replace(/[$.]/g, '\\$&')} `));
    // The two tables of the metrics section: per provider, then per role (name, cost, tokens in / out, calls, failed, …).
    const [byProvider, byRole] = [...p.app.querySelectorAll('#metrics-body table')].map((t) => [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
    assert.deepEqual(
      byProvider!.map((r) => r.slice(0, 3)),
      Object.entries(m.tokens).map(([id, t]) => [id, usd(m.costUsd[id]), `${tokens(t.input + t.cachedInput + t.cacheWrite)} / ${tokens(t.output)}`]),
    );
    assert.equal(byProvider!.reduce((a, r) => a + Number(r[3]), 0), m.calls);
    assert.equal(byProvider!.reduce((a, r) => a + Number(r[4]), 0), m.failures);
    assert.deepEqual(byRole!.map((r) => [r[0], r[1], r[3]]), Object.entries(m.byRole).map(([role, f]) => [role, usd(f.costUsd), String(f.calls)]));
    assert.deepEqual(byRole!.map((r) => r[2]!.split(' / ')[1]), Object.values(m.byRole).map((f) => tokens(f.output)));
    // Each task's cost, and its split by who spent it (a task worked on by more than one route).
    const rows = [...p.app.querySelectorAll('#tasks-body tbody tr')];
    assert.deepEqual(rows.map((tr) => tr.querySelector('td:nth-child(4) .num')?.textContent), report.tasks.map((t) => usd(t.costUsd)));
    for (const [i, t] of report.tasks.entries()) {
      const lines = [...rows[i]!.querySelectorAll('.spent-by li')].map((li) => li.textContent);
      assert.deepEqual(lines, t.spentBy.length > 1 ? t.spentBy.map((x) => `${x.role} on ${x.provider}/${x.model}: ${usd(x.costUsd)} · ${x.calls} call${x.calls === 1 ? '' : 's'} · ${tokens(x.tokens.input + x.tokens.cachedInput)} / ${tokens(x.tokens.output)} tokens`) : []);
    }
    assert.ok(report.tasks.some((t) => t.spentBy.length > 1), 'the demo has a task split between routes (the provider switch)');
  });

  it('draws each provider in its own colour (by id, not by its place), with its name beside each bar and swatch', () => {
    const p = panel();
    p.send(snapshot);
    const bars = [...p.app.querySelectorAll('#metrics-body svg.chart rect.chart-bar')];
    assert.deepEqual(Object.fromEntries(bars.map((b) => [b.getAttribute('data-provider'), b.getAttribute('class')])), { anthropic: 'chart-bar chart-purple', gemini: 'chart-bar chart-blue', openai: 'chart-bar chart-green' });
    // The chart's labels are text (not colour alone), and the provider table's swatches are its legend.
    assert.deepEqual([...p.app.querySelectorAll('#metrics-body svg.chart text.chart-label')].map((t) => t.textContent), Object.keys(report.metrics.tokens));
    const swatches = [...p.app.querySelectorAll('#metrics-body table:first-of-type tbody th')].map((th) => `${th.textContent} ${th.querySelector('.swatch')?.getAttribute('class')}`);
    assert.deepEqual(swatches, Object.keys(report.metrics.tokens).map((id) => `${id} swatch chart-${providerColour(id)}`));
    // Another id: a stable colour from the palette, the same each time.
    assert.equal(providerColour('ollama'), providerColour('ollama'));
    assert.deepEqual(['a', 'b', 'c', 'd', 'e', 'f', 'ollama', 'mistral'].map(providerColour).filter((c, i, all) => all.indexOf(c) === i).sort(), ['blue', 'green', 'purple', 'red'], 'the hash spreads ids over the palette');
  });

  it('labels every table cell with its column, for the narrow layout\'s cards', () => {
    const p = panel();
    p.send(snapshot);
    const tables = [...p.app.querySelectorAll('table.grid')];
    assert.ok(tables.length >= 4);
    for (const t of tables) {
      const heads = [...t.querySelectorAll('thead th')].map((th) => th.textContent);
      for (const tr of t.querySelectorAll('tbody tr')) assert.deepEqual([...tr.children].map((c) => c.getAttribute('data-label')), heads);
    }
  });

  it('has view-pane section headers: a button with a chevron that toggles its section and says so', () => {
    const p = panel();
    p.send(snapshot);
    const toggle = p.app.querySelector<HTMLElement>('#timeline-title')!;
    const body = p.app.querySelector<HTMLElement>('#timeline-body')!;
    assert.equal(toggle.tagName, 'BUTTON');
    assert.equal(toggle.closest('h2')?.className, 'pane-header');
    assert.equal(toggle.getAttribute('aria-controls'), 'timeline-body');
    const state = () => [toggle.getAttribute('aria-expanded'), body.hidden, toggle.querySelector('.codicon')!.classList.contains('codicon-chevron-down')];
    assert.deepEqual(state(), ['true', false, true]);
    toggle.click();
    assert.deepEqual(state(), ['false', true, false]);
    toggle.click();
    assert.deepEqual(state(), ['true', false, true]);
    // The sessions list starts collapsed; no section is an HTML <details> any more.
    assert.equal(p.app.querySelector('#sessions-title')!.getAttribute('aria-expanded'), 'false');
    assert.equal(p.app.querySelectorAll('details, summary').length, 0);
  });

  it('gives each file codicon buttons with labels: Open Changes always, Keep and Revert once the session has ended', () => {
    const live = panel();
    live.send({ ...snapshot, sessions: summaries([workspace], report.sessionId) });
    const file = report.files[0]!.path;
    const actions = (p: Panel) => [...p.app.querySelectorAll(`#files-body li.file:first-child .file-actions [aria-label]`)].map((b) => `${b.getAttribute('aria-label')} | ${b.getAttribute('title')} | ${b.querySelector('.codicon')?.className} | ${(b.textContent ?? '').trim()}`);
    assert.equal(live.text(`#files-body li.file:first-child .file-main button`), file);
    assert.deepEqual(actions(live), [`Open Changes: ${file} | Open Changes: ${file} | codicon codicon-git-compare | `], 'no decision while the session runs');
    const ended = panel();
    ended.send(snapshot);
    assert.deepEqual(actions(ended), [
      `Open Changes: ${file} | Open Changes: ${file} | codicon codicon-git-compare | `,
      `Keep ${file} | Keep ${file} | codicon codicon-check | `,
      `Revert ${file} | Revert ${file} | codicon codicon-discard | `,
    ]);
    (ended.app.querySelector(`[data-key="open:${file}"]`) as HTMLElement).click();
    assert.deepEqual(ended.posted.at(-1), { type: 'openDiff', path: file });
  });

  it('posts the user\'s actions to the extension: open a diff, keep a file, run a command', () => {
    const p = panel();
    p.send(snapshot);
    const file = report.files[0]!.path;
    const click = (selector: string) => (p.app.querySelector(selector) as HTMLElement).click();
    click(`[data-key="diff:${file}"]`);
    click(`[data-key="keep:${file}"]`);
    click('[data-key="ensemble.openReport"]');
    assert.deepEqual(p.posted.slice(1), [
      { type: 'openDiff', path: file },
      { type: 'review', path: file, action: 'keep' },
      { type: 'run', command: 'ensemble.openReport' },
    ]);
  });
});
