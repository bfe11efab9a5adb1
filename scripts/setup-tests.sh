#!/usr/bin/env bash
# Everything the tests need on a fresh Debian machine, then .venv with lockgate and its test
# extra. The README's test command and .ci/run both start with this script.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages, only when missing: the HTML report's browser test drives Debian's chromium
# (never `playwright install`), and the remote-store tests start a real redis-server.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=$([ "$(id -u)" = 0 ] || echo sudo)
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}"
fi

python3 -m venv .venv
.venv/bin/pip install -q -e '.[test]'
