#!/bin/bash
# idle re-measurement of merged main (December 8, after teal6, train6, prefill6, decode6, minilm6)
# usage: run.sh [cpp|teal|minilm|train|all]
cd /work/main
OUT=/work/idle8/out; mkdir -p $OUT
what=${1:-all}
j() { python3 -c "import json,sys;r=json.load(open('$1'));print('$2', $3)"; }
cpp() { MODELS="110m-f32 110m-f16 1b-q8_0 1b-q4_k_m" LLAMA_BENCH=/work/peer/llama.cpp/build/bin/llama-bench OUT=$OUT/bench-vs-llamacpp.json scripts/bench-vs-llamacpp.sh /work/speedmodels 3; }
teal() { for ms in 110m-f32:0.7 110m-q8_0:0.5 110m-q8_0:0.7 1b-q8_0:0.5 1b-q8_0:0.7 110m-f32:0.5 1b-f32:0.5; do
  m=${ms%:*}; s=${ms#*:}
  case $m in 1b*) a="--prompt-tokens 8 --gen-tokens 24 --rounds 3";; *) a="--prompt-tokens 16 --gen-tokens 64 --rounds 5";; esac
  ACTLAB_JAVA_OPTS=-Xmx12g ./actlab bench --model /work/speedmodels/$m.gguf --sparsity teal:$s --calib-tokens 256 $a --json 2>/dev/null > $OUT/teal-$m-$s.json
  j $OUT/teal-$m-$s.json "teal $m $s" "{k:v for k,v in r.items() if 'speedup' in k or 'limit' in k}"
  done; }
minilm() { ./actlab bench --model minilm --rounds 7 --json 2>/dev/null > $OUT/minilm.json
  ./actlab bench --model minilm --quant w8a8 --rounds 7 --json 2>/dev/null > $OUT/minilm-w8a8.json; }
train() { ./actlab bench --train --rounds 5 --json 2>/dev/null > $OUT/train-brown.json; ./actlab bench --train --config small --batch 16 --rounds 5 --json 2>/dev/null > $OUT/train-small.json; }
case $what in cpp) cpp;; teal) teal;; minilm) minilm;; train) train;; all) cpp; teal; minilm; train;; esac
