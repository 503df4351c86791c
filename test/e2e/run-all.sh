#!/usr/bin/env bash
# `npm run test:e2e`: tools (cached), build (extension + extension-host suite), then, in a real
# VS Code: the extension-host suite, the packaged-extension smoke, the user journey (packaged
# extension, demo cassette served by `ensemble serve`) and the untrusted-workspace scenario.
# Every test step always runs; exit 1 if any of them failed (2: set-up or build failed).
set -uo pipefail
cd "$(dirname "$0")/../.."
T0=$SECONDS
bash test/e2e/setup.sh || exit 2
npm run -s build:test || exit 2

declare -a names=() codes=() secs=()
run_step() {   # run_step <name> <command…>: runs it, records its exit code and duration
  local name=$1 t=$SECONDS; shift
  echo "== e2e: ${name}"
  "$@"; local rc=$?
  names+=("$name"); codes+=("$rc"); secs+=("$((SECONDS - t))")
}

run_step "extension-host suite" node test/e2e/run-extension-tests.mjs

# One .vsix, as a user installs it (a production build), for the three packaged scenarios.
VSIX_DIR=$(mktemp -d /tmp/ens-vsix-XXXXXX)
trap 'rm -rf "$VSIX_DIR"' EXIT
VSIX="$VSIX_DIR/ensemble.vsix"
npm run -s package -- --out "$VSIX" >/dev/null || exit 2
run_step "packaged smoke" node test/e2e/smoke-packaged.mjs --vsix "$VSIX"
run_step "user journey" node test/e2e/journey.mjs --vsix "$VSIX"
run_step "untrusted workspace" node test/e2e/untrusted.mjs --vsix "$VSIX"
npm run -s build >/dev/null   # back to the development build (with source maps) the package replaced

failed=0
echo "== e2e summary ($((SECONDS - T0))s)"
for i in "${!names[@]}"; do
  if [ "${codes[$i]}" = 0 ]; then status=passed; else status="FAILED (exit ${codes[$i]})"; failed=1; fi
  printf '  %-22s %s (%ss)\n' "${names[$i]}" "$status" "${secs[$i]}"
done
exit "$failed"
