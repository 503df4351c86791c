// The README packaged into the .vsix (scripts/package-readme.mjs): VS Code shows it on the extension's
// page, where the screenshot (not packaged) and links to repository files would be broken.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

describe('packaged README', () => {
  it('is the README without its screenshot and with no link to a file the package does not hold', () => {
    const root = path.resolve(__dirname, '../..');
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ensemble-readme-')), 'README.md');
    execFileSync(process.execPath, ['scripts/package-readme.mjs', 'README.md', out], { cwd: root });
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const packaged = fs.readFileSync(out, 'utf8');
    assert.match(readme, /!\[[^\]]*\]\(media\/panel\.png\)/, 'the project README shows the screenshot');
    assert.doesNotMatch(packaged, /media\/panel\.png/);
    const targets = [...packaged.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]!);
    assert.deepEqual(targets.filter((t) => !/^(https?:|mailto:|#)/.test(t)), [], 'every link left goes to the web or within the page');
    assert.match(packaged, /`docs\/providers\.md` \(in the project's sources\)/);
    const headings = (t: string) => t.split('\n').filter((l) => l.startsWith('#'));
    assert.deepEqual(headings(packaged), headings(readme), 'nothing else is left out');
    fs.rmSync(path.dirname(out), { recursive: true });
  });
});
