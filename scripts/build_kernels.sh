#!/usr/bin/env bash
# Rebuilds the hand-written wasm kernels. The .wasm output is committed so that CI and users need no
# C toolchain; run this after editing a kernel's .c file (Debian: apt-get install -y clang lld).
set -euo pipefail
cd "$(dirname "$0")/.."
CC="${CC:-clang}"

# -mbulk-memory: struct/array zeroing lowers to memory.fill instead of a libc memset we do not link.
# The module owns its memory (exported as "memory") and grows it once, when a trainer is built.
"$CC" --target=wasm32 -O3 -msimd128 -mbulk-memory -nostdlib -ffreestanding \
  -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--strip-all -Wl,-z,stack-size=65536 \
  -o src/engine/dense_kernel.wasm src/engine/dense_kernel.c
echo "built src/engine/dense_kernel.wasm ($(wc -c < src/engine/dense_kernel.wasm) bytes)" >&2
