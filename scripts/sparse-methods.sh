#!/usr/bin/env bash
# The sparse training methods of Iofinova et al. (2022) in miniature: Conv-4 trained on classes
# 0-4 of Fashion-MNIST to 90 % sparsity by each method (and LTH by IMP), then transferred to
# classes 5-9 with a linear probe and with full fine-tuning, beside the dense network.
# Writes the runs under $OUT and prints the README's table (markdown) at the end.
#   scripts/sparse-methods.sh                 # the README's setting
#   STEPS=40 TRANSFER_STEPS=20 DATA=embedded scripts/sparse-methods.sh   # a quick look
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
lth="$root/lth"
OUT=${OUT:-runs/sparse-methods}
DATA=${DATA:-fashion-mnist}
MODEL=${MODEL:-conv4}
STEPS=${STEPS:-200}
TRANSFER_STEPS=${TRANSFER_STEPS:-100}
SEEDS=${SEEDS:-2}
# the downstream task: 20 % of each class's training images (6,000), as a small target data set
LOW_SHOT=${LOW_SHOT:-20}
METHODS=${METHODS:-gmp acdc rigl str woodfisher}
common=(--model "$MODEL" --data "$DATA" --classes 0,1,2,3,4 --steps "$STEPS" --seed 0)

# LTH: three IMP rounds of 53.58 % each reach 89.997 %, the last round not above 90 %
"$lth" imp "${common[@]}" --rate 0.5358 --target-sparsity 0.9 --out "$OUT/lth" --resume
for m in $METHODS; do
  options=()
  # one RigL update every 25 steps of the short run (the default ΔT = 100 would update once)
  [[ $m == rigl ]] && options=(--method-options "every=$(( STEPS / 8 > 0 ? STEPS / 8 : 1 ))")
  "$lth" train --method "$m" --target-sparsity 0.9 "${common[@]}" ${options[@]+"${options[@]}"} \
      --dense-from "$OUT/lth" --out "$OUT/$m" --resume
done
for m in lth $METHODS; do
  [[ -f "$OUT/$m/transfer/verdicts.csv" ]] && continue
  rounds=()
  [[ $m == lth ]] && rounds=(--round 3)
  "$lth" transfer --ticket "$OUT/$m" ${rounds[@]+"${rounds[@]}"} --weights trained --data "$DATA" \
      --classes 5,6,7,8,9 --low-shot "$LOW_SHOT" --mode linear,full --seeds "$SEEDS" \
      --steps "$TRANSFER_STEPS" \
      --controls none --out "$OUT/$m/transfer"
done
python3 "$root/scripts/sparse-methods-table.py" "$OUT" lth $METHODS
