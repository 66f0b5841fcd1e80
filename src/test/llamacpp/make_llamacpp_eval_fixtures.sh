#!/usr/bin/env bash
# Regenerates src/test/resources/llamacpp/: llama.cpp's own outputs that ImatrixLlamaCppTest and
# LlamaCppProtocolTest compare actlab with.
#
# Model: stories260K (../shared/models/stories260K/stories260K.bin, a trained model in a file that does not
# change) written as GGUF with the made-up SentencePiece vocabulary of `actlab synth` (test class
# dev.actlab.model.gguf.Stories260KWithVocabulary), so that llama.cpp loads it; and the same model with its
# matrices rounded to Q4_0 and stored back as F32 ("Q4_0-as-F32"), so that both tools run the same F32
# kernels (llama.cpp's quantized matmuls also round the activations to 8 bits, which actlab does not).
# The default decoder (models/actlab-brown.gguf) is not used: llama.cpp refuses its tokenizer
# (tokenizer.ggml.pre = "gpt2", llama.cpp knows "gpt-2"), and the file is replaced from time to time.
# Text: text.txt, a part of actlab's README (tokenized with the synthetic vocabulary: word salad to
# stories260K, which makes its perplexity huge, but the same ids in both tools).
#
# Usage: make_llamacpp_eval_fixtures.sh LLAMA_CPP_BUILD_BIN   (needs llama-perplexity, llama-imatrix,
# llama-quantize; made with llama.cpp built at /tmp/peer/llama.cpp, ggml 0.9.7, CPU, AVX2)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
res="$repo/src/test/resources/llamacpp"
bin="$1"
export LD_LIBRARY_PATH="$bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
stories="$repo/../shared/models/stories260K/stories260K.bin"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
ctx=64
# F32 everywhere llama.cpp allows it (KV cache, no flash attention), so both tools compute in float32
common=(-c $ctx -t 1 -fa off -ctk f32 -ctv f32)

(cd "$repo" && mvn -q -B -o test-compile -Dmaven.source.skip=true -Dmaven.javadoc.skip=true)
cp="$repo/target/classes:$repo/target/test-classes:$repo/target/lib/*"
for t in F32 Q4_0-as-F32; do
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp "$cp" dev.actlab.model.gguf.Stories260KWithVocabulary \
      "$stories" "$t" "$tmp/stories260K-$t.gguf" 2>/dev/null
done
(cd "$tmp" && sha256sum stories260K-F32.gguf stories260K-Q4_0-as-F32.gguf) > "$res/models.sha256"
cp "$res/text.txt" "$tmp/text.txt"
cd "$tmp"

# perplexity of the F32 model (its base logits saved), then Q4_0-as-F32 against them
"$bin/llama-perplexity" -m stories260K-F32.gguf -f text.txt "${common[@]}" --kl-divergence-base base.kld > base.log 2>&1
grep -E '^Final estimate' base.log > "$res/llama-perplexity-f32.txt"
"$bin/llama-perplexity" -m stories260K-Q4_0-as-F32.gguf "${common[@]}" --kl-divergence-base base.kld --kl-divergence > kld.log 2>&1
sed -n '/====== Perplexity statistics/,/^Same top p/p' kld.log > "$res/llama-perplexity-kld-q4_0-as-f32.txt"

# the token ids llama.cpp evaluated (the base file holds them: "_logits_", n_ctx, n_vocab, n_chunk, ids)
python3 - base.kld "$res/tokens.txt" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
assert b[:8] == b'_logits_'
n_ctx, n_vocab, n_chunk = struct.unpack_from('<Iii', b, 8)
ids = struct.unpack_from('<%di' % (n_ctx * n_chunk), b, 20)
open(sys.argv[2], 'w').write(' '.join(map(str, ids)) + '\n')
PY

# llama-imatrix's legacy file on the same text and chunks
"$bin/llama-imatrix" -m stories260K-F32.gguf -f text.txt "${common[@]}" --output-format dat -o imatrix.dat > imatrix.log 2>&1
cp imatrix.dat "$res/llama-imatrix-f32.dat"

# llama-quantize must accept actlab's file: Q4_K_M (stories260K's 64- and 172-column rows fall back to
# Q5_0 / Q8_0 / F16, which use the importance too) with llama-imatrix's file and with actlab's
"$repo/actlab" imatrix --model stories260K-F32.gguf --text text.txt --ctx $ctx --out actlab.dat > /dev/null 2>&1
{
  for f in imatrix.dat actlab.dat; do
    "$bin/llama-quantize" --imatrix "$f" stories260K-F32.gguf "q4_k_m-$f.gguf" Q4_K_M > "quantize-$f.log" 2>&1
    echo "llama-quantize --imatrix $f stories260K-F32.gguf OUT Q4_K_M: exit $?"
    grep -E 'imatrix|importance' "quantize-$f.log" | sed 's/^/  /'
  done
  sha256sum q4_k_m-imatrix.dat.gguf q4_k_m-actlab.dat.gguf
} > "$res/llama-quantize-accepts-actlab-imatrix.txt"
echo "wrote $res"
