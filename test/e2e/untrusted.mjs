#!/usr/bin/env node
// Ensemble in an untrusted workspace, in a real VS Code, with the packaged extension installed.
//
//   A user opens a folder they have not trusted (workspace trust on). package.json declares
//   `capabilities.untrustedWorkspaces.supported: false`, so VS Code does not run Ensemble at all in
//   Restricted Mode: the extension's own guard (src/vscode/trust.ts) is never reached, and what
//   the user is told is VS Code's own UI. This test asserts exactly that UI:
//     1. the window is in Restricted Mode: the "Restricted Mode" status-bar item and banner;
//     2. the status-bar item opens the Workspace Trust editor, whose "N extensions are disabled or
//        have limited functionality" link lists Ensemble under "Disabled In Restricted Mode";
//        Ensemble's page gives the reason from its package.json ("Ensemble writes files into the
//        workspace and can run its tests.");
//     3. Ensemble is not there: no activity-bar item, and the command palette has no "Ensemble"
//        command (while it does list "Workspaces: Manage Workspace Trust");
//     4. once the user trusts the folder, Ensemble appears (its activity-bar item and "Ensemble: Start
//        Orchestration"): trust was the only thing missing.
//
//   node test/e2e/untrusted.mjs [--vsix <file>]
//
// Screenshots: test-results/untrusted-<n>-<step>.png; on failure untrusted-FAILED-<step>.png and the
// server log tail; exit code 1 (0 = passed).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, log, waitFor, startCodeServer, launchBrowser, openWorkbench, paletteHas, runScenario, packageExtension } from './server.mjs';

const { values: opts } = parseArgs({ options: { vsix: { type: 'string' } } });

const EXT_ID = 'ensemble-dev.ensemble';
const ACTIVITY = '.part.activitybar .action-item a[aria-label^="Ensemble"]';
const RESTRICTED = '.part.statusbar .statusbar-item:has(a[aria-label^="Restricted Mode"])';
const TRUST_EDITOR = '.workspace-trust-editor';
const MODAL = '.monaco-modal-editor-block';
const REASON = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).capabilities.untrustedWorkspaces.description;
const WATCHDOG_MS = 3 * 60 * 1000;

let page = null;
let server = null;
/** One step of the story (set by runScenario: numbered, logged, screenshot after). */
let step;
/** Shared with runScenario, so that a failure is photographed. */
let ctx;

/** Opens the Workspace Trust editor from the status bar, as a user would. */
async function openTrustEditor() {
  await page.locator(RESTRICTED).first().click();
  await page.locator(TRUST_EDITOR).first().waitFor({ timeout: 20000 });
  await page.locator(`${TRUST_EDITOR} .workspace-trust-title`, { hasText: 'You are in Restricted Mode' }).first().waitFor({ timeout: 10000 });
}

/**
 * Types `text` in the command palette and checks that no command whose label starts with
 * "Ensemble" is offered (VS Code may offer "similar commands" of other extensions, or "No matching
 * commands"); closes the palette again.
 */
async function paletteLacksEnsemble(text) {
  await page.keyboard.press('F1');
  const box = page.locator('.quick-input-widget .quick-input-box input');
  await box.waitFor({ state: 'visible', timeout: 15000 });
  await box.fill(`>${text}`);
  const none = page.locator('.quick-input-widget', { hasText: 'No matching commands' });
  const rows = page.locator('.quick-input-widget .monaco-list-row');
  const answer = await waitFor(async () => ((await none.isVisible()) ? 'No matching commands' : (await rows.count()) > 0 ? 'other commands' : null),
    { timeout: 10000, what: `the palette's answer for "${text}"` });
  const ensemble = await page.locator('.quick-input-widget .monaco-list-row[aria-label^="Ensemble"]').evaluateAll((r) => r.map((x) => x.getAttribute('aria-label')));
  await page.keyboard.press('Escape');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15000 });
  if (ensemble.length) throw new Error(`the command palette offers ${JSON.stringify(ensemble)} for "${text}"`);
  log(`palette "${text}": ${answer}, no Ensemble command`);
}

async function scenario(tmp) {
  await step('install', async () => {
    const vsix = opts.vsix ? path.resolve(opts.vsix) : packageExtension(tmp);
    if (!fs.existsSync(vsix)) throw new Error(`${vsix} not found`);
    server = await startCodeServer({ vsix, trust: true });   // workspace trust on: the folder is untrusted
    ({ page } = await launchBrowser({ dir: path.join(server.dir, 'tmp'), viewport: { width: 1500, height: 1000 } }));
    ctx.page = page;
    await openWorkbench(page, { server, folder: server.workspace });
  });

  await step('restricted-mode', async () => {
    await page.locator(RESTRICTED).first().waitFor({ timeout: 60000 });
    log(`status bar: "${await page.locator(`${RESTRICTED} a`).first().getAttribute('aria-label')}"`);
    const banner = page.locator('.part.banner', { hasText: 'Restricted Mode is intended for safe code browsing' }).first();
    await banner.waitFor({ timeout: 15000 });
    log(`banner: "${(await banner.innerText()).replace(/\s+/g, ' ').trim()}"`);
  });

  await step('disabled-extension', async () => {
    await openTrustEditor();
    const link = page.locator(`${TRUST_EDITOR} a.monaco-link`, { hasText: /^[1-9]\d* extensions?$/ }).first();
    await link.waitFor({ timeout: 10000 });
    log(`trust editor: "${(await link.locator('xpath=..').innerText()).replace(/\s+/g, ' ').trim()}"`);
    await link.click();
    // The Extensions view, filtered to @workspaceUnsupported: Ensemble in the "Disabled" group.
    const disabledPane = page.locator('.part.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Disabled In Restricted Mode' }) }).first();
    const row = disabledPane.locator(`.monaco-list-row[data-extension-id="${EXT_ID}"]`).first();
    await row.waitFor({ timeout: 30000 });
    log(`extensions view: "${(await row.getAttribute('aria-label')).trim()}" under "Disabled In Restricted Mode"`);
    await page.locator(`${MODAL} .action-label[aria-label^="Close Modal Editor"]`).first().click();
    await page.locator(MODAL).first().waitFor({ state: 'detached', timeout: 10000 });
    await row.click();   // Ensemble's page: the reason it gave in package.json
    const reason = page.locator('.extension-editor', { hasText: REASON }).first();
    await reason.waitFor({ timeout: 20000 });
    log(`extension page says: "${REASON}"`);
  });

  await step('not-available', async () => {
    await paletteHas(page, 'Workspaces: Manage Workspace Trust');   // the palette works and is populated
    await paletteLacksEnsemble('Ensemble: Start Orchestration');
    await paletteLacksEnsemble('Ensemble');
    if (await page.locator(ACTIVITY).count()) throw new Error('the Ensemble activity-bar item is shown in Restricted Mode');
    log('no Ensemble activity-bar item');
  });

  await step('trusted', async () => {
    await openTrustEditor();
    await page.locator(`${TRUST_EDITOR} .monaco-button`, { hasText: /^Trust$/ }).first().click();
    await page.locator(RESTRICTED).first().waitFor({ state: 'detached', timeout: 20000 });
    await page.locator(ACTIVITY).first().waitFor({ timeout: 30000 });
    await paletteHas(page, 'Ensemble: Start Orchestration', { attempts: 10 });
    log('trusted: the Ensemble activity-bar item and "Ensemble: Start Orchestration" are there');
  });
}

process.exit(await runScenario({
  name: 'untrusted',
  watchdogMs: WATCHDOG_MS,
  body: async (s, c) => {
    [step, ctx] = [s, c];
    await scenario(c.tmp);
  },
  diagnostics: () => (server ? `--- ${server.kind} log tail ---\n${server.logTail(40)}` : ''),
}));
