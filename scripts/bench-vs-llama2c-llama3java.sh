#!/usr/bin/env bash
# Decode (and prefill) speed of actlab against its two nearest peers on the same weights, side by side:
#   llama2.c's run.c  (github:plctlab/rvspoc-s2311-llama2, a copy of karpathy/llama2.c), F32 llama2.c checkpoints;
#   llama3.java       (github:mukel/llama3.java), GGUF files (F32, Q8_0, Q4_0).
# Both peers are built in $WORK (default /tmp/actlab-peers) from fresh clones, each driven by a small harness
# beside this script (scripts/peers/) that calls the peer's own loading and forward() code and skips only
# its tokenizer (synthetic and llama2.c-vocabulary models have none the peers accept):
#   gcc -O3 -march=native -fopenmp -I llama2.c scripts/peers/llama2c_decode.c -o llama2c_decode -lm
#   javac --add-modules jdk.incubator.vector -d llama3java Llama3.java scripts/peers/Llama3JavaDecode.java
# Models (made here unless present in $WORK):
#   stories260K  the llama2.c checkpoint in ../shared/models (run.c reads it; actlab convert writes the GGUF twin)
#   110m-f32     ./actlab synth --shape 110M --dtype F32 (llama3.java and actlab read the GGUF; run.c reads the same
#                weights exported by actlab bench --export-llama2c)
#   110m-q8_0    ./actlab synth --shape 110M --dtype Q8_0 (llama3.java and actlab only: run.c has no Q8_0 GGUF)
#   1b-q4_0 etc. with MODELS="... 1b-q4_0 1b-q8_0" (synth --shape 1B; several GB of disk and minutes to write)
# Each round runs every contender on every model once, the contenders' order rotating from round to round, so a
# neighbour's load hits all alike; each run is a fresh process that warms up first (actlab bench does; the
# harnesses run a short prefill+decode before the timed one). Threads: $THREADS for all (OpenMP for run.c with
# OMP_WAIT_POLICY=passive, since spinning OpenMP threads collapse on a shared machine; llama3.java's parallel
# streams through the common ForkJoin pool). Prints one line per run and, at the end, per model: best and
# median tok/s of each contender and actlab's ratios to each peer; the same as JSON in $OUT. Contender actlab.bin is
# actlab reading run.c's own checkpoint ($WORK/NAME.bin) instead of the GGUF (CONTENDERS picks a subset).
#
# usage: scripts/bench-vs-llama2c-llama3java.sh [ROUNDS]     (env: MODELS, PROMPT, GEN, THREADS, WORK, OUT, SMOKE=1;
#        LLAMA2C_GIT, LLAMA3JAVA_GIT: where to clone the peers from, default their GitHub repositories; a local
#        bare mirror works too; CONTENDERS: default "actlab actlab.bin llama2.c llama3.java"; ACTLAB: launcher)
# SMOKE=1: one round of stories260K with a few tokens, to check that everything builds and runs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
ROUNDS=${1:-5}
MODELS=${MODELS:-"stories260K 110m-f32 110m-q8_0"}
PROMPT=${PROMPT:-128}
GEN=${GEN:-128}
THREADS=${THREADS:-2}
WORK=${WORK:-/tmp/actlab-peers}
OUT=${OUT:-$WORK/bench-vs-llama2c-llama3java.json}
if [ "${SMOKE:-0}" = 1 ]; then ROUNDS=1; MODELS=stories260K; PROMPT=16; GEN=16; fi
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export JAVA_HOME
mkdir -p "$WORK"
log() { echo "bench-vs-peers: $*" >&2; }

# ---- peers ----
if [ ! -x "$WORK/llama2c_decode" ]; then
  [ -d "$WORK/llama2.c" ] || git clone -q "${LLAMA2C_GIT:-https://github.com/plctlab/rvspoc-s2311-llama2}" "$WORK/llama2.c"
  log "building llama2.c run.c ($(git -C "$WORK/llama2.c" rev-parse --short HEAD))"
  gcc -O3 -march=native -fopenmp -I "$WORK/llama2.c" "$here/peers/llama2c_decode.c" -o "$WORK/llama2c_decode" -lm
fi
if [ ! -f "$WORK/llama3java/com/llama4j/Llama3JavaDecode.class" ]; then
  [ -d "$WORK/llama3.java" ] || git clone -q "${LLAMA3JAVA_GIT:-https://github.com/mukel/llama3.java}" "$WORK/llama3.java"
  log "building llama3.java ($(git -C "$WORK/llama3.java" rev-parse --short HEAD))"
  "$JAVA_HOME/bin/javac" -nowarn --add-modules jdk.incubator.vector -d "$WORK/llama3java" "$WORK/llama3.java/Llama3.java" "$here/peers/Llama3JavaDecode.java" 2>&1 \
    | grep -v "incubator\|^Note:\|^1 warning" >&2 || true
fi

# ---- models: $WORK/NAME.gguf (llama3.java, actlab) and $WORK/NAME.bin (run.c, F32 only) ----
actlab() { "${ACTLAB:-$root/actlab}" "$@"; }   # ACTLAB: another launcher (e.g. a frozen build) for the actlab contenders
make_model() {
  local name=$1 gguf="$WORK/$1.gguf" bin="$WORK/$1.bin"
  case $name in
    stories260K)
      [ -f "$bin" ] || cp "${STORIES260K:-$root/../shared/models/stories260K/stories260K.bin}" "$bin"
      [ -f "$gguf" ] || actlab convert --model "$bin" --out "$gguf" --dtype F32 >/dev/null ;;
    *)
      local shape=${name%%-*} dtype=${name#*-}
      shape=${shape^^}; dtype=${dtype^^}
      [ -f "$gguf" ] || { log "synth $name"; actlab synth --shape "$shape" --dtype "$dtype" --out "$gguf" >/dev/null 2>&1; }
      if [ "$dtype" = F32 ] && [ ! -f "$bin" ]; then
        log "exporting $name to a llama2.c checkpoint"
        actlab bench --model "$gguf" --export-llama2c "$bin" --rounds 1 --prompt-tokens 1 --gen-tokens 1 --probe-mb 16 --json >/dev/null 2>&1
      fi ;;
  esac
}
for m in $MODELS; do make_model "$m"; done

# ---- runs ----
run() {   # contender model -> one JSON line {"prefill_tokens_per_second", "decode_tokens_per_second"} or nothing
  local who=$1 name=$2
  case $who in
    llama2.c)
      [ -f "$WORK/$name.bin" ] || return 0
      OMP_NUM_THREADS=$THREADS OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive} "$WORK/llama2c_decode" "$WORK/$name.bin" "$PROMPT" "$GEN" ;;
    llama3.java)
      "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0 \
        -Djava.util.concurrent.ForkJoinPool.common.parallelism="$THREADS" -cp "$WORK/llama3java" com.llama4j.Llama3JavaDecode \
        "$WORK/$name.gguf" "$PROMPT" "$GEN" 2>/dev/null ;;
    actlab|actlab.bin)
      local file="$WORK/$name.gguf"
      if [ "$who" = actlab.bin ]; then file="$WORK/$name.bin"; [ -f "$file" ] || return 0; fi
      actlab bench --model "$file" --prompt-tokens "$PROMPT" --gen-tokens "$GEN" --rounds 1 --probe-mb 64 \
        --threads "$THREADS" --json 2>/dev/null | python3 -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps({"prefill_tokens_per_second": r["prefill_tokens_per_second"]["best"], "decode_tokens_per_second": r["decode_tokens_per_second"]["best"], "peak_rss_bytes": r.get("memory", {}).get("peak_rss_bytes")}))' ;;
  esac
}
contenders=(${CONTENDERS:-actlab actlab.bin llama2.c llama3.java})
results="$WORK/runs.jsonl"
: > "$results"
for ((round = 1; round <= ROUNDS; round++)); do
  for m in $MODELS; do
    for ((k = 0; k < ${#contenders[@]}; k++)); do
      who=${contenders[$(( (k + round - 1) % ${#contenders[@]} ))]}
      line=$(run "$who" "$m" || true)
      [ -n "$line" ] || continue
      echo "$line" | python3 -c "import json,sys; r=json.load(sys.stdin); r.update(model='$m', contender='$who', round=$round); print(json.dumps(r))" >> "$results"
      log "round $round/$ROUNDS $m $who: $line"
    done
  done
done

python3 - "$results" "$OUT" "$PROMPT" "$GEN" "$THREADS" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = {"prompt_tokens": int(sys.argv[3]), "gen_tokens": int(sys.argv[4]), "threads": int(sys.argv[5]), "runs": runs, "models": {}}
for m in dict.fromkeys(r["model"] for r in runs):
    per = {}
    for who in dict.fromkeys(r["contender"] for r in runs if r["model"] == m):
        d = [r["decode_tokens_per_second"] for r in runs if r["model"] == m and r["contender"] == who]
        p = [r["prefill_tokens_per_second"] for r in runs if r["model"] == m and r["contender"] == who]
        per[who] = {"decode_best": max(d), "decode_median": statistics.median(d), "prefill_best": max(p), "prefill_median": statistics.median(p), "rounds": len(d)}
    ratios = {}
    for ours in [w for w in per if w.startswith("actlab")]:
        for who in per:
            if not who.startswith("actlab"):
                ratios[ours + "/" + who] = {k: per[ours][k] / per[who][k] for k in ("decode_best", "decode_median", "prefill_best", "prefill_median")}
    out["models"][m] = {"contenders": per, "ratios": ratios}
    print(f"{m}:")
    for who, v in per.items():
        print(f"  {who:12s} decode {v['decode_best']:8.2f} best {v['decode_median']:8.2f} median tok/s; prefill {v['prefill_best']:8.1f} best {v['prefill_median']:8.1f} median ({v['rounds']} rounds)")
    for k, v in ratios.items():
        print(f"  {k:20s} decode x{v['decode_best']:.2f} best, x{v['decode_median']:.2f} median; prefill x{v['prefill_best']:.2f} best, x{v['prefill_median']:.2f} median")
json.dump(out, open(sys.argv[2], "w"), indent=1)
print("wrote " + sys.argv[2])
PY
