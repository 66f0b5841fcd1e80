#!/bin/bash
# idle re-measurement of merged main; usage: run.sh [ab|cpp|teal|24|minilm|train|rss|all]
cd /work/main
OUT=/work/idle/out; mkdir -p $OUT
what=${1:-all}
j() { python3 -c "import json,sys;r=json.load(open('$1'));print('$2', $3)"; }
ab() { for r in 1 2; do for m in 110m-f32 1b-q8_0; do for who in base merged; do
      if [ $who = base ]; then cmd=/work/base/actlab-main; else cmd=./actlab; fi
      MALLOC_ARENA_MAX=2 $cmd bench --model /work/speedmodels/$m.gguf --prompt-tokens 16 --gen-tokens 64 --rounds 2 --json 2>/dev/null > $OUT/ab-$m-$who-$r.json
      j $OUT/ab-$m-$who-$r.json "ab $r $m $who" "r['decode_tokens_per_second']"
    done; done; done; }
cpp() { MODELS="110m-f32 110m-f16 1b-q8_0 1b-q4_0 1b-q4_k_m" LLAMA_BENCH=/work/peer/llama.cpp/build/bin/llama-bench OUT=$OUT/bench-vs-llamacpp.json scripts/bench-vs-llamacpp.sh /work/speedmodels 3; }
teal() { for m in 110m-f32 110m-q8_0 1b-f32 1b-q8_0; do for s in 0.5 0.7; do
  case $m in 1b*) a="--prompt-tokens 8 --gen-tokens 24 --rounds 3";; *) a="--prompt-tokens 16 --gen-tokens 64 --rounds 5";; esac
  ACTLAB_JAVA_OPTS=-Xmx12g ./actlab bench --model /work/speedmodels/$m.gguf --sparsity teal:$s --calib-tokens 256 $a --json 2>/dev/null > $OUT/teal-$m-$s.json
  j $OUT/teal-$m-$s.json "teal $m $s" "{k:v for k,v in r.items() if 'speedup' in k or 'limit' in k}"
  done; done; }
tf() { for r in 1 2 3; do for thp in "" "-XX:+UseTransparentHugePages"; do
  ACTLAB_JAVA_OPTS="$thp" ./actlab bench --model /work/twofour/110m-24.gguf --two-four --prompt-tokens 8 --gen-tokens 64 --rounds 9 --json 2>/dev/null > $OUT/24-110m-$r-${thp:+thp}.json
  j $OUT/24-110m-$r-${thp:+thp}.json "2:4 110m $r [$thp]" "{k:v for k,v in r.items() if 'speedup' in k or 'limit' in k}"
  done; done
  for thp in "" "-XX:+UseTransparentHugePages"; do
  ACTLAB_JAVA_OPTS="-Xmx10g $thp" ./actlab bench --model /work/twofour/1b-24.gguf --two-four --prompt-tokens 4 --gen-tokens 24 --rounds 5 --json 2>/dev/null > $OUT/24-1b-${thp:+thp}.json
  j $OUT/24-1b-${thp:+thp}.json "2:4 1b [$thp]" "{k:v for k,v in r.items() if 'speedup' in k or 'limit' in k}"
  done; }
minilm() { ./actlab bench --model minilm --rounds 7 --json 2>/dev/null > $OUT/minilm.json
  ./actlab bench --model minilm --quant w8a8 --rounds 7 --json 2>/dev/null > $OUT/minilm-w8a8.json
  ./actlab bench --model minilm --quant w8a8:smooth+fma --rounds 7 --json 2>/dev/null > $OUT/minilm-w8a8-fma.json; }
train() { ./actlab bench --train --rounds 5 --json 2>/dev/null > $OUT/train-brown.json; ./actlab bench --train --config small --batch 16 --rounds 3 --json 2>/dev/null > $OUT/train-small.json; }
rss() { for r in 1 2 3; do
  ./actlab run --model /work/speedmodels/1b-q4_0.gguf --tokens "1 2 3 4 5 6 7 8" --max-tokens 64 > /dev/null 2>&1 & pid=$!
  peak=0; while kill -0 $pid 2>/dev/null; do for c in $(pgrep -P $pid) $pid; do v=$(grep VmHWM /proc/$c/status 2>/dev/null | awk '{print $2}'); [ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v; done; sleep 0.2; done
  echo "rss run $r: peak VmHWM $((peak/1024)) MiB; file $(( $(stat -c %s /work/speedmodels/1b-q4_0.gguf) / 1048576 )) MiB"; done; }
case $what in ab) ab;; cpp) cpp;; teal) teal;; 24) tf;; minilm) minilm;; train) train;; rss) rss;; all) ab; cpp; teal; tf; minilm; train; rss;; esac
