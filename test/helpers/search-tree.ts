// A workspace made to try listings and searches: generated source files (seeded), nested .gitignore
// files (anchored rules, `**`, negations, a whitelist), hidden files, ignored build output, node_modules
// and .ensemble folders at several depths, binary files, text that is not UTF-8, UTF-8 and UTF-16 byte
// order marks, CRLF lines, a NUL byte after git's 8,000-byte sniff, a long minified line, odd names, a
// symbolic link. It is a git repository whose .git/info/exclude names what Ensemble never lists
// (node_modules, .ensemble), so that git's own view of it is the ground truth (gitListing, gitGrep).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';

/** The word the tree is searched for; it also occurs as Needle, NEEDLE and needle<digits>. */
export const NEEDLE = 'needle';

function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['const', 'value', 'return', 'export', 'function', 'import', 'from', 'state', 'store', 'render', 'props', 'await', 'async', 'items', 'filter', 'map', 'index', 'key'];

export function makeSearchTree(dir: string, files = 500, seed = 7): void {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const write = (rel: string, data: string | Buffer) => {
    const abs = path.join(dir, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, data);
  };
  const line = () => {
    const words = Array.from({ length: 3 + Math.floor(rnd() * 9) }, () => pick(WORDS));
    const r = rnd();
    if (r < 0.05) words.splice(Math.floor(rnd() * words.length), 0, NEEDLE);
    else if (r < 0.06) words.push(`${NEEDLE}${Math.floor(rnd() * 100)}`);
    else if (r < 0.07) words.unshift(pick(['Needle', 'NEEDLE']));
    else if (r < 0.075) words.push(NEEDLE, NEEDLE); // twice on one line: one matching line
    return `  ${words.join(' ')};`;
  };
  const text = (lines: number) => Array.from({ length: lines }, line).join('\n') + '\n';

  write('.gitignore', ['build/', '*.log', '/root-only.txt', 'docs/**/draft-*', '!docs/keep/draft-keep.md', '.env', 'coverage'].join('\n') + '\n');
  write('README.md', `# Tree\n\nSearch for the ${NEEDLE} here.\n`);
  write('root-only.txt', `${NEEDLE} (ignored: anchored to the root)\n`);
  write('sub/root-only.txt', `${NEEDLE} (listed: the rule is anchored to the root)\n`);
  write('build/out.js', `${NEEDLE}\n`);
  write('coverage/lcov.info', `${NEEDLE}\n`);
  write('packages/a/coverage', `${NEEDLE} (a file named like an ignored folder is ignored too)\n`);
  write('app.log', `${NEEDLE}\n`);
  write('.env', `SECRET=${NEEDLE}\n`);
  write('.env.example', `SECRET=${NEEDLE}\n`);
  write('.config/tool/settings.json', `{ "${NEEDLE}": true }\n`);
  write('docs/guide/draft-intro.md', `${NEEDLE}\n`);
  write('docs/keep/draft-keep.md', `${NEEDLE} kept by a negation\n`);
  write('docs/keep/draft-other.md', `${NEEDLE}\n`);
  // Never listed, whatever .gitignore says.
  write('node_modules/pkg/index.js', `${NEEDLE}\n`);
  write('packages/a/node_modules/dep/index.js', `${NEEDLE}\n`);
  write('.ensemble/notes.md', `${NEEDLE}\n`);
  write('packages/b/.ensemble/x.md', `${NEEDLE}\n`);
  // Nested rules: relative to their folder, deeper ones win.
  write('packages/a/.gitignore', 'generated/\n*.tmp\n!keep.tmp\n/local.txt\n');
  write('packages/a/generated/g.ts', `${NEEDLE}\n`);
  write('packages/a/x.tmp', `${NEEDLE}\n`);
  write('packages/a/keep.tmp', `${NEEDLE}\n`);
  write('packages/a/local.txt', `${NEEDLE}\n`);
  write('packages/a/src/local.txt', `${NEEDLE}\n`);
  write('packages/b/.gitignore', '!*.log\n');
  write('packages/b/debug.log', `${NEEDLE} (a deeper negation includes it again)\n`);
  write('packages/c/.gitignore', '*\n!.gitignore\n!*/\n!*.ts\n');
  write('packages/c/src/a.ts', `${NEEDLE}\n`);
  write('packages/c/src/a.js', `${NEEDLE}\n`);
  write('packages/c/readme.md', `${NEEDLE}\n`);
  // Encodings and line ends.
  write('docs/latin1.txt', Buffer.concat([Buffer.from(`${NEEDLE} caf`), Buffer.from([0xe9]), Buffer.from(`\nno\n${NEEDLE}\n`)]));
  write('docs/utf16.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${NEEDLE}\nx\n`, 'utf16le')]));
  write('src/bom.ts', `\ufeff${NEEDLE} on the first line\nthen ${NEEDLE}\n`);
  write('src/crlf.ts', `one ${NEEDLE}\r\ntwo\r\nthree ${NEEDLE}\r\n`);
  write('src/no-final-newline.ts', `first\nlast ${NEEDLE}`);
  write('src/empty.ts', '');
  write('src/long.min.js', `var a=${'x'.repeat(30_000)};var ${NEEDLE}=1;${'y'.repeat(30_000)}\n`);
  write('fixtures/late-nul.txt', Buffer.concat([Buffer.from(`${NEEDLE}\n${'t'.repeat(9000)}\n`), Buffer.from([0]), Buffer.from(`\n${NEEDLE} after the NUL\n`)]));
  write('src/name with spaces.ts', `${NEEDLE}\n`);
  write('src/ünïcödé.ts', `${NEEDLE}\n`);
  write('src/-dash.ts', `${NEEDLE}\n`);
  fs.symlinkSync('bom.ts', path.join(dir, 'src', 'link.ts'));
  for (let i = 0; i < 6; i++) write(`assets/img${i}.png`, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), Buffer.from(i % 2 ? `${NEEDLE}\n` : 'none\n')]));
  // The bulk: sources in nested folders, a few larger ones.
  const made = 60;
  for (let i = 0; i < Math.max(0, files - made); i++) {
    const folder = `${pick(['src', 'lib', 'test', 'packages/a/src', 'packages/b/src', 'docs'])}/${pick(['core', 'ui', 'util', 'api'])}${i % 3 ? `/m${i % 7}` : ''}`;
    const lines = rnd() < 0.03 ? 400 + Math.floor(rnd() * 800) : 5 + Math.floor(rnd() * 60);
    write(`${folder}/file${i}.${pick(['ts', 'js', 'md', 'json'])}`, text(lines));
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q');
  fs.writeFileSync(path.join(dir, '.git', 'info', 'exclude'), 'node_modules/\n.ensemble/\n');
}

const isLink = (dir: string, rel: string) => fs.lstatSync(path.join(dir, rel)).isSymbolicLink();

/** The files git sees in the work tree (tracked or not, not ignored), without symbolic links: what Ensemble lists. */
export function gitListing(dir: string): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '-co', '--exclude-standard'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
  return out.split('\0').filter((p) => p && !isLink(dir, p)).sort();
}

/**
 * `git grep` over the same files: how many lines of each text file match (`-I`), and which binary
 * files (a NUL in their first 8,000 bytes) hold a match.
 */
export function gitGrep(dir: string, pattern: string, opts: { regex?: boolean; ignoreCase?: boolean } = {}): { counts: Map<string, number>; binary: string[] } {
  const args = ['-c', 'core.quotepath=off', 'grep', '-z', '--untracked', opts.regex ? '-E' : '-F', ...(opts.ignoreCase ? ['-i'] : []), '-e', pattern];
  const run = (extra: string[]) => {
    try {
      return execFileSync('git', [...args, ...extra], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });
    } catch (e) {
      if ((e as { status?: number }).status === 1) return ''; // no match
      throw e;
    }
  };
  const counts = new Map<string, number>();
  for (const rec of run(['-I', '-c']).split('\n').filter(Boolean)) {
    const [p, n] = rec.split('\0') as [string, string];
    if (!isLink(dir, p)) counts.set(p, Number(n));
  }
  const binary = run(['-l']).split('\0').filter((p) => p && !counts.has(p) && !isLink(dir, p)).sort();
  return { counts, binary };
}
