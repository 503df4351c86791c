// The benchmark (scripts/bench.ts) run at tiny sizes, so that it cannot rot: every figure of issue 14
// is there, a number (or null where another benchmark measures it). Its values mean nothing here:
// figures are measured by `npm run bench`, never asserted by a test.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const IDS = [
  'schedule_ratio', 'schedule_ratio_short', 'cpu_per_event_us', 'cpu_per_event_cold_us', 'fold_100k_ms', 'append_per_s', 'activation_ms', 'session_lookup_ms', 'panel_open_ms', 'extension_bundle_kb', 'webview_bundle_kb',
  'cancel_ms', 'prompt_overhead_tokens', 'review_keep_all_ms', 'scale_1000_rss_mb', 'panel_p95_ms', 'panel_10k_first_render_ms',
  'compaction_peak_ratio', 'compaction_tokens_saved', 'repo_start_ms', 'repo_command_overhead_ms', 'repo_integration_ms', 'repo_search_ms',
];

describe('bench (smoke run)', function () {
  this.timeout(180_000);

  it('prints every figure as JSON, with the machine and the Node version', () => {
    const root = path.resolve(__dirname, '../..');
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--smoke', '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 22 });
    const r = JSON.parse(out) as { machine: string; node: string; figures: { id: string; value: number | null; unit: string; goal: string | null; pass: boolean | null; note?: string }[] };
    assert.match(r.machine, /×/);
    assert.equal(r.node, process.version);
    for (const id of IDS) {
      const f = r.figures.find((x) => x.id === id);
      assert.ok(f, `${id} is missing`);
      assert.ok(f.value === null ? typeof f.note === 'string' : Number.isFinite(f.value), `${id}: ${f.value}`);
      assert.ok(f.pass === null || typeof f.pass === 'boolean', id);
    }
    // Measured in headless Chromium; skipped (null, with a note saying why) where it is not installed.
    for (const id of ['panel_p95_ms', 'panel_10k_first_render_ms']) {
      const f = r.figures.find((x) => x.id === id)!;
      assert.ok(f.value === null ? /chromium\S* is absent/.test(f.note!) : f.value > 0 && /Chromium/.test(f.note!), `${id}: ${f.value} ${f.note}`);
    }
  });
});
