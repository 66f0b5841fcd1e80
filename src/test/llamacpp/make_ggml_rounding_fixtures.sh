#!/usr/bin/env bash
# Regenerates src/test/resources/llamacpp/ggml-rounding-*.f32, the values ggml's CPU backend gives a matmul input
# once converted to each vec_dot_type (GgmlInputRoundingTest compares tensor/GgmlInputRounding with them):
# ggml-rounding-in.f32 holds 4096 float32 inputs (edge blocks of 32: zeros, exact .5 ties, a lone value, negative
# and tied maxima, tiny values whose F16 scale is subnormal or zero, constant blocks, large values; then random
# normal and heavy-tailed blocks), ggml-rounding-{q8_0,q8_k,f16,bf16}.f32 what src/test/c/ggml_input_rounding.c
# returns for them. Made with llama.cpp built at /tmp/peer/llama.cpp (ggml 0.9.7, CPU backend, x86 AVX2).
# Usage: make_ggml_rounding_fixtures.sh LLAMA_CPP_SOURCE_DIR (with build/bin holding libggml*.so)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
res="$repo/src/test/resources/llamacpp"
src="$1"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
gcc -O2 -o "$tmp/round" "$repo/src/test/c/ggml_input_rounding.c" -I"$src/ggml/include" -L"$src/build/bin" -lggml-cpu -lggml-base -lggml
python3 - "$res/ggml-rounding-in.f32" <<'PY'
import numpy as np, sys
r = np.random.default_rng(15)
b = []
b.append(np.zeros(32))
b.append(np.array([127, 2.5, 3.5, -2.5, -3.5, 0.5, -0.5, 1.5, -1.5, 126.5, -126.5, 4.5] + list(range(-10, 10))))  # amax 127: ties
b.append(np.eye(32)[5] * -3.25)                                   # a lone negative value
b.append(np.concatenate([[-7.0, 7.0], r.uniform(-7, 7, 30)]))     # +-amax both present
b.append(np.concatenate([[-9.0], r.uniform(-1, 1, 31)]))          # negative maximum
b.append(r.standard_normal(32) * 1e-6)                            # F16 scale subnormal
b.append(r.standard_normal(32) * 1e-30)                           # F16 scale rounds to zero
b.append(np.full(32, 0.3))                                        # constant
b.append(r.standard_normal(32) * 3e4)                             # large
b.append(np.concatenate([[1.0], np.full(31, 1 / 254)]))           # q = 0.5 exactly where id = 127
for _ in range(128 - len(b) - 64):
    b.append(r.standard_normal(32))
for _ in range(64):
    b.append(r.standard_normal(32) * np.exp(2 * r.standard_normal(32)))
x = np.concatenate(b).astype('<f4')
assert x.size == 4096
x.tofile(sys.argv[1])
PY
for t in q8_0 q8_k f16 bf16; do
  LD_LIBRARY_PATH="$src/build/bin" "$tmp/round" $t < "$res/ggml-rounding-in.f32" > "$res/ggml-rounding-$t.f32"
done
echo "wrote $res/ggml-rounding-*.f32"
