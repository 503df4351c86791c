// The README packaged into the .vsix (`vsce package --readme-path out/README.md`, which VS Code shows
// on the extension's page): the project's README without what the package does not hold. The
// screenshot is kept out of the .vsix (~225 KB the extension never loads), and files of the repository
// (docs/, test/) are not in it; package.json names no repository for vsce to make their links
// absolute, so they would show as a broken image and dead links. Links to the web are kept.
//   node scripts/package-readme.mjs [README.md] [out/README.md]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const isRelative = (target) => !/^(https?:|mailto:|#)/i.test(target);

/** The packaged README's text for the project's README `text`. */
export function packagedReadme(text) {
  return text
    .replace(/^!\[([^\]]*)\]\(([^)]+)\)\n\n(\*[^\n]*(\n[^\n]+)*\*\n\n)?/gm, (all, alt, target) =>
      isRelative(target) ? `*(${alt}: a screenshot in the project's README, not packaged.)*\n\n` : all)
    .replace(/(?<!!)\[([^\]]+)\]\(([^)]+)\)/g, (all, label, target) =>
      !isRelative(target) ? all : label === target ? `\`${target}\` (in the project's sources)` : `${label} (\`${target}\` in the project's sources)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const from = path.resolve(root, process.argv[2] ?? 'README.md');
  const to = path.resolve(root, process.argv[3] ?? 'out/README.md');
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.writeFileSync(to, packagedReadme(fs.readFileSync(from, 'utf8')));
}
