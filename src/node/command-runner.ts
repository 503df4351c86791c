// The CommandRunner port on Node: spawns a process in a process group of its own (so that the whole
// tree can be killed: `kill(-pgid)`; `taskkill /T` on Windows), with exactly the environment it is
// given, keeps the tail of its output, and kills the group at the timeout, on abort and once the
// process exits (what it left running, a server or a watcher, goes too).

import { spawn, type ChildProcess } from 'node:child_process';
import type { CommandRunner, ProcessResult, ProcessSpec } from '../core/ports';
import { stripAnsi } from '../core/quality/validation';

const DEFAULT_MAX_OUTPUT = 200 * 1024;
/** After the process exits, how long its pipes may stay open (held by strays) before we stop reading. */
const EXIT_GRACE_MS = 1000;

export class NodeCommandRunner implements CommandRunner {
  async run(spec: ProcessSpec): Promise<ProcessResult> {
    const started = Date.now(),
      windows = process.platform === 'win32';
    const max = spec.maxOutputChars ?? DEFAULT_MAX_OUTPUT;
    let output = '',
      omitted = 0,
      timedOut = false,
      cancelled = false;
    const append = (text: string): void => {
      output += text;
      // Trimmed in steps, not on every chunk: megabytes of output cost linear time, not quadratic.
      if (output.length > max * 2) {
        omitted += output.length - max;
        output = output.slice(-max);
      }
    };
    const exit = await new Promise<number | null>((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn(spec.command, spec.args ?? [], {
          cwd: spec.cwd,
          env: spec.env,
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: !windows, // its own process group, so that the whole tree can be killed
          windowsHide: true,
          // A command line runs through the shell (sh -c / cmd.exe). Otherwise Node refuses .cmd/.bat files
          // without a shell (CVE-2024-27980): only our own fixed arguments are passed to those.
          shell: spec.shell || (windows && /\.(cmd|bat)$/i.test(spec.command)),
        });
      } catch (err) {
        append(`[ensemble] could not start ${spec.command}: ${(err as Error).message}\n`);
        resolve(null);
        return;
      }
      let settled = false,
        exited = false,
        code: number | null = null;
      const done = (): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        spec.signal?.removeEventListener('abort', onAbort);
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve(code);
      };
      const onAbort = (): void => {
        cancelled ||= !exited;
        killGroup(child);
      };
      const timer = setTimeout(
        () => {
          timedOut = true;
          killGroup(child);
        },
        Math.max(0, spec.timeoutMs),
      );
      child.stdout?.setEncoding('utf8').on('data', append);
      child.stderr?.setEncoding('utf8').on('data', append);
      child.on('error', (err) => {
        append(`[ensemble] could not run ${spec.command}: ${err.message}\n`);
        done();
      });
      child.on('exit', (c) => {
        code = c;
        exited = true;
        clearTimeout(timer); // it ended in time, however long its strays keep the pipes open
        killGroup(child); // anything it left running in the group goes too
        setTimeout(done, EXIT_GRACE_MS).unref(); // do not wait forever for pipes held open by strays
      });
      child.on('close', done);
      if (spec.signal?.aborted) onAbort();
      else spec.signal?.addEventListener('abort', onAbort, { once: true });
    });
    if (timedOut) append(`\n[ensemble] timed out after ${spec.timeoutMs} ms; the process and everything it started were killed\n`);
    else if (cancelled) append('\n[ensemble] cancelled; the process and everything it started were killed\n');
    let clean = stripAnsi(output);
    if (clean.length > max) {
      omitted += clean.length - max;
      clean = clean.slice(-max);
    }
    return { exitCode: exit, timedOut, cancelled, durationMs: Date.now() - started, output: clean, omittedChars: omitted };
  }
}

function killGroup(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  try {
    if (process.platform === 'win32') spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', () => undefined);
    else process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
