#!/usr/bin/env bash
# Installs Debian's oneDNN 2.x runtime (libdnnl2: libdnnl.so.2, the library Debian's PyTorch links), which
# the native CPU backend loads through Deno FFI; its kernel tests then run instead of skipping, and
# `training.backend: auto` picks it. A no-op where it is installed.
set -uo pipefail

log() { echo "setup_onednn: $*" >&2; }

if ldconfig -p 2>/dev/null | grep -q 'libdnnl\.so\.2 '; then
  log "libdnnl.so.2 already installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "not a Debian-based system; install oneDNN 2.x (libdnnl.so.2) by hand (native tests will skip)"
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    log "not root and no sudo; cannot install libdnnl2"
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq --no-install-recommends libdnnl2 >&2; then
  $SUDO apt-get update -qq >&2 && $SUDO apt-get install -y -qq --no-install-recommends libdnnl2 >&2 || {
    log "apt-get could not install libdnnl2"
    exit 1
  }
fi
log "installed $(ls /usr/lib/*/libdnnl.so.2.* 2>/dev/null | head -n 1)"
