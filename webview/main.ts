// The side panel. It holds no state the log does not: a snapshot's events are folded with the
// engine's own reducer, then each batch of new events is folded on top, and only the sections a batch
// touched are redrawn (once per animation frame, however many events arrived).
import { applyEvent, foldEvents, initialState } from '../src/core/fold/state';
import { applyTranscript, foldTranscript, initialTranscript } from '../src/core/fold/transcript';
import type { HostMessage, WebviewMessage } from '../src/protocol';
import { registerComponents } from './components';
import { h } from './dom';
import { labelCells } from './narrow';
import { pane } from './pane';
import { phaseName } from '../src/core/fold/narrate';
import { HeaderSection, statusText } from './header';
import { PlanSection } from './plan';
import { metrics } from './metrics';
import { agents, AppendList, decisionItem, FilesSection, incidentItem, incidents, quality, Redrawn, sessions, tasks, timeline, TranscriptSection } from './sections';
import { touches, type Section, type SectionId, type View } from './view';

declare function acquireVsCodeApi(): { postMessage(message: WebviewMessage): void };

registerComponents();
const vscode = acquireVsCodeApi();

const view: View = {
  state: initialState(),
  transcript: initialTranscript(),
  sessionId: null,
  sessions: [],
  live: false,
  post: (m) => vscode.postMessage(m),
  selectAgent: (agentId) => {
    view.selectedAgent = agentId;
    dirty.add('agents');
    dirty.add('transcript');
    schedule();
  },
};
let lastSeq = 0;

function region(id: SectionId, title: string, open = true): HTMLElement {
  const { section, body } = pane(id, title, open);
  app.append(section);
  return body;
}

/** The plan sits right under the header, not in a collapsible section: it is what the user must answer. */
function planRegion(): HTMLElement {
  const el = h('section', { class: 'section-plan', 'aria-label': 'Plan', hidden: true });
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
  new PlanSection(planRegion()),
  new Redrawn('timeline', region('timeline', 'Timeline'), timeline),
  new Redrawn('tasks', region('tasks', 'Tasks'), tasks),
  new Redrawn('agents', region('agents', 'Agents'), agents),
  new TranscriptSection(region('transcript', 'Transcript')),
  new AppendList('decisions', region('decisions', 'Orchestration decisions'), (v) => v.state.decisions, decisionItem, 'No decision yet.'),
  new AppendList('incidents', region('incidents', 'Escalations and provider switches'), incidents, incidentItem, 'None so far.'),
  new Redrawn('metrics', region('metrics', 'Providers and roles'), metrics),
  new FilesSection(region('files', 'Files changed')),
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
      view.state = foldEvents(m.events, initialState());
      view.transcript = foldTranscript(m.events);
      if (view.selectedAgent && !view.state.agents[view.selectedAgent]) view.selectedAgent = undefined;
      lastSeq = m.events.reduce((x, e) => Math.max(x, e.seq), 0);
      view.live = !!m.sessionId && m.sessions.some((x) => x.sessionId === m.sessionId && x.live);
      for (const s of sections) s.reset();
      markAll();
      break;
    case 'events':
      if (m.sessionId !== view.sessionId) return;
      for (const e of m.events) {
        if (e.seq <= lastSeq) continue;
        lastSeq = e.seq;
        applyEvent(view.state, e);
        applyTranscript(view.transcript!, e);
        const t = touches(e.type);
        if (t === 'all') markAll();
        else for (const id of t) dirty.add(id);
      }
      break;
    case 'planReview':
      view.planAwaiting = m.awaiting;
      dirty.add('plan');
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
