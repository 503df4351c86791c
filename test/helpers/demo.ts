// The offline demo, run once per test process: the cassette replayed through the real SDKs against
// the local fakes. Several test files read the same run (its report, its log), so it is not replayed
// for each of them.

import * as path from 'node:path';
import { demoCommand } from '../../src/cli/commands';
import type { EnsembleEvent } from '../../src/core/events';
import type { ReportJson } from '../../src/core/fold/report';
import { readEvents, sessionDir } from '../../src/core/store/log';
import { tempWorkspace } from './tmp';

export interface DemoRun {
  workspace: string;
  code: number;
  /** The `--json` output: report.json. */
  report: ReportJson;
  /** What the CLI wrote on stderr. */
  progress: string[];
  /** The session's log as written. */
  events(): EnsembleEvent[];
}

let once: Promise<DemoRun> | undefined;

export function demoRun(): Promise<DemoRun> {
  return (once ??= (async () => {
    const workspace = tempWorkspace('ensemble-demo-');
    const out: string[] = [];
    const progress: string[] = [];
    const code = await demoCommand(workspace, { json: true }, { out: (s) => out.push(s), err: (s) => progress.push(s) });
    if (code !== 0) throw new Error(`the demo exited ${code}:\n${progress.join('\n')}`);
    const report = JSON.parse(out.join('\n')) as ReportJson;
    return { workspace, code, report, progress, events: () => readEvents(path.join(sessionDir(workspace, report.sessionId), 'events.jsonl')).events };
  })());
}
