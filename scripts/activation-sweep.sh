#!/usr/bin/env bash
# Activation functions side by side on the Brown corpus: trains one tiny decoder per MLP variant
# (same seed, data, tokenizer and steps), then measures each one's MLP activation sparsity
# (exact zeros, PPL-1%) on held-out Brown text with `actlab mlp-sparsity`.
#   scripts/activation-sweep.sh [OUT_DIR] [TOKENS]     (defaults: out/activation-sweep, 150000)
# Writes OUT_DIR/<variant>/ (train runs, summary.json each) and OUT_DIR/sparsity.{json,html}.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-out/activation-sweep}"
tokens="${2:-150000}"
actlab="${ACTLAB:-$here/actlab}"   # ACTLAB: another launcher, e.g. a snapshot of the jar
common=(--corpus brown --config tiny --tokenizer bpe:512 --ctx 64 --batch 8 --lr 2e-3 --seed 7 --tokens "$tokens"
        --eval-every 1000000 --save-every 1000000 --log-every 50 --probe-sequences 0 --json)
variants=("silu" "gelu" "relu" "relu2" "polyrelu" "relu-l1:--activation relu --act-l1 0.5 --act-l1-schedule sine" "silu-top32:--activation silu --mlp-topk 32")
mkdir -p "$out"
first=""
models=()
for v in "${variants[@]}"; do
  name="${v%%:*}"; flags="--activation $name"
  [[ "$v" == *:* ]] && flags="${v#*:}"
  dir="$out/$name"
  if [ ! -f "$dir/summary.json" ]; then
    rm -rf "$dir"; mkdir -p "$dir"
    extra=()
    # the BPE vocabulary is the same for every run (same text, same size): learn it once and let the
    # others read it (--resume with no checkpoint yet starts a fresh run with DIR/tokenizer.json)
    if [ -n "$first" ]; then cp "$first/tokenizer.json" "$dir/"; extra=(--resume); fi
    # shellcheck disable=SC2086
    "$actlab" train "${common[@]}" $flags --out "$dir" "${extra[@]}" > "$dir/summary.json" 2> "$dir/train.log"
  fi
  [ -z "$first" ] && first="$dir"
  models+=(--model "$dir/model.gguf")
done
# held-out text: the end of the corpus, inside the 5% the runs held out
tail -c 250000 "${ACTLAB_CACHE:-$HOME/.cache/actlab}/brown.txt" | tail -n +2 > "$out/heldout.txt"
"$actlab" mlp-sparsity "${models[@]}" --text "$out/heldout.txt" --max-tokens 8192 --ctx 64 --out "$out" > "$out/sparsity.txt"
cat "$out/sparsity.txt"
