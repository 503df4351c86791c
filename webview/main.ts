// The side panel. It holds no state the log does not: it starts from the snapshot's state (the
// engine's fold of the log through `seq`), folds each batch of later events on top with the engine's
// own reducer, and redraws only the sections a batch touched (once per animation frame, however many
// events arrived). An agent's transcript is asked for when it is first opened (its events, folded
// here), then kept up to date by the batches.
import { applyEvent, initialState } from '../src/core/fold/state';
import { applyTranscript, concernsAgent, foldTranscript, type TranscriptState } from '../src/core/fold/transcript';
import type { HostMessage, WebviewMessage } from '../src/protocol';
import { registerComponents } from './components';
import { h } from './dom';
import { labelCells } from './narrow';
import { pane } from './pane';
import { phaseName } from '../src/core/fold/narrate';
import { HeaderSection, statusText } from './header';
import { PlanSection } from './plan';
import { QuestionsSection } from './questions';
import { metrics } from './metrics';
import { agentsTable, decisionsList, filesList, incidentsList, quality, Redrawn, sessions, tasksTable, timeline } from './sections';
import { KeyedTable, PagedSection } from './lists';
import { RacesSection } from './races';
import { TranscriptSection } from './transcript';
import { touches, type Section, type SectionId, type View } from './view';

declare function acquireVsCodeApi(): { postMessage(message: WebviewMessage): void };

registerComponents();
const vscode = acquireVsCodeApi();

const view: View = {
  state: initialState(),
  sessionId: null,
  sessions: [],
  live: false,
  post: (m) => vscode.postMessage(m),
  selectAgent: (agentId) => {
    view.selectedAgent = agentId;
    showTranscript();
    dirty.add('agents');
    dirty.add('candidates');
    dirty.add('transcript');
    schedule();
  },
};
let lastSeq = 0;
/** The focused session's agents whose transcript the host sent: folded through `seq`; null: asked for. */
let transcripts = new Map<string, { t: TranscriptState; seq: number } | null>();

/** Shows the selected agent's transcript, asking the host for it the first time. */
function showTranscript(): void {
  const id = view.selectedAgent;
  if (id && view.sessionId && !transcripts.has(id)) {
    transcripts.set(id, null);
    vscode.postMessage({ type: 'transcript', sessionId: view.sessionId, agentId: id });
  }
  view.transcript = (id && transcripts.get(id)?.t) || undefined;
}

function region(id: SectionId, title: string, open = true): HTMLElement {
  const { section, body } = pane(id, title, open);
  app.append(section);
  return body;
}

/** The candidates' pane, hidden in a session where no task raced. */
function racesRegion(): RacesSection {
  const { section, body } = pane('candidates', 'Candidates (best of several)');
  app.append(section);
  return new RacesSection(section, body);
}

/** The plan and the session's questions sit right under the header, not in collapsible sections: they are what the user must answer. */
function answerRegion(cls: string, label: string): HTMLElement {
  const el = h('section', { class: cls, 'aria-label': label, hidden: true });
  app.append(el);
  return el;
}

const app = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
app.replaceChildren();
const headerRoot = h('header', { class: 'section-header', 'aria-label': 'Session' });
app.append(headerRoot);
const announcer = h('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
app.append(announcer);

const header = new HeaderSection(headerRoot);
const sections: Section[] = [
  header,
  new PlanSection(answerRegion('section-plan', 'Plan')),
  new QuestionsSection(answerRegion('section-questions', 'Questions waiting for your answer')),
  new Redrawn('timeline', region('timeline', 'Timeline'), timeline),
  new KeyedTable('tasks', region('tasks', 'Tasks'), tasksTable),
  racesRegion(),
  new KeyedTable('agents', region('agents', 'Agents'), agentsTable),
  new TranscriptSection(region('transcript', 'Transcript')),
  new PagedSection('decisions', region('decisions', 'Orchestration decisions'), decisionsList),
  new PagedSection('incidents', region('incidents', 'Escalations and provider switches'), incidentsList),
  new Redrawn('metrics', region('metrics', 'Providers and roles'), metrics),
  new PagedSection('files', region('files', 'Files changed'), filesList),
  new Redrawn('quality', region('quality', 'Contract check and validation'), quality),
  new Redrawn('sessions', region('sessions', 'Sessions of this workspace', false), sessions),
];

const dirty = new Set<SectionId>();
let frame: number | undefined;
let announced = '';

function markAll(): void {
  for (const s of sections) dirty.add(s.id);
}

function schedule(): void {
  frame ??= requestAnimationFrame(render);
}

/** Redraws the dirty sections, keeping keyboard focus on the same control when it is redrawn. */
function render(): void {
  frame = undefined;
  const focused = document.activeElement instanceof HTMLElement ? document.activeElement.dataset.key : undefined;
  for (const s of sections) if (dirty.has(s.id)) s.render(view);
  dirty.clear();
  // No session yet: the header's welcome alone, not a page of empty sections.
  app.classList.toggle('no-session', !view.sessionId);
  labelCells(app);
  if (focused && !(document.activeElement instanceof HTMLElement && document.activeElement.dataset.key === focused)) {
    document.querySelector<HTMLElement>(`[data-key="${CSS.escape(focused)}"]`)?.focus();
  }
  const status = `${statusText(view)}${view.state.currentPhase ? `, ${phaseName(view.state.currentPhase)}` : ''}`;
  if (status !== announced) announcer.textContent = announced = status;
}

function updateLive(): void {
  const live = !!view.sessionId && view.sessions.some((x) => x.sessionId === view.sessionId && x.live);
  if (live !== view.live) {
    view.live = live;
    markAll();
  }
}

function onMessage(m: HostMessage): void {
  switch (m.type) {
    case 'snapshot':
      // A different session closes the open transcript; the same one (the panel reloaded) keeps it when its agent is there.
      if (m.sessionId !== view.sessionId) view.selectedAgent = undefined;
      view.sessionId = m.sessionId;
      view.sessions = m.sessions;
      view.state = m.state ?? initialState();
      if (view.selectedAgent && !view.state.agents[view.selectedAgent]) view.selectedAgent = undefined;
      lastSeq = m.seq;
      transcripts = new Map();
      showTranscript();
      view.live = !!m.sessionId && m.sessions.some((x) => x.sessionId === m.sessionId && x.live);
      for (const s of sections) s.reset();
      markAll();
      break;
    case 'events':
      if (m.sessionId !== view.sessionId) return;
      for (const e of m.events) {
        // A transcript's answer may be ahead of the state (it read the log later): each has its own seq.
        for (const [agentId, tr] of transcripts) {
          if (tr && e.seq > tr.seq && concernsAgent(e, agentId)) {
            tr.seq = e.seq;
            applyTranscript(tr.t, e);
          }
        }
        if (e.seq <= lastSeq) continue;
        lastSeq = e.seq;
        applyEvent(view.state, e);
        const t = touches(e.type);
        if (t === 'all') markAll();
        else for (const id of t) dirty.add(id);
      }
      break;
    case 'transcript':
      if (m.sessionId !== view.sessionId || transcripts.get(m.agentId) !== null) return;
      transcripts.set(m.agentId, { t: foldTranscript(m.events), seq: m.seq });
      showTranscript();
      dirty.add('transcript');
      break;
    case 'planReview':
      view.planAwaiting = m.awaiting;
      dirty.add('plan');
      dirty.add('header');
      break;
    case 'questions':
      view.questions = m.questions;
      dirty.add('questions');
      dirty.add('candidates');
      dirty.add('agents');
      dirty.add('transcript');
      break;
    case 'sessions':
      view.sessions = m.sessions;
      dirty.add('sessions');
      dirty.add('header');
      updateLive();
      break;
  }
  schedule();
}

window.addEventListener('message', (e: MessageEvent<HostMessage>) => onMessage(e.data));
setInterval(() => {
  if (view.live) header.tick(view);
}, 1000);
vscode.postMessage({ type: 'ready' });
