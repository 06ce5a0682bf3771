#!/usr/bin/env bash
# Rebuilds the hand-written wasm kernels. The .wasm output is committed so that CI and users need no
# C toolchain; run this after editing a kernel's .c file.
#
# Needs clang and wasm-ld >= 16 (relaxed SIMD fused multiply-add): on Debian 12,
#   apt-get install -y clang-19 lld-19
# CC=clang-N picks a compiler; DK_NO_RELAXED=1 builds plain SIMD128 (mul + add, ~25% slower matmuls)
# for runtimes without relaxed SIMD.
set -euo pipefail
cd "$(dirname "$0")/.."

probe='#include <wasm_simd128.h>
v128_t f(v128_t a) { return wasm_f32x4_relaxed_madd(a, a, a); }'
supports_relaxed() {
  printf '%s\n' "$probe" | "$1" --target=wasm32 -msimd128 -mrelaxed-simd -x c -c - -o /dev/null 2>/dev/null
}

if [[ -z "${CC:-}" ]]; then
  for c in clang-22 clang-21 clang-20 clang-19 clang-18 clang-17 clang-16 clang; do
    if command -v "$c" >/dev/null && { [[ -n "${DK_NO_RELAXED:-}" ]] || supports_relaxed "$c"; }; then
      CC="$c"
      break
    fi
  done
fi
if [[ -z "${CC:-}" ]]; then
  echo "build_kernels: no clang with relaxed SIMD found; apt-get install -y clang-19 lld-19 (or DK_NO_RELAXED=1)" >&2
  exit 1
fi

simd=(-msimd128 -mrelaxed-simd -DDK_RELAXED)
[[ -n "${DK_NO_RELAXED:-}" ]] && simd=(-msimd128)

# -mbulk-memory: struct/array zeroing lowers to memory.fill instead of a libc memset we do not link.
# The module owns its memory (exported as "memory") and grows it once, when a trainer is built.
"$CC" --target=wasm32 -O3 "${simd[@]}" -mbulk-memory -nostdlib -ffreestanding \
  -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--strip-all -Wl,-z,stack-size=65536 \
  -o src/backend/wasm/dense_kernel.wasm src/backend/wasm/dense_kernel.c
# The convolution, batch norm and pooling kernels import the tfjs wasm backend's memory (shared in its threaded
# build), so they must own no data and no stack there: the build fails if the compiler gave them either.
heap=(--target=wasm32 -O3 "${simd[@]}" -mbulk-memory -nostdlib -ffreestanding -Wall -Wextra -Werror)
link=(-Wl,--no-entry -Wl,--strip-all -Wl,--import-memory -Wl,-z,stack-size=0)
for kernel in conv_kernel bn_kernel pool_kernel; do
  src="src/backend/wasm/$kernel.c"
  if "$CC" "${heap[@]}" -S -o - "$src" | grep -Eq '__stack_pointer|^\s*\.section\s+\.(data|rodata|bss)'; then
    echo "build_kernels: $src uses the stack or static data; it must not (it runs in tfjs's memory)" >&2
    exit 1
  fi
  "$CC" "${heap[@]}" "${link[@]}" -o "src/backend/wasm/$kernel.wasm" "$src"
  "$CC" "${heap[@]}" -matomics "${link[@]}" -Wl,--shared-memory -Wl,--max-memory=4294967296 \
    -o "src/backend/wasm/${kernel}_shared.wasm" "$src"
done
echo "built src/backend/wasm/dense_kernel.wasm with $CC ${simd[*]} ($(wc -c < src/backend/wasm/dense_kernel.wasm) bytes) and the conv, batch norm and pool kernels" >&2
