#!/usr/bin/env bash
# Everything the tests need on a fresh Debian machine, then .venv with lockgate and its test
# extra. The README's test command and .ci/run both start with this script.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages, only when missing: the HTML report's browser test drives Debian's chromium
# (never `playwright install`), the remote-store tests start a real redis-server, and the HTTP
# remote's tests a Turborepo cache server on node.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=$([ "$(id -u)" = 0 ] || echo sudo)
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}"
fi

python3 -m venv .venv
.venv/bin/pip install -q -e '.[test]'
# An editable install compiles nothing: with PYTHONDONTWRITEBYTECODE set (as on CI machines),
# each of the suite's lockgate processes would compile lockgate's sources again (a third of a
# small project's no-change run). Bytecode made here is read, and ignored once its source changes.
.venv/bin/python -m compileall -q src

# The Turborepo-compatible cache server of the HTTP remote's tests, from the npm registry, in a
# project-local folder (git-ignored); pinned, so every machine tests against the same server.
[ -f .node/node_modules/turborepo-remote-cache/package.json ] ||
    npm install --prefix .node --no-audit --no-fund --loglevel=error turborepo-remote-cache@2.12.0
