#!/usr/bin/env bash
# Installs Debian's chromium for the report's browser test (src/report/html_report_browser_test.ts),
# which renders a training report headless and checks its charts. Idempotent: does nothing when a
# chromium is already on PATH. The test skips, saying why, when no browser can be found.
set -euo pipefail

log() { echo "setup_chromium: $*" >&2; }

if command -v chromium >/dev/null 2>&1 && chromium --version >/dev/null 2>&1; then
  log "found $(chromium --version 2>/dev/null)"
  exit 0
fi
log "installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
log "installed $(chromium --version 2>/dev/null)"
