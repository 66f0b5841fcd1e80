/*
 * ggml's CPU backend rounding of a matmul input to a vec_dot_type, as llama.cpp runs it: reads float32
 * values from stdin, converts them with ggml_get_type_traits_cpu(type)->from_float (the CPU's own code
 * path: quantize_row_q8_0 with AVX2 on x86, quantize_row_q8_K, fp32 -> fp16 / bf16), decodes the
 * result back to float32 and writes it to stdout. Used by make_ggml_rounding_fixtures.sh.
 * Usage: ggml_input_rounding q8_0|q8_k|f16|bf16 < in.f32 > out.f32   (input: a multiple of 256 values)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ggml.h"
#include "ggml-cpu.h"

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s q8_0|q8_k|f16|bf16\n", argv[0]); return 2; }
    enum ggml_type t = !strcmp(argv[1], "q8_0") ? GGML_TYPE_Q8_0 : !strcmp(argv[1], "q8_k") ? GGML_TYPE_Q8_K
                     : !strcmp(argv[1], "f16") ? GGML_TYPE_F16 : GGML_TYPE_BF16;
    ggml_cpu_init();
    const int n = 256;
    float x[256], y[256];
    uint8_t q[1024];
    while (fread(x, sizeof(float), n, stdin) == (size_t) n) {
        ggml_get_type_traits_cpu(t)->from_float(x, q, n);
        if (t == GGML_TYPE_Q8_K) {   /* block_q8_K: float d, int8 qs[256], int16 bsums[16]; no to_float in ggml */
            float d; memcpy(&d, q, sizeof d);
            for (int i = 0; i < n; i++) y[i] = d * (int8_t) q[4 + i];
        } else {
            ggml_get_type_traits(t)->to_float(q, y, n);
        }
        fwrite(y, sizeof(float), n, stdout);
    }
    return 0;
}
