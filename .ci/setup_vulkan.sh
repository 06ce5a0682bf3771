#!/usr/bin/env bash
# Installs Debian's lavapipe (Mesa's Vulkan driver that runs on the CPU) so Deno's WebGPU finds an
# adapter and the WebGPU training tests run in CI; a no-op where the packages are already installed.
# Without it those tests are ignored, with the reason in their names.
set -uo pipefail

PACKAGES=(mesa-vulkan-drivers libvulkan1)

installed() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || return 1
  done
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup_vulkan: not a Debian-based system; install a Vulkan driver by hand (WebGPU tests will skip)" >&2
  exit 1
fi
if installed "${PACKAGES[@]}"; then
  echo "setup_vulkan: ${PACKAGES[*]} already installed" >&2
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
      echo "setup_vulkan: not root and no sudo; cannot install ${PACKAGES[*]}" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Try the cached package lists first; refresh them only when that fails (a fresh image has none).
  if ! $SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}" >&2; then
    $SUDO apt-get update >&2 && $SUDO apt-get install -y --no-install-recommends "${PACKAGES[@]}" >&2 || {
      echo "setup_vulkan: apt-get could not install ${PACKAGES[*]}" >&2
      exit 1
    }
  fi
fi

icd=$(ls /usr/share/vulkan/icd.d/lvp_icd.*.json 2>/dev/null | head -n 1)
if [ -z "$icd" ]; then
  echo "setup_vulkan: packages installed but no lavapipe ICD under /usr/share/vulkan/icd.d" >&2
  exit 1
fi
echo "setup_vulkan: lavapipe ICD at $icd" >&2
