#!/usr/bin/env bash
# Regenerates src/test/resources/llamacpp/: llama.cpp's own outputs that ImatrixLlamaCppTest and
# LlamaCppProtocolTest compare actlab with.
#
# Model: stories260K (../shared/models/stories260K/stories260K.bin, a trained model in a file that does not
# change) written as GGUF with the made-up SentencePiece vocabulary of `actlab synth` (test class
# dev.actlab.model.gguf.Stories260KWithVocabulary), so that llama.cpp loads it; and the same model with its
# matrices rounded to Q4_0 and stored back as F32 ("Q4_0-as-F32"), so that both tools run the same F32
# kernels (weight rounding alone; the real quantized files below add llama.cpp's activation rounding).
# Text: text.txt, a part of actlab's README (tokenized with the synthetic vocabulary: word salad to
# stories260K, which makes its perplexity huge, but the same ids in both tools).
#
# Real quantized files (LlamaCppQuantizedPplTest): models/actlab-brown.gguf (a trained model that stays in the repo;
# llama.cpp loads it with --override-kv tokenizer.ggml.pre=str:gpt-2) quantized by llama-quantize to Q8_0 and
# Q4_0 (--pure) and Q4_K_M (not --pure: the 192-wide rows are not whole 256-blocks, so llama-quantize's mixture
# puts Q4_K/Q6_K on ffn_down (512 wide) and its fallbacks Q5_0/Q8_0 elsewhere; --pure Q4_K aborts), each run by
# llama-perplexity with its defaults (flash attention auto -> on, F16 KV cache) against the F32 model's logits,
# on brown-text.txt (the first 12000 bytes of models/eval/moby-dick-ch1-3.txt), --ctx 128, one thread.
# Saved: each run's printed statistics, the sha256 of every tensor of the Q8_0/Q4_0 files (actlab's own writer
# gives the same tensors; the test checks that) and the Q4_K_M file itself (actlab does not write K-quants).
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
# F32 everywhere llama.cpp allows it (KV cache, no flash attention), so both tools compute in float32 (LlamaCppProtocolTest
# runs actlab's protocol without the ggml roundings of ppl --protocol llama.cpp; the brown files below use llama.cpp's defaults)
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

# real quantized files of actlab-brown against its F32 logits, llama-perplexity's defaults
brown="$repo/models/actlab-brown.gguf"
kv=(--override-kv tokenizer.ggml.pre=str:gpt-2)
bctx=(-c 128 -t 1)
cp "$res/brown-text.txt" brown-text.txt
"$bin/llama-quantize" --pure "$brown" brown-Q8_0.gguf Q8_0 > quantize-q8_0.log 2>&1
"$bin/llama-quantize" --pure "$brown" brown-Q4_0.gguf Q4_0 > quantize-q4_0.log 2>&1
"$bin/llama-quantize" "$brown" brown-Q4_K_M.gguf Q4_K_M > quantize-q4_k_m.log 2>&1
cp brown-Q4_K_M.gguf "$res/actlab-brown-Q4_K_M.gguf"
PYTHONPATH="$bin/../../gguf-py" python3 - brown-Q8_0.gguf brown-Q4_0.gguf > "$res/brown-quantized-tensors.sha256" <<'PY'
import gguf, hashlib, sys
for f in sys.argv[1:]:
    for t in gguf.GGUFReader(f).tensors:
        print(hashlib.sha256(bytes(t.data)).hexdigest(), f, t.name, t.tensor_type.name)
PY
"$bin/llama-perplexity" -m "$brown" "${kv[@]}" -f brown-text.txt "${bctx[@]}" --kl-divergence-base brown-base.kld > brown-base.log 2>&1
grep -E '^Final estimate' brown-base.log > "$res/llama-perplexity-brown-f32.txt"
for t in Q8_0 Q4_0 Q4_K_M; do
  "$bin/llama-perplexity" -m brown-$t.gguf "${kv[@]}" "${bctx[@]}" --kl-divergence-base brown-base.kld --kl-divergence > brown-$t.log 2>&1
  { grep -E 'Flash Attention was|llama_kv_cache: size' brown-$t.log; sed -n '/====== Perplexity statistics/,/^Same top p/p' brown-$t.log; } \
      > "$res/llama-perplexity-brown-kld-$(echo $t | tr A-Z a-z).txt"
done
echo "wrote $res"
