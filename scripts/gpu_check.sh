#!/usr/bin/env bash
# GPU host check, from the one file: `mmml gpu-check` (ResNet-18 and ResNet-50 training steps at 224 px on
# WebGPU beside the host's own PyTorch, nvidia-smi sampled during them, ONNX Runtime's providers), with the
# host prepared first. Progress goes to stderr; the last line on stdout is one JSON object.
#
#   scripts/gpu_check.sh [mmml gpu-check flags...]     e.g. --models resnet18 --steps 5
#
# MMML: the program (default: ./mmml beside this script or in the working folder; else `deno run cli.ts`
#       in a clone). PYTHON: the Python with PyTorch (default python3). GPU_CHECK_TIMEOUT: seconds (470).
# What it brings along: a libvulkan.so.1 placed beside this script or beside ./mmml (Debian's libvulkan1)
# is used when the host has no Vulkan loader; the NVIDIA ICD itself comes with the driver.
# Exit status: 0 a GPU adapter trained every model; 3 no GPU (none, or a CPU adapter such as lavapipe);
# 1 a step failed; 124 the time limit.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
log() { echo "gpu_check: $*" >&2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -n "${MMML:-}" ]; then
  cmd=("$MMML")
elif [ -x "$here/mmml" ]; then
  cmd=("$here/mmml")
elif [ -x ./mmml ]; then
  cmd=("$(pwd)/mmml")
elif [ -f "$here/../cli.ts" ] && command -v deno >/dev/null 2>&1; then
  cmd=(deno run --allow-read --allow-write --allow-env --allow-ffi --allow-net --allow-sys --allow-run "$here/../cli.ts")
else
  echo '{"check":"mmml-gpu-check","verdict":"failed","ok":false,"error":"no ./mmml here (set MMML=/path/to/mmml)"}'
  exit 1
fi
log "program: ${cmd[*]}"

# Mesa and Dawn want a private runtime folder; without one each process prints a harmless warning.
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -d "${XDG_RUNTIME_DIR}" ]; then
  export XDG_RUNTIME_DIR="$work/xdg"
  mkdir -m 700 "$XDG_RUNTIME_DIR"
fi

# The Vulkan loader: the host's, or one brought beside this script or the program.
has_vulkan() {
  { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep -q 'libvulkan\.so\.1 ' && return 0
  ls /usr/lib/*/libvulkan.so.1 /usr/lib64/libvulkan.so.1 /usr/lib/libvulkan.so.1 >/dev/null 2>&1
}
if ! has_vulkan; then
  for d in "$here" "$(dirname "${cmd[0]}")"; do
    if [ -f "$d/libvulkan.so.1" ]; then
      export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      log "Vulkan loader: $d/libvulkan.so.1 (brought along)"
      break
    fi
  done
  [ -z "${LD_LIBRARY_PATH:-}" ] && log "no Vulkan loader (libvulkan.so.1): put Debian's libvulkan1 library beside this script"
fi

# WebGPU in Deno runs on Vulkan: on NVIDIA that is the driver's ICD, not CUDA. Pin it, so a lavapipe
# install on the same host cannot be picked instead.
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  for f in /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json; do
    if [ -f "$f" ]; then
      export VK_ICD_FILENAMES="$f"
      log "NVIDIA Vulkan ICD: $f"
      break
    fi
  done
  [ -z "${VK_ICD_FILENAMES:-}" ] && log "no NVIDIA Vulkan ICD (nvidia_icd.json): the driver's Vulkan part is missing (e.g. libnvidia-gl-<version>)"
fi

timeout "${GPU_CHECK_TIMEOUT:-470}" "${cmd[@]}" gpu-check --python "${PYTHON:-python3}" "$@" >"$work/out.json"
status=$?
if [ "$status" -eq 124 ]; then
  log "timed out after ${GPU_CHECK_TIMEOUT:-470} s"
  echo "{\"check\":\"mmml-gpu-check\",\"verdict\":\"failed\",\"ok\":false,\"error\":\"timed out after ${GPU_CHECK_TIMEOUT:-470} s\"}"
else
  tail -n 1 "$work/out.json"
fi
exit "$status"
