#!/usr/bin/env bash
# Side by side: llama.cpp's llama-bench and `actlab bench` on the same GGUF files, the same thread count,
# alternating contenders (and models) over ROUNDS rounds; prints best / median tok/s per contender and actlab's
# ratio to llama.cpp (best to best, median to median, and the median of the per-round ratios), and writes every
# run as JSON.
#
#   scripts/bench-vs-llamacpp.sh [DIR] [ROUNDS]
#   env: MODELS="110m-f32 110m-q8_0 1b-q8_0 1b-q4_0 1b-q4_k_m" (DIR/NAME.gguf; missing files are skipped)
#        THREADS=2 PROMPT=128 GEN=32 OUT=bench-vs-llamacpp.json LLAMA_BENCH=.../llama-bench
#
# LLAMA_BENCH: built from github:USTC-ADSL/llama.cpp (cmake -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON;
# ninja llama-bench). Files: ./actlab synth --shape 110M|1B --dtype F32|Q8_0|Q4_0 --out DIR/NAME.gguf; a K-quant
# file from llama-quantize --allow-requantize DIR/1b-q8_0.gguf DIR/tmp.gguf Q4_K_M (then rename it).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-/tmp/bm} ROUNDS=${2:-3} \
MODELS=${MODELS:-"110m-f32 110m-q8_0 1b-q8_0 1b-q4_0 1b-q4_k_m"} THREADS=${THREADS:-2} PROMPT=${PROMPT:-128} \
GEN=${GEN:-32} OUT=${OUT:-bench-vs-llamacpp.json} \
LLAMA_BENCH=${LLAMA_BENCH:-/tmp/peer/llama.cpp/build/bin/llama-bench} \
python3 - <<'EOF'
import json, os, statistics, subprocess, sys, time

env = os.environ
models = [m for m in env["MODELS"].split() if os.path.exists(os.path.join(env["DIR"], m + ".gguf"))]
if not models:
    sys.exit("no model files in " + env["DIR"])
threads, prompt, gen = env["THREADS"], env["PROMPT"], env["GEN"]

def llama_cpp(path):
    out = subprocess.run([env["LLAMA_BENCH"], "-m", path, "-t", threads, "-p", prompt, "-n", gen, "-r", "1",
                          "-o", "json"], capture_output=True, text=True, check=True).stdout
    runs = json.loads(out)
    return {("prefill" if r["n_prompt"] else "decode"): r["avg_ts"] for r in runs}

def actlab(path):
    out = subprocess.run(["./actlab", "bench", "--model", path, "--prompt-tokens", prompt, "--gen-tokens", gen,
                          "--rounds", "1", "--threads", threads, "--json"],
                         capture_output=True, text=True, check=True).stdout
    r = json.loads(out)
    return {"prefill": r["prefill_tokens_per_second"]["best"], "decode": r["decode_tokens_per_second"]["best"],
            "read_gbs": r["read_bandwidth_gbs"]["best"]}

runs = []
for rnd in range(1, int(env["ROUNDS"]) + 1):
    for m in models:
        path = os.path.join(env["DIR"], m + ".gguf")
        # alternate which contender goes first, so neither always runs on a warmer (or busier) machine
        order = [("llama.cpp", llama_cpp), ("actlab", actlab)]
        if rnd % 2 == 0:
            order.reverse()
        for name, fn in order:
            r = fn(path)
            r.update(model=m, contender=name, round=rnd, load=os.getloadavg()[0], time=time.strftime("%H:%M:%S"))
            runs.append(r)
            print(f"round {rnd} {m:10s} {name:9s} prefill {r['prefill']:8.2f}  decode {r['decode']:7.2f} tok/s"
                  f"  (load {r['load']:.1f})", flush=True)

def pick(m, c, work):
    return [r[work] for r in runs if r["model"] == m and r["contender"] == c]

summary = []
print(f"\n{'model':10s} {'work':8s} {'llama.cpp best/median':>22s} {'actlab best/median':>20s}"
      f" {'ratio best':>10s} {'median':>7s} {'per-round median':>17s}")
for m in models:
    for work in ("prefill", "decode"):
        l, a = pick(m, "llama.cpp", work), pick(m, "actlab", work)
        row = dict(model=m, work=work, llama_cpp_best=max(l), llama_cpp_median=statistics.median(l),
                   actlab_best=max(a), actlab_median=statistics.median(a),
                   ratio_best=max(a) / max(l), ratio_median=statistics.median(a) / statistics.median(l),
                   ratio_per_round_median=statistics.median(x / y for x, y in zip(a, l)))
        summary.append(row)
        print(f"{m:10s} {work:8s} {row['llama_cpp_best']:10.2f} / {row['llama_cpp_median']:8.2f}"
              f" {row['actlab_best']:9.2f} / {row['actlab_median']:8.2f} {row['ratio_best']:9.2f}x"
              f" {row['ratio_median']:6.2f}x {row['ratio_per_round_median']:16.2f}x")
with open(env["OUT"], "w") as f:
    json.dump(dict(threads=int(threads), prompt_tokens=int(prompt), gen_tokens=int(gen), runs=runs,
                   summary=summary), f, indent=1)
print("wrote " + env["OUT"])
EOF
