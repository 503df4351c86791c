#!/usr/bin/env node
// The `ensemble` command. It runs the bundled CLI, building it first when a checkout has not been
// built yet (so `npx ensemble …` works straight after `npm ci`).
const fs = require('node:fs');
const path = require('node:path');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
// The CLI loads the price data from dist/prices.js: a build from before it existed is rebuilt.
if (!fs.existsSync(cli) || !fs.existsSync(path.join(__dirname, '..', 'dist', 'prices.js'))) {
  const { execFileSync } = require('node:child_process');
  execFileSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'build.mjs')], { stdio: 'inherit' });
}
require(cli);
