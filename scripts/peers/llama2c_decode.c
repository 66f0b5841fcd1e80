// Decode speed of llama2.c's run.c on a llama2.c checkpoint, with no tokenizer (any vocabulary):
// run.c's own build_transformer() and forward() are compiled in unchanged (its main() renamed away);
// the prompt is fed token by token, as run.c does, then greedy decoding. Prints one JSON object.
// Build: gcc -O3 -march=native -fopenmp -I LLAMA2C_DIR llama2c_decode.c -o llama2c_decode -lm
// Run:   OMP_NUM_THREADS=2 ./llama2c_decode model.bin PROMPT_TOKENS GEN_TOKENS
#define main run_c_main
#include "run.c"
#undef main
#include <time.h>

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int argmax(const float* v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) if (v[i] > v[best]) best = i;
    return best;
}

// prefill `prompt` ids from a fixed generator, then `gen` greedy tokens; returns {prefill tok/s, decode tok/s}
static void run_once(Transformer* t, int prompt, int gen, double out[2]) {
    int vocab = t->config.vocab_size;
    unsigned long long state = 1;
    double t0 = seconds();
    float* logits = NULL;
    for (int pos = 0; pos < prompt; pos++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        logits = forward(t, (int) ((state >> 33) % (unsigned long long) vocab), pos);
    }
    double t1 = seconds();
    for (int g = 0; g < gen; g++) logits = forward(t, argmax(logits, vocab), prompt + g);
    double t2 = seconds();
    out[0] = prompt / (t1 - t0);
    out[1] = gen / (t2 - t1);
}

int main(int argc, char** argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s model.bin PROMPT_TOKENS GEN_TOKENS\n", argv[0]); return 2; }
    int prompt = atoi(argv[2]), gen = atoi(argv[3]);
    Transformer t;
    build_transformer(&t, argv[1]);
    if (prompt < 1 || gen < 1 || prompt + gen > t.config.seq_len) {
        fprintf(stderr, "prompt %d + gen %d must be >= 1 each and fit the context %d\n", prompt, gen, t.config.seq_len);
        return 2;
    }
    double warm[2], r[2];
    run_once(&t, prompt < 16 ? prompt : 16, gen < 8 ? gen : 8, warm);   // touch the weights once, as actlab bench warms up
    run_once(&t, prompt, gen, r);
    printf("{\"peer\": \"llama2.c run.c\", \"prefill_tokens_per_second\": %.4f, \"decode_tokens_per_second\": %.4f}\n", r[0], r[1]);
    free_transformer(&t);
    return 0;
}
