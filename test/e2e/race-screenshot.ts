// The README's picture of a best-of-several task in the panel: the extension under development in a
// real VS Code (the e2e's VS Code server and headless Chromium, test/e2e/server.mjs), on a workspace
// holding a hand-written race's session (test/helpers/race.ts: three candidates, one fails its check,
// the cheapest that passed is applied). Writes test-results/race-560.png (the panel from its header to
// its agents, 560 px wide) and test-results/race-300.png (the candidates at 300 px, as cards);
// `--update` also copies the first to media/panel-race.png.
//   bash test/e2e/setup.sh && npm run build && npx tsx test/e2e/race-screenshot.ts [--update]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BlobStore } from '../../src/core/store/blobs';
import { sessionDir } from '../../src/core/store/log';
import { RACE_SESSION, raceBlobs, raceEvents } from '../helpers/race';
// @ts-expect-error: plain ESM without types (test/e2e/server.mjs)
import { launchBrowser, log, openWorkbench, RESULTS_DIR, ROOT, startServer, stop, waitFor } from './server.mjs';

type Box = { x: number; y: number; width: number; height: number };
const EXT_ID = 'ensemble-dev.ensemble';
const PANEL_FRAME = `iframe.webview.ready[src*="extensionId=${EXT_ID}"]`;
const ACTIVITY = '.part.activitybar .action-item a[aria-label^="Ensemble"]';

async function main(): Promise<void> {
  const server = await startServer({ extensionPath: ROOT });
  try {
    const ws = server.workspace as string;
    const dir = sessionDir(ws, RACE_SESSION);
    fs.mkdirSync(dir, { recursive: true });
    // A finished race's log, timed from now so the session list reads as today's.
    const events = raceEvents();
    const shift = Date.now() - 120_000 - events[0]!.ts;
    fs.writeFileSync(path.join(dir, 'events.jsonl'), events.map((e) => JSON.stringify({ ...e, ts: e.ts + shift }) + '\n').join(''));
    const blobs = new BlobStore(dir);
    for (const c of raceBlobs().values()) blobs.put(c);
    const { page, close } = await launchBrowser({ dir: path.join(server.dir, 'tmp'), viewport: { width: 1500, height: 1400 } });
    try {
      await openWorkbench(page, { server, folder: ws, extensionDevelopmentPath: ROOT });
      await page.locator(ACTIVITY).first().waitFor({ timeout: 60_000 });
      await page.locator(ACTIVITY).first().click();
      const panel = page.frameLocator(PANEL_FRAME).first().frameLocator('#active-frame');
      await panel.locator('.section-candidates .race tbody tr').first().waitFor({ timeout: 60_000 });
      for (const width of [560, 300]) {
        await widenSideBar(page, width);
        await page.waitForTimeout(500); // the container query's relayout, the toolkit's buttons
        if (width === 300) await panel.locator('.section-candidates').evaluate((el: Element) => el.scrollIntoView());
        const bar = (await page.locator('.part.sidebar').boundingBox()) as Box;
        const bottom = (await panel.locator(width === 300 ? '.section-candidates' : '.section-agents').boundingBox()) as Box;
        const top = width === 300 ? ((await panel.locator('.section-candidates').boundingBox()) as Box).y - 4 : bar.y;
        fs.mkdirSync(RESULTS_DIR, { recursive: true });
        const file = path.join(RESULTS_DIR, `race-${width}.png`);
        await page.screenshot({ path: file, clip: { x: bar.x, y: top, width: bar.width, height: bottom.y + bottom.height + 6 - top } });
        log(`${path.relative(ROOT, file)}`);
        if (width === 560 && process.argv.includes('--update')) {
          fs.copyFileSync(file, path.join(ROOT, 'media', 'panel-race.png'));
          log('media/panel-race.png updated');
        }
      }
    } finally {
      await close();
    }
  } finally {
    await stop();
  }
}

/** Drags the side bar's sash (as a user would) until the side bar is `width` px wide. */
async function widenSideBar(page: import('playwright-core').Page, width: number): Promise<void> {
  const bar = (await page.locator('.part.sidebar').boundingBox()) as Box;
  const sash = (await page.locator('.monaco-sash.primary-sidebar-sash').boundingBox()) as Box;
  const x = sash.x + sash.width / 2;
  const y = sash.y + sash.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + (width - bar.width) / 2, y, { steps: 5 });
  await page.mouse.move(x + (width - bar.width), y, { steps: 5 });
  await page.mouse.up();
  await waitFor(async () => Math.abs(((await page.locator('.part.sidebar').boundingBox()) as Box).width - width) < 30, {
    timeout: 5000,
    what: `a ${width}px side bar`,
  });
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
