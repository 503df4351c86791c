// Follows a running session in the terminal: progress on stderr, Ctrl-C to cancel (a second Ctrl-C
// quits at once), the summary at the end, and the exit code the README documents.

import * as path from 'node:path';
import type { SessionHandle } from '../core/session/session';
import { buildReport, type ReportJson } from '../core/fold/report';
import { Redactor, secretsInEnv } from '../core/redact';
import { describeEvent } from '../core/fold/narrate';
import { costWords, moneyText, unknownCallsText } from '../core/fold/money';
import { countTasks, tasksText } from '../core/fold/summary';
import { promptTokens } from '../core/fold/figures';

export const EXIT = { completed: 0, failed: 1, usage: 2, diskFull: 3, cancelled: 130 } as const;

export interface Output {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** `io` with every line redacted by `redactor` first. */
export function redacting(io: Output, redactor: Redactor): Output {
  return { out: (s) => io.out(redactor.text(s)), err: (s) => io.err(redactor.text(s)) };
}

/**
 * The terminal. Everything printed is redacted of the environment's secrets and key shapes; the
 * commands add their configuration's secrets (an `apiKeyEnv` of any name, `headers` values).
 */
export const stdio: Output = redacting(
  { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') },
  new Redactor(secretsInEnv(process.env)),
);

export async function follow(handle: SessionHandle, opts: { json?: boolean; io?: Output } = {}): Promise<number> {
  const io = opts.io ?? stdio;
  const sub = handle.log.onDidAppend((e) => {
    const line = describeEvent(e, handle.state); // the fold through e: a candidate's cost
    if (line) io.err(line);
  });
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(EXIT.cancelled);
    io.err('Cancelling… (Ctrl-C again to quit at once)');
    handle.cancel('cancelled with Ctrl-C');
  };
  process.on('SIGINT', onSigint);
  try {
    const state = await handle.done;
    const report = buildReport(state);
    const written = state.reportFiles.length > 0;
    if (opts.json) io.out(JSON.stringify(report, null, 2));
    else io.out(summary(report, handle.dir, written));
    if (handle.diskFull) {
      io.err(handle.diskFull.message);
      if (!handle.logComplete)
        io.err(
          `The log ${path.join(handle.dir, 'events.jsonl')} could not take the session's end, so it reads as interrupted: \`ensemble resume ${handle.sessionId}\` continues it once there is room.`,
        );
      if (!written) io.err(`No report was written; once there is room, \`ensemble report ${handle.dir}\` writes it from the log.`);
      return EXIT.diskFull;
    }
    if (state.reportError)
      io.err(`The report files could not be written (${state.reportError}); \`ensemble report ${handle.dir}\` rebuilds them from the log.`);
    return report.status === 'completed' ? EXIT.completed : report.status === 'cancelled' ? EXIT.cancelled : EXIT.failed;
  } finally {
    process.off('SIGINT', onSigint);
    sub.dispose();
  }
}

/** The tasks done best of several, for the summary's Tasks line: ", 1 raced (best of 3)"; '' when none was. */
function racedText(r: ReportJson): string {
  const sizes = r.tasks.map((t) => t.candidates?.length ?? 0).filter((n) => n > 1);
  if (!sizes.length) return '';
  return `, ${sizes.length} raced${sizes.every((n) => n === sizes[0]) ? ` (best of ${sizes[0]})` : ''}`;
}

/** `reportWritten` false: the report files could not be written, and the summary does not point at them. */
export function summary(r: ReportJson, dir: string, reportWritten = true): string {
  const L = ['', `Session ${r.sessionId}: ${r.status}`, `Goal: ${r.goal}`];
  if (r.scripted) L.push('(Scripted: the model answers came from a cassette, served through the real SDKs by local servers.)');
  L.push(
    `Tasks: ${tasksText(countTasks(r.tasks.map((t) => t.status)))}${r.metrics.escalations ? `, ${r.metrics.escalations} escalated` : ''}${r.metrics.providerSwitches ? `, ${r.metrics.providerSwitches} provider switch${r.metrics.providerSwitches === 1 ? '' : 'es'}` : ''}${racedText(r)}`,
  );
  for (const [id, t] of Object.entries(r.metrics.tokens)) {
    const c = r.metrics.costUsd[id] ?? null;
    const counted = r.metrics.usageSource?.[id] === 'counted' ? ' (tokens counted, not billed)' : '';
    L.push(
      `  ${id.padEnd(10)} ${String(promptTokens(t)).padStart(8)} in ${String(t.output).padStart(8)} out  ${costWords(c, r.metrics.planCalls?.[id])}${counted}`,
    );
  }
  const b = r.budget;
  L.push(
    `Total cost: ${moneyText({ spentUsd: b.knownUsd, unknownCalls: b.unknownCalls, planCalls: b.planCalls })}${b.unknownCalls ? ` (${unknownCallsText(b.unknownCalls)})` : ''} · success rate ${r.metrics.successRate === null ? '—' : `${Math.round(r.metrics.successRate * 100)}%`} · avg response ${r.metrics.avgLatencyMs ?? '—'} ms`,
  );
  L.push(`Files: ${r.files.length} changed`);
  if (r.validation)
    L.push(
      `Tests: ${r.validation.passed ?? '?'} passed, ${r.validation.failed ?? '?'} failed${r.validation.coverage === null ? '' : `, line coverage ${r.validation.coverage}%`} (\`${r.validation.command}\`)`,
    );
  else L.push(`Tests: not run${r.validationNote ? ` (${r.validationNote})` : ''}`);
  L.push(reportWritten ? `Report: ${path.join(dir, 'report.md')}` : 'Report: not written (see below)');
  return L.join('\n');
}
