#!/usr/bin/env bash
# Installs Debian's torch and torchvision for /usr/bin/python3, which the torchvision parity test
# (src/models/torchvision_parity_test.ts) runs to make reference weights and probabilities. Idempotent:
# does nothing when they import. The test skips, saying why, when they are absent.
set -euo pipefail

log() { echo "setup_torch: $*" >&2; }

if /usr/bin/python3 -c "import torch, torchvision" >/dev/null 2>&1; then
  log "found torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
  exit 0
fi
log "installing Debian's python3-torchvision"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends python3-torchvision >&2
log "installed torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
