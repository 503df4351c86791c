// The "Ensemble" Output channel (a LogOutputChannel): session milestones at info, retries, switches
// and escalations at warn, failures at error with their cause — the same words as the CLI's progress
// (core/fold/narrate.ts). Errors the extension recovers from are logged here rather than swallowed.
// Never a key: each line goes through the window's redactor.
import * as vscode from 'vscode';
import { setUnexpectedErrorHandler } from '../core/emitter';
import { narrate } from '../core/fold/narrate';
import { windowRedactor } from './secrets';
import type { SessionController } from './sessionController';

type Sink = Pick<vscode.LogOutputChannel, 'info' | 'warn' | 'error' | 'show'>;

const consoleSink: Sink = {
  info: (m: string) => console.log(m),
  warn: (m: string) => console.warn(m),
  error: (m: string | Error) => console.error(m),
  show: () => undefined,
};

let sink: Sink = consoleSink;
/** In the extension-host tests only: every line written, as `<level> <text>` (a LogOutputChannel cannot be read back). */
let recorded: string[] | undefined;

function write(level: 'info' | 'warn' | 'error', text: string): void {
  recorded?.push(`${level} ${text}`);
  sink[level](text);
}

/** Every line is redacted of the keys this window knows (stored, from the environment) and of key shapes. */
const clean = (message: string, cause?: unknown): string => windowRedactor().text(cause === undefined ? message : `${message}: ${describeCause(cause)}`);

/** The extension's log: usable from any module; before activation it writes to the console. */
export const output = {
  info: (message: string): void => write('info', clean(message)),
  warn: (message: string, cause?: unknown): void => write('warn', clean(message, cause)),
  error: (message: string, cause?: unknown): void => write('error', clean(message, cause)),
  show: (): void => sink.show(true),
};

function describeCause(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Creates the channel, routes the engine's listener errors to it, and narrates every session of this
 * window. `record` (the extension-host tests' mode only) also keeps the lines, for `loggedLines`.
 */
export function createOutput(controller: SessionController, record = false): vscode.Disposable {
  const channel = vscode.window.createOutputChannel('Ensemble', { log: true });
  sink = channel;
  recorded = record ? [] : undefined;
  setUnexpectedErrorHandler((e) => output.error('An Ensemble listener failed', e));
  let follow: vscode.Disposable | undefined;
  const started = controller.onDidStart((a) => {
    follow?.dispose();
    output.info(`Session ${a.ref.sessionId} (${a.kind}) in ${a.ref.workspace}`);
    const sub = a.handle.log.onDidAppend((e) => {
      const line = narrate(e, a.handle.state);
      if (line) output[line.level](line.text.trim());
    });
    follow = { dispose: () => sub.dispose() };
  });
  return {
    dispose: () => {
      follow?.dispose();
      started.dispose();
      channel.dispose();
      sink = consoleSink;
      recorded = undefined;
    },
  };
}

/** The lines written to the channel since activation, when recording (tests); undefined otherwise. */
export function loggedLines(): readonly string[] | undefined {
  return recorded;
}
