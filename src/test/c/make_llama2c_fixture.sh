#!/usr/bin/env bash
# Regenerates src/test/resources/llama2c/encodings.txt: the ids that llama2.c's own C tokenizer (run.c's
# encode, karpathy/llama2.c commit 350e04fe35433e6d2941dce5a1f53308f87058eb, MIT) gives for every line of
# llama2c_texts.txt, with the tokenizer.bin committed beside it (the same commit's tokenizer.bin: the Llama 2
# SentencePiece vocabulary, 32000 pieces). Usage: make_llama2c_fixture.sh PATH/TO/llama2.c/run.c
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
res="$here/../resources/llama2c"
run_c="$1"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
cp "$run_c" "$tmp/run.c"
gcc -O2 -DTESTING -o "$tmp/encode" -I"$tmp" "$here/llama2c_encode.c" -lm
"$tmp/encode" "$res/tokenizer.bin" 32000 < "$res/llama2c_texts.txt" > "$res/encodings.txt"
echo "wrote $res/encodings.txt ($(wc -l < "$res/encodings.txt") lines)"
