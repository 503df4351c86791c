// The Sandbox port on Node. Linux: bubblewrap (`bwrap`, Debian's `bubblewrap`): the whole file system
// read-only, the workspace writable except every .git and .ensemble in it (outside node_modules), a
// private /tmp and /run, a /proc of its own PID namespace (no other process is visible, and everything
// the command started dies with it), no capabilities, no new user namespaces where bwrap can refuse
// them, and the network only when the rules allow it. Elsewhere (macOS, Windows) there is none yet:
// `probe` says so and the engine asks before every command.
//
// Why not @anthropic-ai/sandbox-runtime: it needs Node 22.12 (Ensemble supports 20.19), is an ES
// module, and on Linux routes all traffic through HTTP/SOCKS proxies it starts (needing socat) to
// filter domains; we need network on or off, which one bwrap flag gives. Its bwrap recipe (fresh
// /proc in a new PID namespace, --die-with-parent, --new-session, --disable-userns) is the one used here.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProcessSpec, Sandbox, SandboxRules, SandboxStatus } from '../core/ports';

/** The sandbox of this platform: bubblewrap on Linux; none elsewhere (its probe says why). */
export function platformSandbox(): Sandbox {
  if (process.platform === 'linux') return new BubblewrapSandbox();
  if (process.platform === 'darwin') return new NoSandbox('none is implemented for macOS yet (sandbox-exec is not used)');
  return new NoSandbox(`none is implemented for ${process.platform === 'win32' ? 'Windows' : process.platform}`);
}

/** A platform without a sandbox. */
export class NoSandbox implements Sandbox {
  constructor(private readonly reason: string) {}
  async probe(): Promise<SandboxStatus> {
    return { available: false, reason: this.reason };
  }
  async wrap(): Promise<ProcessSpec> {
    throw new Error(this.reason);
  }
}

/** How many read-only binds (.git and .ensemble found in the workspace) one command may need; more and it does not run. */
export const MAX_PROTECTED = 1000;
const PROBE_TIMEOUT_MS = 10_000;

type Probe = { ok: true; program: string; version: string; userns: string[] } | { ok: false; reason: string };

/** One probe per bwrap program for the life of the process (a VS Code window, a CLI run). */
const probes = new Map<string, Promise<Probe>>();

export class BubblewrapSandbox implements Sandbox {
  /** `program`: the bwrap to run (tests give a missing one); found on PATH when it is a bare name. */
  constructor(private readonly program = 'bwrap') {}

  async probe(): Promise<SandboxStatus> {
    const p = await this.probed();
    return p.ok ? { available: true, name: p.version } : { available: false, reason: p.reason };
  }

  async wrap(spec: ProcessSpec, rules: SandboxRules): Promise<ProcessSpec> {
    const p = await this.probed();
    if (!p.ok) throw new Error(p.reason);
    return { ...spec, command: p.program, args: await bwrapArgs(spec, rules, p.userns), shell: false, env: sandboxEnv(spec.env) };
  }

  private probed(): Promise<Probe> {
    let p = probes.get(this.program);
    if (!p) probes.set(this.program, (p = probe(this.program)));
    return p;
  }
}

/**
 * The environment inside: the one given, with the temporary folder and the caches of npm and of tools
 * that follow XDG in the private /tmp (the home folder is read-only there; `npm install` needs a cache).
 */
function sandboxEnv(env: ProcessSpec['env']): ProcessSpec['env'] {
  return { ...env, TMPDIR: '/tmp', npm_config_cache: '/tmp/.npm', XDG_CACHE_HOME: '/tmp/.cache' };
}

/** bwrap's arguments that run `spec` confined by `rules`. `userns`: the user-namespace flags the probe found working. */
export async function bwrapArgs(spec: ProcessSpec, rules: SandboxRules, userns: readonly string[]): Promise<string[]> {
  const root = await fs.promises.realpath(rules.writable);
  const cwd = path.join(root, path.relative(rules.writable, spec.cwd));
  if (!isInside(root, cwd)) throw new Error(`the folder ${spec.cwd} is outside ${rules.writable}`);
  const args = [
    ...userns,
    '--die-with-parent',
    '--new-session',
    '--unshare-pid',
    '--unshare-ipc',
    ...(rules.network ? [] : ['--unshare-net']),
    '--cap-drop',
    'ALL',
  ];
  // Everything read-only; a /dev, a /proc of the new PID namespace, and an empty /tmp and /run of its
  // own (the sockets under /run — Docker's, D-Bus's — would reach services outside). The resolver's
  // folder comes back, read-only: /etc/resolv.conf often links into it.
  args.push(
    '--ro-bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--tmpfs',
    '/tmp',
    '--tmpfs',
    '/run',
    '--ro-bind-try',
    '/run/systemd/resolve',
    '/run/systemd/resolve',
  );
  if (isRealDir('/var/run')) args.push('--tmpfs', '/var/run'); // usually a link to /run
  // Ensemble's own installation stays visible, read-only, where it lives under a folder masked above (a
  // checkout under /tmp): the MCP servers it ships or its tests start run from there.
  const own = ownRoot();
  if (own && MASKED.some((m) => isInside(m, own))) args.push('--ro-bind', own, own);
  args.push('--bind', root, root);
  const protectedPaths = await protectedIn(root, rules.readOnlyNames);
  if (protectedPaths.length > MAX_PROTECTED)
    throw new Error(`the workspace holds more than ${MAX_PROTECTED} ${rules.readOnlyNames.join(' and ')} folders to keep read-only`);
  for (const p of protectedPaths) args.push('--ro-bind', p, p);
  args.push('--chdir', cwd, '--');
  if (spec.shell) args.push('/bin/sh', '-c', spec.command);
  else args.push(spec.command, ...(spec.args ?? []));
  return args;
}

/** How long a walk for protected folders is reused before another is started (in the background). */
const PROTECTED_REFRESH_MS = 30_000;
const protectedWalks = new Map<string, { at: number; paths?: string[]; walking?: Promise<string[]> }>();

/**
 * The protected folders under `root` for one command, without walking the workspace for each: the last
 * walk's result (a walk costs time in proportion to the workspace: ~0.4 s at 30,000 files) while it is
 * under 30 s old, else a new walk, awaited only when there is no result yet. Each folder found is checked
 * to still be there (a bind of a missing path would fail), and the top level's own are always looked
 * for. So a nested .git or .ensemble that a command creates becomes read-only for commands that start
 * up to 30 s later; the README says so.
 */
async function protectedIn(root: string, names: readonly string[]): Promise<string[]> {
  const key = `${root}\0${names.join('\0')}`;
  let walk = protectedWalks.get(key);
  if (!walk) protectedWalks.set(key, (walk = { at: 0 }));
  const w = walk;
  if (!w.walking && (!w.paths || Date.now() - w.at > PROTECTED_REFRESH_MS)) {
    const started = Date.now();
    w.walking = findProtected(root, names)
      .then((paths) => {
        w.paths = paths;
        w.at = started;
        return paths;
      })
      .finally(() => (w.walking = undefined));
  }
  const paths = w.paths ?? (await w.walking!);
  const out = paths.filter((p) => fs.existsSync(p));
  for (const n of names) {
    const top = path.join(root, n);
    if (!out.includes(top) && isRealDir(top)) out.push(top);
  }
  return out;
}

/**
 * Every file or folder named one of `names` under `root` (real paths; one reached through a symbolic
 * link counts when it leads inside `root`), not looking inside them, nor inside node_modules (what npm
 * installs is replaced whole by npm) or behind a linked folder. Synchronous reads (three times faster
 * than the thread pool's) in slices of ~10 ms, so that a large workspace does not hold up other work.
 */
export async function findProtected(root: string, names: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const queue = [root];
  let slice = Date.now();
  for (let dir = queue.pop(); dir !== undefined; dir = queue.pop()) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // unreadable: the command cannot read it either
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (names.includes(e.name)) {
        const real = e.isSymbolicLink() ? await fs.promises.realpath(full).catch(() => undefined) : full;
        if (real !== undefined && isInside(root, real) && real !== root && !out.includes(real)) out.push(real);
      } else if (e.isDirectory() && e.name !== 'node_modules') queue.push(full);
      if (out.length > MAX_PROTECTED) return out;
    }
    if (Date.now() - slice > 10) {
      await new Promise((resolve) => setImmediate(resolve));
      slice = Date.now();
    }
  }
  return out;
}

/** The folders bwrap masks with an empty one of the sandbox's own. */
const MASKED = ['/tmp', '/run', '/var/run'];

/** The folder Ensemble runs from: the nearest one above this file whose package.json names it. */
let ownRootFound: string | null | undefined;
function ownRoot(): string | undefined {
  if (ownRootFound !== undefined) return ownRootFound ?? undefined;
  ownRootFound = null;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      if ((JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'ensemble') {
        ownRootFound = fs.realpathSync(dir);
        break;
      }
    } catch {
      // no package.json here: one folder up
    }
    if (path.dirname(dir) === dir) break;
  }
  return ownRootFound ?? undefined;
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function isRealDir(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The executable `program` names: itself when it is a path, else the first on PATH. */
function which(program: string): string | undefined {
  const candidates = program.includes('/')
    ? [program]
    : (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((d) => path.join(d, program));
  return candidates.find((c) => {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return fs.statSync(c).isFile();
    } catch {
      return false;
    }
  });
}

function run(file: string, args: string[], cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: PROBE_TIMEOUT_MS, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, windowsHide: true }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === null ? err.message : '') });
    });
  });
}

/**
 * Whether bwrap is there and can build a sandbox here: a trial run with every namespace a command may
 * get (network off included) that must write a file in a writable folder. User namespaces: refused to
 * the command where this bwrap can (`--disable-userns`, bubblewrap 0.8+), else only made for bwrap.
 */
async function probe(program: string): Promise<Probe> {
  const found = which(program);
  if (!found) return { ok: false, reason: `${program} (bubblewrap) is not installed; on Debian or Ubuntu: apt install bubblewrap` };
  const v = await run(found, ['--version']);
  if (v.code !== 0) return { ok: false, reason: `${program} --version failed: ${firstLine(v.stderr) || `exit code ${v.code}`}` };
  const version = v.stdout.trim() || 'bubblewrap';
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'ensemble-sandbox-probe-'));
  try {
    let first = '';
    for (const userns of [['--unshare-user', '--disable-userns'], ['--unshare-user'], []]) {
      const args = await bwrapArgs(
        { command: 'echo ok > probe', shell: true, cwd: dir, env: {}, timeoutMs: PROBE_TIMEOUT_MS },
        { writable: dir, readOnlyNames: [], network: false },
        userns,
      );
      const r = await run(found, args, dir);
      const wrote = await fs.promises.readFile(path.join(dir, 'probe'), 'utf8').catch(() => '');
      if (r.code === 0 && wrote.trim() === 'ok') return { ok: true, program: found, version, userns };
      first ||= firstLine(r.stderr) || `exit code ${r.code}`;
    }
    return { ok: false, reason: `${program} cannot create its namespaces here (${first})` };
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}
