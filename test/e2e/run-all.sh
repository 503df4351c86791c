#!/usr/bin/env bash
# `npm run test:e2e`: tools (cached), build (extension + extension-host suite), the suite in a real
# VS Code, then the packaged-extension smoke. Both test steps always run; exit 1 if either failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
T0=$SECONDS
bash test/e2e/setup.sh || exit 2
npm run -s build:test || exit 2
echo "== e2e: extension-host suite"
node test/e2e/run-extension-tests.mjs; suite=$?
echo "== e2e: packaged extension"
node test/e2e/smoke-packaged.mjs; packaged=$?
echo "e2e: extension-host suite exit ${suite}, packaged smoke exit ${packaged} ($((SECONDS - T0))s)"
[ "$suite" = 0 ] && [ "$packaged" = 0 ]
