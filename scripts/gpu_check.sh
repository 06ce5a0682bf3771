#!/usr/bin/env bash
# GPU host check, under 5 minutes: mmml doctor, the WebGPU adapter through NVIDIA's Vulkan driver,
# ResNet-18 training steps on webgpu (images/s), and ONNX Runtime's providers. Progress goes to stderr;
# the last line on stdout is one JSON object (see buildSummary in scripts/gpu_check.ts), so runs on
# different hosts can be compared. Exit 0 when a GPU (not CPU) WebGPU adapter trained the steps.
#
# Environment: DENO (default: deno on PATH), GPU_CHECK_BATCH (32), GPU_CHECK_SIZE (224),
# GPU_CHECK_STEPS (10), GPU_CHECK_BENCH_TIMEOUT seconds (200). Where the adapter turns out to run on the
# CPU (lavapipe: no NVIDIA ICD), the bench shrinks to 2 images of 32x32 so the check still ends in time.
set -uo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
DENO=${DENO:-deno}
PERMS=(--allow-read --allow-write --allow-env --allow-ffi --allow-net --allow-sys --allow-run)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log() { echo "gpu_check: $*" >&2; }

# Mesa and Dawn want a private runtime folder; without one each process prints a harmless warning.
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -d "${XDG_RUNTIME_DIR}" ]; then
  export XDG_RUNTIME_DIR="$work/xdg"
  mkdir -m 700 "$XDG_RUNTIME_DIR"
fi

if ! command -v "$DENO" >/dev/null 2>&1; then
  echo '{"check":"mmml-gpu-check","ok":false,"error":"deno not found (set DENO)"}'
  exit 1
fi

# 1. The NVIDIA driver, as nvidia-smi sees it.
if command -v nvidia-smi >/dev/null 2>&1; then
  timeout 30 nvidia-smi -L >"$work/nvidia-smi.txt" 2>&1 || log "nvidia-smi -L failed: $(head -n 1 "$work/nvidia-smi.txt")"
  log "$(grep -c '^GPU ' "$work/nvidia-smi.txt") GPU(s): $(head -n 1 "$work/nvidia-smi.txt")"
else
  : >"$work/nvidia-smi.txt"
  log "nvidia-smi not found"
fi

# 2. WebGPU in Deno runs on Vulkan: on NVIDIA that is the driver's ICD, not CUDA. Pin it, so a lavapipe
#    install on the same host cannot be picked instead.
icd=""
for f in /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json; do
  [ -f "$f" ] && { icd="$f"; break; }
done
if [ -n "$icd" ]; then
  export VK_ICD_FILENAMES="$icd"
  log "NVIDIA Vulkan ICD: $icd"
else
  log "no NVIDIA Vulkan ICD (nvidia_icd.json); install the driver's Vulkan part (e.g. libnvidia-gl-<version>)"
fi

# 3. Doctor: backends (with the adapter WebGPU really gets), ONNX Runtime providers, host facts.
timeout 120 "$DENO" run --quiet "${PERMS[@]}" cli.ts doctor --json >"$work/doctor.json" 2>"$work/doctor.err"
log "doctor exit $? ($(tail -n 1 "$work/doctor.err" | cut -c1-160))"

# 4. ResNet-18 training steps on webgpu; tiny shapes when the adapter is a CPU one.
batch=${GPU_CHECK_BATCH:-32} size=${GPU_CHECK_SIZE:-224} steps=${GPU_CHECK_STEPS:-10}
if grep -q '"cpu":true' "$work/doctor.json" 2>/dev/null; then
  log "the WebGPU adapter runs on the CPU: shrinking the bench to 2 images of 32x32, 2 steps"
  batch=2 size=32 steps=2
fi
log "bench: ResNet-18, batch $batch, ${size}x${size}, $steps timed steps on webgpu"
timeout "${GPU_CHECK_BENCH_TIMEOUT:-200}" "$DENO" run --quiet "${PERMS[@]}" scripts/gpu_check.ts bench \
  --backend webgpu --batch "$batch" --size "$size" --steps "$steps" --warmup 2 >"$work/bench.json" 2>"$work/bench.err"
status=$?
[ "$status" -eq 124 ] && echo "timed out after ${GPU_CHECK_BENCH_TIMEOUT:-200} s" >>"$work/bench.json"
[ "$status" -ne 0 ] && tail -n 3 "$work/bench.err" >>"$work/bench.json"
log "bench exit $status"

# 5. One JSON line with everything above.
"$DENO" run --quiet "${PERMS[@]}" scripts/gpu_check.ts summary --doctor "$work/doctor.json" \
  --bench "$work/bench.json" --nvidia-smi "$work/nvidia-smi.txt" --icd "$icd" \
  --seconds "$(($(date +%s) - started))" | tee "$work/summary.json"
grep -q '"ok":true' "$work/summary.json"
