// A generated git repository the size of a user's (30,000 files by default), for the `repo_*`
// figures of the benchmark: nested packages of TypeScript sources, tests, JSON and Markdown with
// realistic sizes (most files of 1–8 KB, a few of 50–200 KB), a .gitignore, ignored build output and
// a node_modules the listings must skip, committed, with git's index refreshed as a user's is.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';

/** A line that says `needle` once in every `every` files: a known number of matches for a search. */
export const NEEDLE = 'ensembleBenchNeedle';

/** Deterministic pseudo-random numbers (mulberry32), so that every run makes the same repository. */
function random(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function source(rnd: () => number, i: number, bytes: number, needle: boolean): string {
  const lines = [`// module ${i}`, `import { helper${i % 97} } from '../shared/helper${i % 97}';`, ''];
  let n = 0;
  while (lines.join('\n').length < bytes) {
    lines.push(`export function f${i}_${n}(x: number): number {`, `  const y = helper${i % 97}(x) * ${Math.floor(rnd() * 1000)};`, `  return y > ${n} ? y : x + ${n};`, '}', '');
    n++;
  }
  if (needle) lines.splice(3, 0, `const tag = '${NEEDLE}';`);
  return lines.join('\n') + '\n';
}

/**
 * Writes the repository into `dir` (made empty first): `files` tracked files, a needle line in every
 * 10th. Returns how many tracked files hold the needle (the true total of a search for it).
 */
export function makeRepo(dir: string, files: number): { needles: number } {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const rnd = random(files);
  let needles = 0;
  const write = (rel: string, text: string) => {
    const abs = path.join(dir, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, text);
  };
  write('.gitignore', 'node_modules/\ndist/\n*.log\ncoverage/\n');
  write('package.json', JSON.stringify({ name: 'bench-repo', private: true, workspaces: ['packages/*'], scripts: { test: 'node -e 0' } }, null, 2));
  write('README.md', '# A generated repository\n\nFor the benchmark.\n');
  const packages = Math.max(1, Math.round(files / 300));
  for (let i = 0; i < files - 3; i++) {
    const pkg = `packages/p${i % packages}`;
    const kind = rnd();
    const big = rnd() < 0.01;
    const bytes = big ? 50_000 + Math.floor(rnd() * 150_000) : 1000 + Math.floor(rnd() * rnd() * 7000);
    const needle = i % 10 === 0;
    if (needle) needles++;
    if (kind < 0.7) write(`${pkg}/src/m${i % 7}/d${i % 5}/file${i}.ts`, source(rnd, i, bytes, needle));
    else if (kind < 0.9) write(`${pkg}/test/file${i}.test.ts`, source(rnd, i, bytes, needle));
    else if (kind < 0.97) write(`${pkg}/docs/page${i}.md`, `# Page ${i}\n\n${needle ? `${NEEDLE}\n` : ''}${'Some words about the code. '.repeat(Math.ceil(bytes / 27))}\n`);
    else write(`${pkg}/data/d${i}.json`, JSON.stringify({ i, needle: needle ? NEEDLE : undefined, values: Array.from({ length: Math.ceil(bytes / 8) }, (_, k) => k) }));
  }
  // Ignored: what a build and an install leave, which no listing, search or change detection should pay for.
  for (let i = 0; i < Math.min(2000, files / 10); i++) write(`node_modules/dep${i % 50}/lib/f${i}.js`, `module.exports = '${NEEDLE}';\n`);
  for (let i = 0; i < Math.min(500, files / 50); i++) write(`packages/p0/dist/out${i}.js`, `// built ${NEEDLE}\n`);
  write('debug.log', `${NEEDLE}\n`);
  // No automatic gc: after a commit of thousands of loose objects git packs them in the background,
  // which competed with the measurements and raced the benchmark's removal of the repository.
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=bench@example.invalid', '-c', 'user.name=bench', '-c', 'gc.auto=0', ...args], { cwd: dir, stdio: 'pipe', maxBuffer: 1 << 26 });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'generated');
  // As a user's index is: refreshed (files written in the index's own clock tick are re-read otherwise).
  git('update-index', '-q', '--refresh');
  return { needles };
}
