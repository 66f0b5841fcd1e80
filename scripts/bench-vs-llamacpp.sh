#!/usr/bin/env bash
# Side-by-side decode and prefill: llama.cpp's llama-bench and actlab bench on the same GGUF files, 2 threads,
# alternating contenders and models over 3 rounds. LLAMA_BENCH points at a llama-bench built from
# github:USTC-ADSL/llama.cpp (cmake -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON; ninja llama-bench);
# the files come from: ./actlab synth --shape 110M --dtype F32 --out DIR/110m-f32.gguf (and 1B Q8_0, 1B Q4_0).
# alternates llama.cpp (llama-bench) and actlab (actlab bench) on the same GGUF files, 2 threads
cd "$(dirname "$0")/.."
DIR=${1:-/tmp/bm}
LLAMA_BENCH=${LLAMA_BENCH:-/tmp/peer/llama.cpp/build/bin/llama-bench}
for round in 1 2 3; do
  for m in 110m-f32 1b-q8_0 1b-q4_0; do
    f=$DIR/$m.gguf
    "$LLAMA_BENCH" -m $f -t 2 -p 128 -n 32 -r 1 -o json 2>/dev/null \
      | python3 -c "import json,sys; r=json.load(sys.stdin); print('$m round $round llama.cpp', ' '.join('%s=%.2f'%('pp' if x['n_prompt'] else 'tg', x['avg_ts']) for x in r))"
    ./actlab bench --model $f --prompt-tokens 128 --gen-tokens 32 --rounds 1 --threads 2 --json 2>/dev/null \
      | python3 -c "import json,sys; r=json.load(sys.stdin); print('$m round $round actlab pp=%.2f tg=%.2f read=%.1f' % (r['prefill_tokens_per_second']['best'], r['decode_tokens_per_second']['best'], r['read_bandwidth_gbs']['best']))"
  done
done
