/*
 * Test-fixture generator: encodes each line of stdin with llama2.c's own tokenizer (run.c's
 * build_tokenizer + encode, compiled in with -DTESTING so that its main is left out) and prints one
 * line of space-separated ids per input line (BOS first, no EOS). Lines are C-escaped by the caller:
 * "\n" in a line stands for a newline. See make_llama2c_fixture.sh.
 */
#include "run.c"

static void unescape(char *s) {
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] == 'n') { *w++ = '\n'; r++; }
        else if (r[0] == '\\' && r[1] == '\\') { *w++ = '\\'; r++; }
        else *w++ = *r;
    }
    *w = 0;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s tokenizer.bin vocab_size < lines\n", argv[0]); return 2; }
    Tokenizer t;
    build_tokenizer(&t, argv[1], atoi(argv[2]));
    char line[8192];
    int *ids = malloc(sizeof(int) * 8192);
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        unescape(line);
        int n = 0;
        encode(&t, line, 1, 0, ids, &n);
        for (int i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
        printf("\n");
    }
    free(ids);
    free_tokenizer(&t);
    return 0;
}
