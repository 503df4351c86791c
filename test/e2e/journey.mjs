#!/usr/bin/env node
// The whole user journey, in a real VS Code, with the extension installed as a user installs it.
//
//   A user installs Ensemble (the packaged .vsix) into VS Code (code-server's VS Code 1.139), opens
//   an empty folder and, with their provider keys in the environment, asks for a "Simple todo list
//   web app". With the keyboard alone they start it from the pre-flight view and approve the plan
//   the panel shows them. They watch the Ensemble panel: the phase moves on, the agents show their
//   providers and statuses, tokens and dollars rise. They cancel the session (no agent is left at
//   work), then resume it: a provider is switched and a task is escalated, the files appear in the
//   folder, the session completes, the first run's agents still read CANCELLED. They open the
//   report, review the changes in a diff, revert the stylesheet and keep the rest; then look at the
//   panel in a narrow (300 px) side bar and in a light and a high-contrast theme.
//
// The "providers" are `ensemble serve`: the demo cassette replayed by local servers on 127.0.0.1
// that speak each provider's wire protocol; the extension reaches them through the documented
// OPENAI_/ANTHROPIC_/GEMINI_ BASE_URL and API_KEY variables (no SecretStorage). Each answer is given
// a latency (--latency, default 500 ms: the cassette format's `delayMs`) so that the session lasts
// a few seconds and can be watched while it runs, as a real one would be; and the OpenAI outage
// lasts as many attempts as the extension makes (see fixtureCassette).
//
//   node test/e2e/journey.mjs [--vsix <file>] [--latency <ms>] [--update-screenshot]
//     --vsix                skip `npm run package` and install this .vsix
//     --latency             per-answer latency of the fake providers (ms)
//     --update-screenshot   also write the panel's screenshot to media/panel.png
//
// Screenshots: test-results/journey-<n>-<step>.png; on failure test-results/journey-FAILED-<step>.png,
// the last panel reading, the code-server and extension-host log tails and the serve output are
// printed, and the exit code is 1 (2: the watchdog expired). Everything started is stopped either way.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  ROOT, RESULTS_DIR, log, waitFor, startCodeServer, launchBrowser, openWorkbench, runCommand,
  screenshot, runScenario, packageExtension,
} from './server.mjs';

const { values: opts } = parseArgs({
  options: {
    vsix: { type: 'string' },
    latency: { type: 'string', default: '500' },
    'update-screenshot': { type: 'boolean', default: false },
  },
});

const GOAL = 'Simple todo list web app';
const EXT_ID = 'ensemble-dev.ensemble';
const PANEL_FRAME = `iframe.webview.ready[src*="extensionId=${EXT_ID}"]`;
const PREVIEW_FRAME = 'iframe.webview.ready[src*="extensionId=vscode.markdown-language-features"]';
const ACTIVITY = '.part.activitybar .action-item a[aria-label^="Ensemble"]';
const QUICK = '.quick-input-widget';
const SIDEBAR_WIDTH = 560;                 // px: the panel's screenshot must be readable
const WATCHDOG_MS = 6 * 60 * 1000;         // the whole journey, whatever happens
const EXPECTED_FILES = ['package.json', 'server.js', 'public/index.html', 'public/app.js', 'public/styles.css', 'test/server.test.js'];

// The settings of a user whose roles match the demo cassette's config (demo/todo-app.cassette.json).
const SETTINGS = {
  'ensemble.orchestrator': { provider: 'anthropic', model: 'claude-opus-4-8' },
  'ensemble.roles': {
    frontend: { provider: 'openai', model: 'gpt-5', fallback: { provider: 'gemini', model: 'gemini-2.5-flash' }, description: 'Front-end specialist: HTML, CSS, browser JavaScript, accessibility.' },
    backend: { provider: 'gemini', model: 'gemini-2.5-pro', fallback: { provider: 'openai', model: 'gpt-5' }, description: 'Back-end specialist: Node.js servers, HTTP APIs, data storage.' },
    qa: { provider: 'openai', model: 'gpt-5-mini', description: 'QA specialist: automated tests with node:test, test data, edge cases.' },
  },
  'ensemble.validation.runTests': 'always',
  // The plan waits for the user's approval (the default), given in the panel with the keyboard.
  'ensemble.planApproval': 'ask',
  // No command is allowed by the settings: the qa agent's `npm test` is asked about, in the panel (and a
  // notification), and the user allows it there.
  'ensemble.commands': { run: 'ask', allow: [] },
  'workbench.colorTheme': 'Default Dark Modern',
};
// The themes' names in the Color Theme picker.
const THEMES = { dark: 'Dark Modern', light: 'Light Modern', 'high-contrast': 'Dark High Contrast' };
const NARROW_WIDTH = 300;                  // px: a narrow side bar
const MAX_SHOT_HEIGHT = 4000;              // px: the tallest window a panel screenshot makes
const AT_WORK = /^(SPAWNING|READY|ACTIVE)$/;

// What the panel may show for each role's agent: its model, or its fallback after a switch.
const ROLE_MODELS = {
  orchestrator: ['anthropic / claude-opus-4-8'],
  ...Object.fromEntries(Object.entries(SETTINGS['ensemble.roles']).map(([role, r]) => [role, [r, r.fallback].filter(Boolean).map((m) => `${m.provider} / ${m.model}`)])),
};

// ------------------------------------------------------------------------------ the fake providers

let serveProc = null;
let serveLog = '';

/** `node dist/cli.js serve <cassette>`: resolves to the environment it prints (…_BASE_URL, …_API_KEY). */
async function startProviders(cassette) {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'serve', cassette], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  serveProc = child;
  const env = {};
  let out = '';
  let exited = null;
  child.stdout.on('data', (d) => { out += d; serveLog += d; });
  child.stderr.on('data', (d) => { serveLog += d; });
  child.once('exit', (code, signal) => { exited = { code, signal }; });
  await waitFor(() => {
    if (exited) throw Object.assign(new Error(`ensemble serve exited early (${JSON.stringify(exited)}):\n${serveLog}`), { fatal: true });
    for (const line of out.split('\n')) {
      const m = /^([A-Z0-9_]+_(?:BASE_URL|API_KEY))=(.+)$/.exec(line.trim());
      if (m) env[m[1]] = m[2];
    }
    return /until Ctrl-C/.test(serveLog) && ['OPENAI', 'ANTHROPIC', 'GEMINI'].every((p) => env[`${p}_BASE_URL`] && env[`${p}_API_KEY`]);
  }, { timeout: 20000, what: 'ensemble serve to print the provider environment' });
  for (const [k, v] of Object.entries(env)) if (k.endsWith('_BASE_URL') && !/^http:\/\/127\.0\.0\.1:\d+/.test(v)) throw new Error(`${k}=${v} is not on 127.0.0.1`);
  return env;
}

async function stopProviders() {
  const child = serveProc;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}
process.once('exit', () => { if (serveProc && serveProc.exitCode === null) try { serveProc.kill('SIGKILL'); } catch { /* gone */ } });

/**
 * The demo cassette, with two changes for this test:
 *  - every answer is given `latencyMs` (the cassette format's delayMs), so the session can be watched;
 *  - the OpenAI outage of the frontend task is recorded for as many attempts as the extension
 *    makes. The cassette was recorded with retry.maxRetries 2 (3 attempts), but the extension has
 *    no `ensemble.retry` setting, so it uses the engine's default of 3 retries (4 attempts). With 3
 *    recorded faults, the 4th attempt's answer depends on what the fake does after the recorded
 *    faults (src/cassette/handler.ts used to answer "the cassette's answers … are used up", a 400,
 *    and the switch was then reported with that reason); recorded 4 times, it is the 503 either way.
 */
const EXTENSION_ATTEMPTS = 4;
/** What the user tells the frontend agent mid-run. */
const NOTE = 'Keep the page accessible: label every control.';
function fixtureCassette(dir, latencyMs) {
  const cassette = JSON.parse(fs.readFileSync(path.join(ROOT, 'demo/todo-app.cassette.json'), 'utf8'));
  for (const e of cassette.entries) {
    if (e.reply && latencyMs > 0) e.reply.delayMs = latencyMs;
    if (e.fault && e.key === 'task/frontend-ui#1' && e.provider === 'openai' && e.fault.status === 503) e.times = EXTENSION_ATTEMPTS;
  }
  const file = path.join(dir, 'journey.cassette.json');
  fs.writeFileSync(file, JSON.stringify(cassette));
  return file;
}

// ------------------------------------------------------------------------------------ the panel

const panelFrame = (page) => page.frameLocator(PANEL_FRAME).first().frameLocator('#active-frame');

/** What the Ensemble panel shows now, read from its DOM (one round trip). */
async function readPanel(page) {
  return panelFrame(page).locator('#app').evaluate((app) => {
    const text = (el) => (el ? el.textContent.replace(/\s+/g, ' ').trim() : '');
    const statusLine = text(app.querySelector('.status-line'));
    const parts = statusLine.split(' · ');
    const phases = ['setup', 'planning', 'development', 'integration', 'validation', 'report'];
    const spend = text(app.querySelector('.spend span'));
    const usd = /Spent \$([0-9.]+)/.exec(spend);
    const rows = (sel) => [...app.querySelectorAll(sel)].map((tr) => [...tr.children].map(text));
    const tok = (s) => { const m = /^([0-9.]+)([kM]?)$/.exec(s.trim()); return m ? Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : 1) : 0; };
    const perProvider = app.querySelector('.section-metrics table');   // the first table: per provider
    const providers = perProvider ? [...perProvider.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map(text)) : [];
    return {
      status: text(app.querySelector('.status-line .status')),
      phase: phases.find((p) => parts.some((x) => x.toLowerCase() === p)) ?? null,
      statusLine,
      spend,
      usd: usd ? Number(usd[1]) : null,
      tokens: providers.reduce((a, r) => a + r[2].split('/').reduce((b, x) => b + tok(x), 0), 0),
      providers,
      // The role is the transcript's button (a working agent's row also has a Message button); the status
      // is its pill (a working agent's current step follows it).
      agents: [...app.querySelectorAll('.section-agents tbody tr')].map((tr) => {
        const [, providerModel, , task] = [...tr.children].map(text);
        return { role: text(tr.querySelector('td button.linklike')), providerModel, status: text(tr.querySelector('.agent')), step: text(tr.querySelector('.step')), task };
      }),
      incidents: [...app.querySelectorAll('.section-incidents li.incident')].map((li) => ({ kind: li.className.replace(/.*incident-/, ''), text: text(li.querySelector('strong')), why: text(li.querySelector('.why')) })),
      files: [...app.querySelectorAll('.section-files li.file')].map((li) => ({ path: text(li.querySelector('.file-main button')), pills: [...li.querySelectorAll('.pill')].map(text), who: text(li.querySelector('.file-main .muted')?.lastChild), actions: [...li.querySelectorAll('.file-actions [aria-label]')].map((b) => b.getAttribute('aria-label')) })),
      quality: text(app.querySelector('.section-quality .body')),
      timeline: [...app.querySelectorAll('.section-timeline li.phase')].map((li) => text(li)),
      plan: text(app.querySelector('.section-plan')),
      tasks: rows('.section-tasks tbody tr').map(([title, status]) => ({ title, status })),
      questions: text(app.querySelector('.section-questions:not([hidden])')),
      planTasks: rows('.section-plan tbody tr').map((r) => r[0]),
      // The control with the keyboard focus (data-key), and whether the panel's document has it.
      focused: document.hasFocus() ? (document.activeElement?.getAttribute('data-key') ?? document.activeElement?.tagName ?? null) : null,
    };
  }, null, { timeout: 10000 });
}

/** Waits until the panel shows what `cond` accepts; every reading is kept in `history`. */
const history = [];
async function panelUntil(page, what, cond, timeout = 60000) {
  return waitFor(async () => {
    const s = await readPanel(page);
    s.at = Date.now();
    const prev = history[history.length - 1];
    if (!prev || JSON.stringify({ ...prev, at: 0 }) !== JSON.stringify({ ...s, at: 0 })) history.push(s);
    return cond(s) ? s : null;
  }, { timeout, interval: 100, what: `the panel to show ${what}` });
}

// --------------------------------------------------------------------------------- the workbench

async function quickInputTitled(page, title, timeout = 20000) {
  await page.locator(`${QUICK} .quick-input-title`, { hasText: title }).first().waitFor({ state: 'visible', timeout });
}

async function quickRows(page) {
  return page.locator(`${QUICK} .monaco-list-row`).evaluateAll((rows) => rows.map((r) => (r.getAttribute('aria-label') || r.textContent || '').replace(/\s+/g, ' ').trim()));
}

/** A notification (toast, or the notification center's list) whose message contains `text`. */
function notification(page, text) {
  return page.locator('.notification-toast .notification-list-item, .notifications-center .notification-list-item', { hasText: text }).first();
}

/** Drags the sash at the side bar's right edge (as a user would) until the side bar is `width` px wide. */
async function widenSideBar(page, width) {
  const bar = await page.locator('.part.sidebar').boundingBox();
  const sash = await page.locator('.monaco-sash.primary-sidebar-sash').boundingBox();
  if (!bar || !sash) throw new Error('no side bar or side-bar sash');
  const x = sash.x + sash.width / 2;
  const y = sash.y + sash.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + (width - bar.width) / 2, y, { steps: 5 });
  await page.mouse.move(x + (width - bar.width), y, { steps: 5 });
  await page.mouse.up();
  await waitFor(async () => Math.abs((await page.locator('.part.sidebar').boundingBox()).width - width) < 30, { timeout: 5000, what: `the side bar to be ${width}px wide` });
}

function treeRow(page, file) {
  return page.locator(`.part.sidebar .monaco-list-row[aria-label^="${file}, "]`).first();
}

const exists = (ws, rel) => fs.existsSync(path.join(ws, rel));

// ------------------------------------------------------------------------------------- the story

let page = null;
let server = null;

/** One step of the story (set by runScenario: numbered, logged, screenshot after). */
let step;
/** Shared with runScenario, so that a failure is photographed. */
let ctx;

async function journey(tmp) {
  let vsix = opts.vsix ? path.resolve(opts.vsix) : null;
  let env;
  let ws;

  await step('install', async () => {
    vsix ??= packageExtension(tmp);
    if (!fs.existsSync(vsix)) throw new Error(`${vsix} not found`);
    log(`package: ${path.relative(ROOT, vsix)} (${(fs.statSync(vsix).size / 1e3).toFixed(0)} kB)`);
    env = await startProviders(fixtureCassette(tmp, Number(opts.latency)));
    log(`providers: ${Object.entries(env).filter(([k]) => k.endsWith('_BASE_URL')).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    server = await startCodeServer({ vsix, env, settings: SETTINGS });
    ws = server.workspace;
    ({ page } = await launchBrowser({ dir: path.join(server.dir, 'tmp'), viewport: { width: 1500, height: 1000 } }));
    ctx.page = page;
    await openWorkbench(page, { server, folder: ws });
    await page.locator(ACTIVITY).first().waitFor({ timeout: 60000 });
  });

  await step('open-panel', async () => {
    await page.locator(ACTIVITY).first().click();
    const p = await panelUntil(page, 'that there is no session yet', (s) => s.status === 'no session yet', 30000);
    log(`panel: "${p.statusLine}"`);
    await widenSideBar(page, SIDEBAR_WIDTH);
    // One welcome with Start and Demo until a session exists, not a page of empty sections.
    const welcome = await panelFrame(page).locator('#app').evaluate((app) => {
      const shown = (el) => el.getBoundingClientRect().height > 0;
      return { sections: [...app.querySelectorAll('section')].filter(shown).map((s) => s.className), buttons: [...app.querySelectorAll('vscode-button')].filter(shown).map((b) => b.textContent.trim()) };
    });
    log(`welcome: buttons ${JSON.stringify(welcome.buttons)}; sections shown: ${welcome.sections.length}`);
    if (welcome.sections.length) throw new Error(`sections shown before any session: ${welcome.sections.join(', ')}`);
    if (JSON.stringify(welcome.buttons) !== JSON.stringify(['Start Orchestration', 'Try the Demo'])) throw new Error(`the welcome's buttons: ${JSON.stringify(welcome.buttons)}`);
    await screenshot(page, `journey-${ctx.stepNo}-welcome`);
  });

  await step('start', async () => {
    await runCommand(page, 'Ensemble: Start Orchestration', { waitHidden: false });
    await quickInputTitled(page, 'Ensemble: Start Orchestration');
    await page.locator(`${QUICK} .quick-input-box input`).fill(GOAL);
    await page.keyboard.press('Enter');
    // With several workspace folders Ensemble asks which one; then comes the pre-flight view.
    const next = await waitFor(async () => {
      if (await page.locator(`${QUICK} .quick-input-title`, { hasText: `Ensemble: ${GOAL}` }).isVisible()) return 'preflight';
      if (await page.locator(`${QUICK} .quick-input-box input[placeholder^="Which folder should Ensemble"]`).isVisible()) return 'folder';
      return null;
    }, { timeout: 20000, what: 'the workspace-folder picker or the pre-flight view' });
    if (next === 'folder') {
      await page.locator(`${QUICK} .monaco-list-row`, { hasText: path.basename(ws) }).first().click();
      await quickInputTitled(page, `Ensemble: ${GOAL}`);
    }
    const rows = await waitFor(async () => {
      const r = await quickRows(page);
      return r.some((x) => /Every provider in use has a key/.test(x)) && r;
    }, { timeout: 10000, what: 'the pre-flight view to list the keys' });
    log(`pre-flight: ${rows.join(' | ')}`);
    for (const want of [/orchestrator.*anthropic \/ claude-opus-4-8/, /frontend.*openai \/ gpt-5.*falls back to gemini \/ gemini-2\.5-flash/, /backend.*gemini \/ gemini-2\.5-pro/, /qa.*openai \/ gpt-5-mini/, /Every provider in use has a key/]) {
      if (!rows.some((x) => want.test(x))) throw new Error(`the pre-flight view does not show ${want}`);
    }
    await screenshot(page, `journey-${ctx.stepNo}-preflight`);
    // Start is the active row when every key is there: the keyboard alone starts the session.
    const start = page.locator(`${QUICK} .monaco-list-row.focused`, { has: page.locator('.label-name', { hasText: /^\s*Start\s*$/ }) }).first();
    await start.waitFor({ state: 'visible', timeout: 10000 });
    await page.keyboard.press('Enter');
    await page.locator(QUICK).waitFor({ state: 'hidden', timeout: 15000 });
  });

  await step('approve-plan', async () => {
    // The panel shows the plan first, and its Approve button has the keyboard focus: Enter approves.
    const shown = await panelUntil(page, 'the plan waiting for approval', (s) => /Plan 1 — waiting for your approval/.test(s.plan) && s.planTasks.length > 0, 30000);
    log(`plan: ${shown.planTasks.join(' | ')}`);
    if (shown.planTasks.length !== 4) throw new Error(`the plan lists ${shown.planTasks.length} tasks`);
    if (!/best of gemini\/gemini-2\.5-pro, openai\/gpt-5, anthropic\/claude-opus-4-8/.test(shown.plan)) throw new Error(`the plan does not show the title limit's candidates: ${shown.plan}`);
    if (!/estimated development cost/.test(shown.plan)) throw new Error(`no estimate in the plan: ${shown.plan}`);
    if (shown.agents.length) throw new Error(`agents ran before the plan was approved: ${JSON.stringify(shown.agents)}`);
    // In a 300 px side bar the answers are on screen without scrolling, and the panel has one Cancel.
    await widenSideBar(page, NARROW_WIDTH);
    const narrow = await panelFrame(page).locator('#app').evaluate((app) => {
      const buttons = [...app.querySelectorAll('vscode-button')].filter((b) => b.getBoundingClientRect().height > 0);
      return {
        onScreen: buttons.filter((b) => b.getBoundingClientRect().bottom <= window.innerHeight).map((b) => b.textContent.trim()),
        cancels: buttons.filter((b) => /Cancel/.test(b.textContent)).map((b) => `${b.textContent.trim()} (${b.getAttribute('appearance')})`),
        // (the toolkit's default appearance is primary)
        primary: buttons.filter((b) => (b.getAttribute('appearance') ?? 'primary') === 'primary').map((b) => b.textContent.trim()),
      };
    });
    log(`plan at ${NARROW_WIDTH}px: on screen ${JSON.stringify(narrow.onScreen)}; cancels ${JSON.stringify(narrow.cancels)}; primary ${JSON.stringify(narrow.primary)}`);
    for (const b of ['Approve', 'Edit', 'Replan with feedback']) if (!narrow.onScreen.includes(b)) throw new Error(`${b} is not on screen at ${NARROW_WIDTH}px: ${JSON.stringify(narrow)}`);
    if (narrow.cancels.length !== 1 || !/secondary/.test(narrow.cancels[0])) throw new Error(`the panel's Cancels: ${JSON.stringify(narrow.cancels)}`);
    if (JSON.stringify(narrow.primary) !== '["Approve"]') throw new Error(`primary-styled buttons: ${JSON.stringify(narrow.primary)}`);
    await screenshot(page, `journey-${ctx.stepNo}-plan-300`);
    await widenSideBar(page, SIDEBAR_WIDTH);
    const focused = await panelUntil(page, 'Approve with the keyboard focus', (s) => s.focused === 'plan:approve', 10000);
    log(`focus: ${focused.focused}`);
    await screenshot(page, `journey-${ctx.stepNo}-plan`);
    await page.keyboard.press('Enter');
    const approved = await panelUntil(page, 'the plan approved by the user', (s) => /Plan 1: approved by you\./.test(s.plan), 15000);
    log(`panel: "${approved.plan}"`);
  });

  await step('message-agent', async () => {
    // While the frontend agent waits to retry its provider's 503s (seconds), the user messages it from
    // its row: the note is logged at once and shows in its transcript.
    await panelUntil(page, 'the frontend agent waiting to retry', (s) => s.agents.some((a) => a.role === 'frontend' && /^retrying in/.test(a.step)), 30000);
    const frame = panelFrame(page);
    const row = frame.locator('.section-agents tbody tr', { has: frame.locator('button.linklike', { hasText: /^frontend$/ }) }).first();
    await row.locator('[aria-label^="Message frontend"]').first().click();
    const box = page.locator(`${QUICK} .quick-input-box input`);
    await box.waitFor({ state: 'visible', timeout: 10000 });
    await box.fill(NOTE);
    await page.keyboard.press('Enter');
    await page.locator(QUICK).waitFor({ state: 'hidden', timeout: 10000 });
    await row.locator('button.linklike').click();
    const body = frame.locator('#transcript-body');
    await waitFor(async () => (await body.innerText()).includes(NOTE), { timeout: 15000, what: "the note in the frontend agent's transcript" });
    log(`transcript shows the note: "${NOTE}"`);
    await screenshot(page, `journey-${ctx.stepNo}-message`);
    await row.locator('button.linklike').click(); // close it again
  });

  let live;
  await step('watch', async () => {
    // Planning was shown running while the plan waited; now the agents work.
    if (!history.some((s) => s.status === 'running' && s.phase === 'planning')) throw new Error('the panel never showed the session running in Planning');
    live = await panelUntil(page, 'agents with providers and spending', (s) => s.status === 'running' && s.phase === 'development' && s.agents.length >= 2 && s.usd > 0 && s.tokens > 0, 60000);
    log(`panel: ${live.spend}, ${live.tokens} tokens; agents: ${live.agents.map((a) => `${a.role} ${a.providerModel} ${a.status}`).join('; ')}`);
    for (const a of live.agents) {
      if (!(ROLE_MODELS[a.role] || []).includes(a.providerModel)) throw new Error(`agent ${a.role} shows "${a.providerModel}", not one of its configured models`);
      if (!/^(SPAWNING|READY|ACTIVE|COMPLETED|FAILED|ESCALATED → orchestrator)$/.test(a.status)) throw new Error(`agent ${a.role} shows status "${a.status}"`);
    }
    const more = await panelUntil(page, `spending above ${live.usd}`, (s) => s.usd > live.usd && s.tokens > live.tokens, 60000);
    log(`panel: ${more.spend}, ${more.tokens} tokens (was $${live.usd}, ${live.tokens})`);
    // The status bar, the progress notification and the panel say the same line, the same figures.
    const same = await waitFor(async () => {
      const bar = (await page.locator('.part.statusbar .statusbar-item', { hasText: 'Ensemble:' }).first().innerText({ timeout: 2000 }).catch(() => '')).replace(/\s+/g, ' ').replace(/^.*?Ensemble:\s*/, '').trim();
      const toasts = await page.locator('.notification-toast .notification-list-item-message').allInnerTexts().catch(() => []);
      const toast = toasts.map((t) => t.replace(/\s+/g, ' ').trim()).find((t) => /tasks done/.test(t)) ?? '';
      const p = await readPanel(page);
      const [, tasks, money] = bar.split(' · ');
      const agree = !!tasks && toast.endsWith(bar) && p.statusLine.includes(` · ${tasks} · `) && p.spend.startsWith(`Spent ${money}`);
      return agree && { bar, toast, panel: `${p.statusLine} | ${p.spend}` };
    }, { timeout: 20000, interval: 100, what: 'the status bar, the progress notification and the panel to show the same figures' });
    log(`same figures: status bar "${same.bar}"; notification "${same.toast}"; panel "${same.panel}"`);
  });

  // What the panel showed for each agent when the session was cancelled.
  let atCancel;
  await step('cancel', async () => {
    await panelUntil(page, 'an agent at work', (s) => s.status === 'running' && s.agents.some((a) => a.status === 'ACTIVE'), 30000);
    await runCommand(page, 'Ensemble: Cancel Session');
    atCancel = await panelUntil(page, 'the session cancelled', (s) => s.status === 'cancelled', 20000);
    log(`panel: "${atCancel.statusLine}"; agents: ${atCancel.agents.map((a) => `${a.role} ${a.status}`).join('; ')}`);
    const working = atCancel.agents.filter((a) => AT_WORK.test(a.status));
    if (working.length) throw new Error(`agents still at work after the cancel: ${JSON.stringify(working)}`);
    if (!atCancel.agents.some((a) => a.status === 'CANCELLED')) throw new Error(`no agent reads CANCELLED: ${JSON.stringify(atCancel.agents)}`);
    // No task reads running after the cancel: the fold settled them.
    log(`tasks: ${atCancel.tasks.map((t) => `${t.title.slice(0, 24)}: ${t.status}`).join('; ')}`);
    if (atCancel.tasks.some((t) => /running|escalated/.test(t.status))) throw new Error(`tasks still running after the cancel: ${JSON.stringify(atCancel.tasks)}`);
    if (!atCancel.tasks.some((t) => /cancelled/.test(t.status))) throw new Error(`no task reads cancelled: ${JSON.stringify(atCancel.tasks)}`);
  });

  await step('resume', async () => {
    // The header offers Resume… once the session has stopped; it asks which session.
    await panelFrame(page).locator('[data-key="ensemble.resume"]').click();
    await quickInputTitled(page, 'Ensemble: Resume Session');
    const rows = await quickRows(page);
    log(`resume picker: ${rows.join(' | ')}`);
    if (!rows.length || !rows[0].includes(GOAL) || !/cancelled/.test(rows[0])) throw new Error(`the cancelled session is not offered first: ${rows.join(' | ')}`);
    await page.keyboard.press('Enter');
    await page.locator(QUICK).waitFor({ state: 'hidden', timeout: 15000 });
    const again = await panelUntil(page, 'the session running again', (s) => s.status === 'running', 30000);
    log(`panel: "${again.statusLine}"`);
    // The qa agent asks to run `npm test`: the question is in the panel and a notification, not a modal.
    const asked = await panelUntil(page, 'the qa agent asking to run npm test', (s) => /qa agent asks to run a command/.test(s.questions) && /npm test/.test(s.questions), 90000);
    log(`panel question: "${asked.questions}"`);
    const toast = notification(page, 'asks to run "npm test"');
    await toast.waitFor({ state: 'visible', timeout: 15000 });
    const toastButtons = await toast.locator('.monaco-button').allInnerTexts();
    log(`notification: "${(await toast.locator('.notification-list-item-message').innerText()).trim()}" [${toastButtons.join(' | ')}]`);
    for (const b of ['Allow Once', 'Allow for This Session', 'Deny']) if (!toastButtons.includes(b)) throw new Error(`the notification lacks ${b}: ${toastButtons.join(', ')}`);
    if (await page.locator('.monaco-dialog-box').count()) throw new Error('a modal dialog is open');
    const row = panelFrame(page).locator('.section-agents tbody tr.asking');
    await row.locator('.answer-icons [aria-label^="Allow Once"]').first().waitFor({ state: 'attached', timeout: 5000 });
    log(`the asking agent's row: "${(await row.first().innerText()).replace(/\s+/g, ' ').trim()}", with its answers`);
    await screenshot(page, `journey-${ctx.stepNo}-question`);
    // For this session: the orchestrator, which takes the qa task over, runs it again without asking.
    await panelFrame(page).locator('.section-questions [data-key$=":session"]').first().click();
    await panelUntil(page, 'the question answered', (s) => !s.questions, 15000);
    log('answered Allow for This Session in the panel: the question is gone');
    const inc = await panelUntil(page, 'a provider switch and an escalation', (s) => s.incidents.some((i) => i.kind === 'switched') && s.incidents.some((i) => i.kind === 'escalated'), 90000);
    for (const i of inc.incidents) log(`incident: [${i.kind}] ${i.text} — ${i.why}`);
    const sw = inc.incidents.find((i) => i.kind === 'switched');
    if (!/frontend-ui: openai\/gpt-5 → gemini\/gemini-2\.5-flash/.test(sw.text) || !/503/.test(sw.why)) throw new Error(`unexpected switch: ${sw.text} — ${sw.why}`);
    const esc = inc.incidents.find((i) => i.kind === 'escalated');
    if (!/qa-tests escalated to the orchestrator/.test(esc.text)) throw new Error(`unexpected escalation: ${esc.text}`);
  });

  await step('completed', async () => {
    await waitFor(() => EXPECTED_FILES.every((f) => exists(ws, f)), { timeout: 60000, what: `${EXPECTED_FILES.join(', ')} on disk` });
    const end = await panelUntil(page, 'the session completed', (s) => s.status === 'completed', 90000);
    log(`panel: "${end.statusLine}" · ${end.spend}`);
    if (!end.statusLine.includes(' · 4/4 tasks done · ')) throw new Error(`the header's tasks: "${end.statusLine}"`);
    // A section header is a view pane's: focused, Space collapses it and Enter expands it again.
    const header = panelFrame(page).locator('#timeline-title');
    const expanded = () => header.getAttribute('aria-expanded');
    await header.focus();
    await page.keyboard.press('Space');
    await waitFor(async () => (await expanded()) === 'false' && await panelFrame(page).locator('#timeline-body').isHidden(), { timeout: 5000, what: 'Space to collapse the Timeline section' });
    await page.keyboard.press('Enter');
    await waitFor(async () => (await expanded()) === 'true' && await panelFrame(page).locator('#timeline-body').isVisible(), { timeout: 5000, what: 'Enter to expand the Timeline section' });
    log('section header: Space collapsed Timeline, Enter expanded it (aria-expanded follows)');
    log(`panel quality: ${end.quality}`);
    if (!/8 passed, 0 failed/.test(end.quality)) throw new Error(`validation not shown as passed: ${end.quality}`);
    const fe = end.agents.findLast((a) => a.role === 'frontend');
    if (!fe || fe.providerModel !== 'gemini / gemini-2.5-flash' || fe.status !== 'COMPLETED') throw new Error(`frontend agent: ${JSON.stringify(fe)}`);
    // The qa agent handed its task to the orchestrator, which finished it: not a failure.
    const qa = end.agents.findLast((a) => a.role === 'qa');
    if (!qa || qa.status !== 'ESCALATED → orchestrator' || end.agents.some((a) => a.status === 'FAILED')) throw new Error(`agents at the end: ${JSON.stringify(end.agents)}`);
    // Grouped by task, each group in the order the agents came: first the cancelled run's (as they
    // read at the cancel), then the resumed run's, which finished.
    log(`agents at the end: ${end.agents.map((a) => `${a.role} ${a.status}`).join('; ')}`);
    for (const role of new Set(end.agents.map((a) => a.role))) {
      const before = atCancel.agents.filter((a) => a.role === role).map((a) => a.status);
      const now = end.agents.filter((a) => a.role === role).map((a) => a.status);
      if (JSON.stringify(now.slice(0, before.length)) !== JSON.stringify(before)) throw new Error(`${role}: the first run's agents read ${now.slice(0, before.length)}, were ${before} at the cancel`);
      if (before.some((x) => !/^(CANCELLED|INTERRUPTED|COMPLETED|ESCALATED → orchestrator)$/.test(x))) throw new Error(`${role}: the first run's agents read ${before}`);
      const resumed = now.slice(before.length);
      // A role whose task was cut off by the cancel works again after the resume (one that had finished need not).
      if (before.some((x) => /^(CANCELLED|INTERRUPTED)$/.test(x)) && !resumed.length) throw new Error(`${role}: no agent in the resumed run`);
      if (resumed.some((x) => !/^(COMPLETED|ESCALATED → orchestrator)$/.test(x))) throw new Error(`${role}: the resumed run's agents read ${resumed}`);
    }
    const phasesSeen = [...new Set(history.filter((s) => s.status === 'running').map((s) => s.phase).filter(Boolean))];
    log(`phases seen while running: ${phasesSeen.join(' → ')}; $ seen: ${[...new Set(history.map((s) => s.usd).filter((x) => x !== null))].join(' → ')}`);
    const statuses = [...new Set(history.flatMap((s) => s.agents.map((a) => a.status)))];
    log(`agent statuses seen: ${statuses.join(', ')}`);
    if (!statuses.some((x) => x === 'ACTIVE' || x === 'READY')) throw new Error('no agent was seen at work');
    if (end.files.length !== EXPECTED_FILES.length) throw new Error(`panel lists ${end.files.length} files: ${end.files.map((f) => f.path).join(', ')}`);
    // The title limit, raced by three vendors: each candidate's check in its row, the cheaper of the two that passed applied.
    const race = panelFrame(page).locator('.section-candidates');
    const rows = (await race.locator('.race tbody tr').allInnerTexts()).map((r) => r.replace(/\s+/g, ' ').trim());
    const verdict = (await race.innerText()).replace(/\s+/g, ' ');
    log(`candidates: ${rows.join(' | ')}`);
    if (rows.length !== 3 || !/gemini/.test(rows[0]) || !/failed \(exit 1\)/.test(rows[0]) || !/openai/.test(rows[1]) || !/applied/.test(rows[1]) || !/passed/.test(rows[2]) || /applied/.test(rows[2]))
      throw new Error(`the race's candidates: ${rows.join(' | ')}`);
    if (!/passed, cheapest of 2 that passed/.test(verdict)) throw new Error(`the race's verdict: ${verdict.slice(0, 400)}`);
    await race.evaluate((el) => el.scrollIntoView());
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const shot = path.join(RESULTS_DIR, 'journey-candidates.png');
    await race.screenshot({ path: shot, timeout: 15000 });
    log(`candidates screenshot ${path.relative(ROOT, shot)}`);
    if (opts['update-screenshot']) {
      fs.copyFileSync(shot, path.join(ROOT, 'media', 'panel-race.png'));
      log('media/panel-race.png updated');
    }
  });

  await step('transcript', async () => {
    // Selecting an agent opens its transcript, folded from the log: the qa agent's task prompt, its
    // `npm test` run, and how it ended (handed to the orchestrator).
    const frame = panelFrame(page);
    await frame.locator('.section-agents button.linklike', { hasText: /^qa$/ }).last().click();
    const body = frame.locator('#transcript-body');
    await waitFor(async () => /npm test/.test(await body.innerText()) && /escalat/i.test(await body.innerText()), { timeout: 15000, what: "the qa agent's transcript with its npm test run and its escalation" });
    const text = (await body.innerText()).replace(/\s+/g, ' ');
    log(`transcript: ${text.slice(0, 300)}…`);
    // The task prompt is there, collapsed; each tool call with its result; how the agent ended.
    for (const want of [/^qa \(qa-\d+\)/, /Task prompt/, /Show the prompt/, /read_file server\.js read \d+ lines/, /run_command npm test/, /ESCALATED → orchestrator/]) {
      if (!want.test(text)) throw new Error(`the transcript does not show ${want}: ${text.slice(0, 400)}`);
    }
    await screenshot(page, `journey-${ctx.stepNo}-transcript`);
    await frame.locator('[aria-label="Close the transcript"]').first().click();
  });

  await step('report', async () => {
    // The end-of-session notification offers Review Changes and Open Report (a sticky toast).
    const toast = notification(page, 'Ensemble session completed');
    await toast.waitFor({ state: 'visible', timeout: 20000 });
    log(`notification: "${(await toast.innerText()).replace(/\s+/g, ' ').trim()}"`);
    await toast.locator('.monaco-button', { hasText: 'Open Report' }).click();
    const preview = page.frameLocator(PREVIEW_FRAME).first().frameLocator('#active-frame');
    await preview.locator('h1', { hasText: 'Ensemble session report' }).waitFor({ timeout: 30000 });
    const text = await preview.locator('body').innerText({ timeout: 10000 });
    if (!/Goal:\s*Simple todo list web app/.test(text) || !/Status:\s*completed · 4\/4 tasks done/.test(text)) throw new Error(`report preview: ${text.slice(0, 400)}`);
    // What the user did is in the report: the message to the frontend agent.
    if (!/What you did/.test(text) || !text.includes(`you messaged frontend`) || !text.includes(NOTE)) throw new Error(`the report does not say what the user did: ${text.slice(0, 1200)}`);
    log('report preview: "Ensemble session report", goal, status completed · 4/4 tasks done, and "What you did"');
  });

  await step('review', async () => {
    await runCommand(page, 'Ensemble: Review Changes');
    const diff = page.locator('.monaco-diff-editor').first();
    await diff.waitFor({ state: 'visible', timeout: 30000 });
    await page.locator('.monaco-diff-editor .editor.modified .line-insert, .monaco-diff-editor .editor.modified .char-insert').first().waitFor({ timeout: 15000 });
    const tab = (await page.locator('.tabs-container .tab.active').first().innerText()).replace(/\s+/g, ' ').trim();
    const inserted = await page.locator('.monaco-diff-editor .editor.modified .line-insert').count();
    log(`diff editor: tab "${tab}", ${inserted} inserted line decorations`);
    await treeRow(page, 'public/styles.css').waitFor({ timeout: 15000 });
  });

  await step('revert-styles', async () => {
    const row = treeRow(page, 'public/styles.css');
    log(`tree: "${await row.getAttribute('aria-label')}"`);
    // Its diff, then Revert Change in the diff editor's title bar: the diff closes (nothing is left to
    // compare), and no title bar offers Keep for it any more.
    await row.click();
    const tab = page.locator('.tabs-container .tab', { hasText: 'styles.css (created by Ensemble)' }).first();
    await tab.waitFor({ state: 'visible', timeout: 15000 });
    const actions = page.locator('.editor-group-container.active .editor-actions');
    await actions.locator('a.action-label[aria-label^="Keep Change"]').first().waitFor({ state: 'visible', timeout: 10000 });
    await actions.locator('a.action-label[aria-label^="Revert Change"]').first().click();
    await waitFor(() => !exists(ws, 'public/styles.css'), { timeout: 15000, what: 'public/styles.css to be deleted' });
    await tab.waitFor({ state: 'detached', timeout: 10000 });
    if (await page.locator('.tabs-container .tab', { hasText: 'styles.css' }).count()) throw new Error('a styles.css tab is still open after the revert');
    const active = (await page.locator('.tabs-container .tab.active').first().innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
    log(`reverted from the diff editor: its tab closed (the active tab is now "${active}")`);
    await waitFor(async () => /, reverted$/.test(await treeRow(page, 'public/styles.css').getAttribute('aria-label')), { timeout: 15000, what: 'the tree to show styles.css reverted' });
    const p = await panelUntil(page, 'styles.css reverted', (s) => s.files.some((f) => f.path === 'public/styles.css' && f.pills.includes('reverted')), 15000);
    log(`panel: public/styles.css ${JSON.stringify(p.files.find((f) => f.path === 'public/styles.css'))}`);
  });

  await step('keep-all', async () => {
    await runCommand(page, 'Ensemble: Keep All Changes');
    const note = notification(page, 'Ensemble: kept 5 of 5 changes.');
    await note.waitFor({ state: 'visible', timeout: 15000 });
    log(`notification: "${(await note.locator('.notification-list-item-message').innerText()).trim()}"`);
    await waitFor(async () => {
      const labels = await page.locator('.part.sidebar .monaco-list-row[aria-label*=", created"]').evaluateAll((r) => r.map((x) => x.getAttribute('aria-label')));
      return labels.length === EXPECTED_FILES.length && labels.filter((l) => l.endsWith(', kept')).length === EXPECTED_FILES.length - 1 && labels;
    }, { timeout: 15000, what: 'the tree to show 5 kept and 1 reverted' });
    const p = await panelUntil(page, '5 files kept', (s) => s.files.filter((f) => f.pills.includes('kept')).length === EXPECTED_FILES.length - 1, 15000);
    for (const f of p.files) log(`panel file: ${f.path} [${f.pills.join(', ')}]${f.who}`);
    for (const f of EXPECTED_FILES.filter((x) => x !== 'public/styles.css')) if (!exists(ws, f)) throw new Error(`${f} is gone after Keep All`);
    if (exists(ws, 'public/styles.css')) throw new Error('public/styles.css came back');
  });

  await step('panel', async () => {
    await panelShot('journey-panel', { updates: 'media/panel.png' });
  });

  await step('themes', async () => {
    await checkChartContrast('dark');
    for (const kind of ['light', 'high-contrast']) {
      await setTheme(kind);
      await checkChartContrast(kind);
      await panelShot(`journey-panel-${kind}`);
    }
  });

  await step('narrow', async () => {
    await widenSideBar(page, NARROW_WIDTH);
    // A narrow side bar: the tables are stacked cards and nothing scrolls sideways.
    const layout = await panelFrame(page).locator('#app').evaluate((app) => ({
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      width: app.getBoundingClientRect().width,
      rowDisplay: getComputedStyle(app.querySelector('.section-metrics tbody tr')).display,
      head: app.querySelector('.section-metrics thead').getBoundingClientRect().height,
      // (the tables' column headers are hidden, clipped, in the cards: not drawn)
      wider: [...app.querySelectorAll('*')].filter((el) => !el.closest('thead, .sr-only') && el.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map((el) => el.tagName + '.' + el.className).slice(0, 5),
    }));
    log(`narrow panel: ${JSON.stringify(layout)}`);
    if (layout.overflow > 0 || layout.wider.length) throw new Error(`the panel scrolls sideways at ${NARROW_WIDTH}px: ${JSON.stringify(layout)}`);
    if (layout.rowDisplay !== 'block' || layout.head > 1) throw new Error(`the tables are not cards at ${NARROW_WIDTH}px: ${JSON.stringify(layout)}`);
    await panelShot('journey-panel-300-high-contrast');
    for (const kind of ['light', 'dark']) {
      await setTheme(kind);
      await panelShot(`journey-panel-300${kind === 'dark' ? '' : `-${kind}`}`);
    }
  });
}

/**
 * Each provider's bar in the chart stands out from the side bar: a contrast ratio of at least 3:1
 * (WCAG's for graphics), its colour composited over the background as drawn.
 */
async function checkChartContrast(kind) {
  const bars = await panelFrame(page).locator('#app').evaluate((app) => {
    const rgba = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const lin = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const bg = rgba(getComputedStyle(document.body).backgroundColor);
    return [...app.querySelectorAll('svg.chart rect.chart-bar')].map((r) => {
      const [cr, cg, cb, ca = 1] = rgba(getComputedStyle(r).fill);
      const drawn = [cr, cg, cb].map((v, i) => v * ca + bg[i] * (1 - ca));
      const [hi, lo] = [lum(drawn), lum(bg)].sort((a, b) => b - a);
      return { provider: r.getAttribute('data-provider'), fill: getComputedStyle(r).fill, ratio: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100 };
    });
  });
  log(`chart contrast (${kind}): ${bars.map((b) => `${b.provider} ${b.fill} ${b.ratio}:1`).join(', ')}`);
  const weak = bars.filter((b) => !(b.ratio >= 3));
  if (!bars.length || weak.length) throw new Error(`chart bars without enough contrast in the ${kind} theme: ${JSON.stringify(weak)}`);
}

/** Switches the colour theme as a user does (Preferences: Color Theme), and waits for the panel to follow it. */
async function setTheme(kind) {
  const bodyClass = { dark: 'vscode-dark', light: 'vscode-light', 'high-contrast': 'vscode-high-contrast' }[kind];
  await runCommand(page, 'Preferences: Color Theme', { waitHidden: false });
  await page.locator(`${QUICK} .quick-input-box input`).fill(THEMES[kind]);
  const row = page.locator(`${QUICK} .monaco-list-row`, { has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${THEMES[kind]}\\s*$`) }) }).first();
  await row.click();
  await page.locator(QUICK).waitFor({ state: 'hidden', timeout: 15000 });
  await waitFor(async () => panelFrame(page).locator('body').evaluate((b, c) => b.classList.contains(c), bodyClass), { timeout: 15000, what: `the panel to take the ${kind} theme` });
  log(`theme: ${THEMES[kind]}`);
}

/**
 * The side bar with the Ensemble panel, cropped, at a readable size: the Changes view is collapsed
 * (its header stays) and the window is made tall enough for the whole panel to show without
 * scrolling; then the window gets its size back.
 */
async function panelShot(name, { updates } = {}) {
  const changes = page.locator('.part.sidebar .pane-header', { hasText: 'Changes' }).first();
  if ((await changes.getAttribute('aria-expanded')) === 'true') await changes.click();
  await waitFor(async () => (await changes.getAttribute('aria-expanded')) === 'false', { timeout: 5000, what: 'the Changes view to collapse' });
  const size = page.viewportSize();
  // the panel's content height (its body has a 16px bottom padding) against the webview's height
  const content = () => panelFrame(page).locator('#app').evaluate((app) => Math.ceil(app.getBoundingClientRect().bottom + 16));
  const frameHeight = async () => (await page.locator(PANEL_FRAME).first().boundingBox()).height;
  let height = size.height;
  await waitFor(async () => {
    const gap = (await content()) - (await frameHeight());
    // (A panel taller than the tallest window is cut at the bottom.)
    if (Math.abs(gap) <= 2 || (height >= MAX_SHOT_HEIGHT && gap > 0)) return true;
    height = Math.min(MAX_SHOT_HEIGHT, height + gap);
    await page.setViewportSize({ width: size.width, height });
    return false;
  }, { timeout: 15000, interval: 250, what: 'the side bar to fit the whole panel' });
  await panelFrame(page).locator('#app').evaluate(() => window.scrollTo(0, 0)); // from the top, whatever was scrolled to before
  const box = await page.locator('.part.sidebar').boundingBox();
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, clip: box, timeout: 15000 });
  log(`panel screenshot ${path.relative(ROOT, file)} (${Math.round(box.width)}x${Math.round(box.height)})`);
  if (updates && opts['update-screenshot']) {
    fs.copyFileSync(file, path.join(ROOT, updates));
    log(`${updates} updated`);
  }
  await page.setViewportSize(size);
}

/** The extension host's log (where an activation error or the extension's console output goes). */
function exthostLogTail(n = 30) {
  const found = [];
  const walk = (d) => {
    for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else if (/exthost\.log$/.test(e.name)) found.push(p);
    }
  };
  if (server) walk(path.join(server.dir, 'ud', 'logs'));
  return found.map((f) => fs.readFileSync(f, 'utf8').split('\n').slice(-n).join('\n')).join('\n');
}

process.exit(await runScenario({
  name: 'journey',
  watchdogMs: WATCHDOG_MS,
  body: async (s, c) => {
    [step, ctx] = [s, c];
    await journey(c.tmp);
  },
  diagnostics: () => [
    history.length ? `--- last panel reading ---\n${JSON.stringify(history[history.length - 1])}` : '',
    server ? `--- ${server.kind} log tail ---\n${server.logTail(40)}\n--- extension host log tail ---\n${exthostLogTail()}` : '',
    `--- ensemble serve log ---\n${serveLog.split('\n').slice(-20).join('\n')}`,
  ].filter(Boolean).join('\n'),
  cleanup: stopProviders,
}));
