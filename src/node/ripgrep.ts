// The TextSearch port on ripgrep. It is given the files to search (the FileStore's listing, so its
// file set is the listing's by construction: no ignore flag of ripgrep's has to agree with ours) and
// runs `rg` on them in batches (command lines have a length limit), two at a time:
//   1. `rg --count`: how many lines of each file match (the true total);
//   2. the first 8,000 bytes of each file that matched, for a NUL byte: binary files are named apart,
//      as git decides (`git grep -I`), and the engine's reading search decides the same way;
//   3. `rg --line-number` on just the files that hold the requested page of matches.
// Lines are read as git reads them (`--encoding none`: no byte order mark is interpreted; `--crlf`: a
// `\r` ending a line is not part of it).
// ripgrep gets the allow-listed environment (never a key), a time limit and the session's signal.
// When it cannot be started, or refuses the pattern, the answer is undefined and the engine reads
// the files itself.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TextMatch, TextQuery, TextSearch, TextSearchResult } from '../core/ports';
import { childEnv } from '../core/quality/validation';
import { BINARY_SNIFF_BYTES } from '../core/session/text-search';

const DEFAULT_TIMEOUT_MS = 60_000;
/** Characters of paths per ripgrep process: Windows takes 32,767 for a whole command line, macOS 1 MB with the environment, Linux 2 MB. */
const BATCH_CHARS = process.platform === 'win32' ? 24_000 : process.platform === 'darwin' ? 400_000 : 800_000;
/** ripgrep processes at a time (each one is multi-threaded already). */
const PARALLEL = 2;
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
/** A longer pattern is searched by the engine (it goes on every command line). */
const MAX_PATTERN_CHARS = 4000;

export interface RipgrepOptions {
  /** The ripgrep program: an absolute path, or a name looked up on PATH (default `rg`). */
  rgPath?: string;
  /** One ripgrep process may run this long (default 60 s). */
  timeoutMs?: number;
}

/**
 * Where VS Code keeps the ripgrep it ships (`@vscode/ripgrep`), under its `vscode.env.appRoot`; undefined
 * when none of the known places holds it.
 */
export function bundledRipgrep(appRoot: string): string | undefined {
  const exe = process.platform === 'win32' ? 'rg.exe' : 'rg';
  for (const modules of ['node_modules', 'node_modules.asar.unpacked']) {
    const candidate = path.join(appRoot, modules, '@vscode', 'ripgrep', 'bin', exe);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** ripgrep could not do what was asked (a pattern it refuses, a flag it does not know): the engine searches itself. */
class Refused extends Error {}

export class RipgrepSearch implements TextSearch {
  readonly rg: string;
  private readonly workspace: string;
  private realRoot: string | undefined;
  private readonly timeoutMs: number;
  /** Set once ripgrep could not be started: it is not tried again. */
  private missing = false;
  private version: Promise<number[] | undefined> | undefined;

  constructor(root: string, opts: RipgrepOptions = {}) {
    this.workspace = path.resolve(root);
    this.rg = opts.rgPath ?? 'rg';
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async search(
    query: TextQuery,
    files: readonly string[],
    page: { offset: number; limit: number },
    signal?: AbortSignal,
  ): Promise<TextSearchResult | undefined> {
    if (this.missing || query.pattern.includes('\0') || query.pattern.length > MAX_PATTERN_CHARS) return undefined; // no NUL can be passed to a process
    const version = await (this.version ??= this.probe(signal));
    if (!version) return undefined;
    const flags = [
      '--no-config',
      '--text',
      '--encoding',
      'none',
      '--crlf',
      '--with-filename',
      '--null',
      '--color',
      'never',
      query.caseSensitive ? '--case-sensitive' : '--ignore-case',
    ];
    if (!query.regex) flags.push('--fixed-strings');
    else flags.push((version[0] ?? 0) >= 14 ? '--engine=auto' : '--auto-hybrid-regex'); // lookaround and backreferences through PCRE2
    flags.push('--regexp', query.pattern);
    // One failing ripgrep (its time limit, a refusal) stops the others: none outlives the search.
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal!.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const counts = new Map<string, number>();
      const unreadable = new Set<string>();
      await this.batches(files, stop, async (batch) => {
        const r = await this.run([...flags, '--count', '--', ...batch], stop.signal);
        this.problems(r, batch, unreadable);
        eachRecord(r.stdout, (file, rest) => counts.set(file, Number(rest)));
      });
      const matched = files.filter((f) => counts.has(f));
      const sniff = Buffer.allocUnsafe(BINARY_SNIFF_BYTES);
      const binary = new Set(matched.filter((f) => this.isBinary(f, sniff)));
      const text = matched.filter((f) => !binary.has(f));
      const matches = await this.page(flags, text, counts, page, unreadable, stop);
      return { files: text.map((f) => ({ path: f, lines: counts.get(f)! })), binary: [...binary], matches, unreadable: [...unreadable] };
    } catch (e) {
      if (e instanceof Refused) return undefined;
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The matching lines from the `offset`-th on: only the files that hold them are searched again. */
  private async page(
    flags: string[],
    text: string[],
    counts: Map<string, number>,
    page: { offset: number; limit: number },
    unreadable: Set<string>,
    stop: AbortController,
  ): Promise<TextMatch[]> {
    const want: { path: string; skip: number; take: number }[] = [];
    let before = 0;
    let taken = 0;
    for (const f of text) {
      if (taken >= page.limit) break;
      const n = counts.get(f)!;
      if (before + n > page.offset) {
        const skip = Math.max(0, page.offset - before);
        const take = Math.min(n - skip, page.limit - taken);
        want.push({ path: f, skip, take });
        taken += take;
      }
      before += n;
    }
    if (!want.length) return [];
    const lines = new Map<string, TextMatch[]>(want.map((w) => [w.path, []]));
    const collect = async (files: string[], max: number) => {
      await this.batches(files, stop, async (batch) => {
        const r = await this.run([...flags, '--line-number', '--max-count', String(max), '--', ...batch], stop.signal);
        this.problems(r, batch, unreadable);
        eachRecord(
          r.stdout,
          (file, rest) => {
            const colon = rest.indexOf(':');
            let line = rest.slice(colon + 1);
            if (line.endsWith('\r')) line = line.slice(0, -1);
            lines.get(file)?.push({ path: file, line: Number(rest.slice(0, colon)), text: line });
          },
          true,
        );
      });
    };
    // The first file may be entered deep into its matches; the others from their first.
    const [first, ...rest] = want;
    await together(stop, [
      () => collect([first!.path], first!.skip + first!.take),
      ...(rest.length
        ? [
            () =>
              collect(
                rest.map((w) => w.path),
                Math.max(...rest.map((w) => w.take)),
              ),
          ]
        : []),
    ]);
    return want.flatMap((w) =>
      lines
        .get(w.path)!
        .sort((a, b) => a.line - b.line)
        .slice(w.skip, w.skip + w.take),
    );
  }

  /** Runs `each` over batches of `files` whose paths fit on a command line (at least PARALLEL of them, of even size), PARALLEL at a time. */
  private async batches(files: readonly string[], stop: AbortController, each: (batch: string[]) => Promise<void>): Promise<void> {
    const total = files.reduce((n, f) => n + f.length + 1, 0);
    const size = Math.min(BATCH_CHARS - MAX_PATTERN_CHARS, Math.ceil(total / PARALLEL));
    const batches: string[][] = [];
    let batch: string[] = [];
    let chars = 0;
    for (const f of files) {
      if (batch.length && chars + f.length + 1 > size) {
        batches.push(batch);
        batch = [];
        chars = 0;
      }
      batch.push(f);
      chars += f.length + 1;
    }
    if (batch.length) batches.push(batch);
    let next = 0;
    const worker = async () => {
      while (next < batches.length && !stop.signal.aborted) await each(batches[next++]!);
    };
    await together(
      stop,
      Array.from({ length: Math.min(PARALLEL, batches.length) }, () => worker),
    );
  }

  /**
   * Files the system would not let ripgrep read go to `unreadable` (a file gone since it was listed is
   * not a problem); any other complaint means it cannot answer as the engine would (a pattern it
   * refuses, PCRE2 refusing a file that is not UTF-8): the engine then reads the files itself.
   */
  private problems(r: Run, batch: string[], unreadable: Set<string>): void {
    if (r.code === 0 || r.code === 1) return; // matches, or none
    const known = new Set(batch);
    const lines = r.stderr.split('\n').filter((l) => l.trim());
    for (const raw of lines) {
      const line = raw.replace(/^rg: /, '');
      let file: string | undefined;
      for (let at = line.indexOf(': '); at > 0 && !file; at = line.indexOf(': ', at + 1)) if (known.has(line.slice(0, at))) file = line.slice(0, at);
      const io = /\((os error \d+|The system cannot find the (file|path) specified\.)\)\s*$/i.exec(line);
      if (!file || !io) throw new Refused(raw);
      if (!/os error 2\b|cannot find/i.test(io[1]!)) unreadable.add(file);
    }
    if (!lines.length) throw new Refused(`ripgrep exited with ${r.code}`);
  }

  /** A NUL byte in the first 8,000 bytes (read into `buf`): the engine's reading search decides the same way. */
  private isBinary(rel: string, buf: Buffer): boolean {
    let fd: number | undefined;
    try {
      fd = fs.openSync(path.join(this.root, rel), 'r');
      const n = fs.readSync(fd, buf, 0, BINARY_SNIFF_BYTES, 0);
      return buf.subarray(0, n).includes(0);
    } catch {
      return false; // gone since: its lines (if any are found again) are text
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /** ripgrep's version, or undefined when it cannot be started here (then it is not tried again). */
  private async probe(signal?: AbortSignal): Promise<number[] | undefined> {
    try {
      const r = await this.run(['--version'], signal);
      const m = /ripgrep (\d+)\.(\d+)\.(\d+)/.exec(r.stdout.toString('utf8'));
      if (r.code === 0 && m) return m.slice(1).map(Number);
    } catch (e) {
      if (signal?.aborted) {
        this.version = undefined; // asked again next time
        throw e;
      }
    }
    this.missing = true;
    return undefined;
  }

  /** The workspace's real path: the file store's paths are relative to it. */
  private get root(): string {
    return (this.realRoot ??= fs.realpathSync(this.workspace));
  }

  private run(args: string[], signal?: AbortSignal): Promise<Run> {
    return new Promise<Run>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const child = spawn(this.rg, args, { cwd: this.root, env: childEnv(process.env), stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
      const out: Buffer[] = [];
      let err = '';
      let failed: Error | undefined;
      const stop = (why: Error) => {
        failed ??= why;
        child.kill();
      };
      const timer = setTimeout(
        () => stop(new Error(`The search took longer than ${Math.round(this.timeoutMs / 1000)} s and was stopped: narrow it with path or glob.`)),
        this.timeoutMs,
      );
      const onAbort = () => stop(signal!.reason instanceof Error ? signal!.reason : new Error(String(signal!.reason)));
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      child.on('error', (e: NodeJS.ErrnoException) =>
        settle(() => reject(failed ?? (e.code === 'ENOENT' || e.code === 'EACCES' ? new Refused(e.message) : e))),
      );
      child.on('close', (code) => settle(() => (failed ? reject(failed) : resolve({ code, stdout: Buffer.concat(out), stderr: err }))));
    });
  }
}

/** Runs the tasks at once; the first to fail stops the others (`stop`), and its error is thrown once all have ended. */
async function together(stop: AbortController, tasks: (() => Promise<void>)[]): Promise<void> {
  let first: unknown;
  await Promise.all(
    tasks.map((t) =>
      t().catch((e: unknown) => {
        if (first === undefined) first = e ?? new Error('failed');
        stop.abort(first);
      }),
    ),
  );
  if (first !== undefined) throw first;
}

/**
 * Each `path\0rest\n` record of ripgrep's output (`--null`): a path may hold any character but NUL;
 * `rest` (a count, or `line:text` with `lines`) ends at the next line break.
 */
function eachRecord(buf: Buffer, each: (file: string, rest: string) => void, lines = false): void {
  let pos = 0;
  while (pos < buf.length) {
    const nul = buf.indexOf(0, pos);
    if (nul < 0) return;
    let nl = buf.indexOf(10, nul + 1);
    if (nl < 0) nl = buf.length;
    each(buf.toString('utf8', pos, nul), lines ? utf8.decode(buf.subarray(nul + 1, nl)) : buf.toString('latin1', nul + 1, nl));
    pos = nl + 1;
  }
}
