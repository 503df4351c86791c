// git, run one way for every Node adapter that asks it something (the change tracker, the candidates'
// copies): the allow-listed environment (never a key) with no optional locks, no prompt, the C locale;
// no hook of the user's (`core.hooksPath` leads nowhere), no split index (which would leave a shared
// index file in the user's .git), paths unquoted. A process group of its own (POSIX), so that a stop
// reaches what it starts too (a checkout's filters, such as git-lfs).

import { spawn } from 'node:child_process';
import { childEnv } from '../core/quality/validation';

/** Where git looks for hooks: nowhere (a path under a file that cannot be a folder). */
const NO_HOOKS = '/dev/null';
/** The longest a git call takes unless its caller says otherwise. */
const DEFAULT_TIMEOUT_MS = 60_000;

/** A git command that failed: `stderr` is git's own words (or why it could not run). */
export class GitError extends Error {
  constructor(
    args: readonly string[],
    readonly stderr: string,
  ) {
    const command = args.filter((a, i) => a !== '-c' && args[i - 1] !== '-c' && !a.startsWith('-'));
    super(`git ${command.slice(0, 2).join(' ')} failed: ${stderr}`);
    this.name = 'GitError';
  }
}

export interface GitOptions {
  /** Added to the environment (a temporary index, an identity). */
  env?: Record<string, string>;
  /** Stops the process (and what it started), awaited before the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Written to its standard input. */
  input?: string | Buffer;
  timeoutMs?: number;
}

/** Runs `git args` in `cwd`; resolves what it printed, rejects with a GitError when it fails, times out or cannot start. */
export function runGit(cwd: string, args: readonly string[], opts: GitOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason);
    const env = { ...childEnv(process.env), GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...opts.env };
    const group = process.platform !== 'win32';
    const child = spawn('git', ['-c', `core.hooksPath=${NO_HOOKS}`, '-c', 'core.splitIndex=false', '-c', 'core.quotepath=off', ...args], {
      cwd,
      env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      windowsHide: true,
      detached: group,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    if (opts.input !== undefined) child.stdin!.on('error', () => undefined).end(opts.input);
    let why: 'aborted' | 'timeout' | undefined;
    const stop = (reason: 'aborted' | 'timeout') => {
      why ??= reason;
      try {
        if (group && child.pid) process.kill(-child.pid, 'SIGTERM');
        else child.kill('SIGTERM');
      } catch {
        child.kill('SIGTERM'); // the group is gone already
      }
    };
    const onAbort = () => stop('aborted');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    let failed: Error | undefined;
    child.on('error', (e) => (failed = e));
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (why === 'aborted') reject(opts.signal!.reason);
      else if (why === 'timeout') reject(new GitError(args, `it took longer than ${Math.round(timeoutMs / 1000)} s`));
      else if (failed)
        reject(new GitError(args, (failed as NodeJS.ErrnoException).code === 'ENOENT' ? 'git is not installed (or not on PATH)' : failed.message));
      else if (code !== 0) reject(new GitError(args, stderr || `exit code ${code}`));
      else resolve(Buffer.concat(out));
    });
  });
}
