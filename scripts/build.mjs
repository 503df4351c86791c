// Bundles the targets with esbuild: the extension (node, cjs, `vscode` external) in two files — what
// loading and activating it needs (dist/extension.js) and what a session needs (dist/runtime.js: the
// engine, the provider SDKs, zod…, required when a session is first started: src/vscode/lazy.ts) —,
// the CLI (node), the price data (dist/prices.js) and the side panel (browser), and copies the panel's
// codicons. Type-checking is separate: `npm run typecheck`.
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');
// `--out <dir>`: another folder than dist/ (the benchmark measures a production build without touching dist/).
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? path.resolve(process.argv[outIndex + 1]) : path.join(root, 'dist');

const common = {
  bundle: true,
  // jsonc-parser's `main` is a UMD build whose requires the bundler cannot see: bundle its ES module build.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
};

// The price library's data is ~480 KB: it gets a file of its own, dist/prices.js, which the engine
// requires on first use (src/core/pricing.ts), so activating the extension does not parse it.
const PRICES = '@pydantic/genai-prices';
const pricesApart = {
  name: 'prices-apart',
  setup(build) {
    build.onResolve({ filter: /^@pydantic\/genai-prices$/ }, () => ({ path: './prices.js', external: true }));
  },
};

// The session runtime is a file of its own, required on first use: `./runtime` in src/vscode/lazy.ts
// stays a require of dist/runtime.js in dist/extension.js.
const runtimeApart = {
  name: 'runtime-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/runtime$/ }, (a) => (a.importer.endsWith(path.join('src', 'vscode', 'lazy.ts')) ? { path: './runtime.js', external: true } : undefined));
  },
};

/**
 * What each extension file must not hold: activation never loads an SDK, zod or the engine; the runtime
 * never holds a copy of the window's state (the Output channel, the keys it handled: output.ts, secrets.ts).
 */
const FORBIDDEN = {
  'extension.js': [/node_modules\/(openai|@anthropic-ai|@google|zod)\//, /^src\/core\/session\/session\.ts$/, /^src\/providers\//, /^src\/vscode\/runtime\.ts$/],
  'runtime.js': [/^src\/vscode\/(output|secrets|lazy)\.ts$/],
};
const checkInputs = {
  name: 'check-inputs',
  setup(build) {
    build.onEnd((r) => {
      if (!r.metafile) return;
      for (const [file, inputs] of Object.entries(r.metafile.outputs).map(([f, o]) => [path.basename(f), Object.keys(o.inputs)])) {
        const bad = inputs.filter((i) => (FORBIDDEN[file] ?? []).some((re) => re.test(i)));
        if (bad.length) throw new Error(`dist/${file} must not hold ${bad.join(', ')} (scripts/build.mjs FORBIDDEN)`);
      }
    });
  },
};

const targets = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: path.join(out, 'extension.js'), platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], plugins: [pricesApart, runtimeApart, checkInputs], metafile: true },
  { ...common, entryPoints: ['src/vscode/runtime.ts'], outfile: path.join(out, 'runtime.js'), platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], plugins: [pricesApart, checkInputs], metafile: true },
  { ...common, entryPoints: ['src/cli.ts'], outfile: path.join(out, 'cli.js'), platform: 'node', format: 'cjs', target: 'node20', plugins: [pricesApart] },
  // Through `require`, so that the package's CommonJS build is the one bundled.
  { ...common, stdin: { contents: `module.exports = require('${PRICES}');`, resolveDir: root, sourcefile: 'prices.cjs' }, outfile: path.join(out, 'prices.js'), platform: 'node', format: 'cjs', target: 'node20' },
  { ...common, entryPoints: ['webview/main.ts'], outfile: path.join(out, 'webview.js'), platform: 'browser', format: 'iife', target: 'es2020' },
];

// `--tests`: also the extension-host test suite (run by @vscode/test-cli, or by any runner through
// extensionTestsPath = out/test/suite/index.js). `vscode` comes from the host; mocha from node_modules.
if (tests) {
  targets.push({ ...common, sourcemap: true, minify: false, entryPoints: ['test/vscode/suite/index.ts'], outfile: 'out/test/suite/index.js', platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'mocha'] });
}

// `--bench`: also the benchmark (scripts/bench.ts), so that its figures are measured on the engine
// bundled as it ships, not under a TypeScript loader (playwright-core, which drives Chromium, is not bundled).
if (process.argv.includes('--bench')) {
  targets.push({ ...common, entryPoints: ['scripts/bench.ts'], outfile: path.join(out, 'bench.js'), platform: 'node', format: 'cjs', target: 'node20', external: ['playwright-core'], plugins: [pricesApart] });
}

// A production build has no source maps: remove those a development build left, so that they are not
// packaged into the .vsix (.vscodeignore allows all of dist/).
if (production) {
  for (const f of fs.existsSync(out) ? fs.readdirSync(out) : []) if (f.endsWith('.map')) fs.rmSync(path.join(out, f));
}

// The panel's icons: VS Code's codicon font and its stylesheet (@vscode/codicons, CC-BY-4.0: its
// licence goes along), copied to dist/codicons/ where the webview loads them (src/vscode/html.ts).
const codicons = path.dirname(createRequire(import.meta.url).resolve('@vscode/codicons/package.json'));
fs.mkdirSync(path.join(root, 'dist', 'codicons'), { recursive: true });
for (const [from, to] of [['dist/codicon.css', 'codicon.css'], ['dist/codicon.ttf', 'codicon.ttf'], ['LICENSE', 'LICENSE']]) fs.copyFileSync(path.join(codicons, from), path.join(root, 'dist', 'codicons', to));

if (watch) {
  for (const t of targets) await (await esbuild.context(t)).watch();
  console.log('[ensemble] watching for changes…');
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
}
