#!/usr/bin/env bash
# Times lth4j's masked training against its peers (DESIGN.md section 5, end-to-end row) and prints
# one line per comparison with the ratio ours / peer (below 1: lth4j is faster).
#
#   lth-benchmarks/scripts/training/run.sh                    # full Fashion-MNIST, 3 repetitions
#   REPS=5 ROUNDS=60 lth-benchmarks/scripts/training/run.sh
#   DATA=embedded CLI=0 lth-benchmarks/scripts/training/run.sh # quick check on the 6,000 sample
#   DATA=/path/to/idx-dir lth-benchmarks/scripts/training/run.sh
#
# Runs TrainingSpeed twice (PyTorch's default threads, then 1 intra-op and 1 inter-op thread):
# lth4j's MaskedTrainer (unmasked, dense mask, 90%-sparse mask; Adam and SGD) against DJL's own
# Trainer loop, in whole epochs and in interleaved turns of 50 steps. Then, if python3 has torch
# (Debian: apt-get install python3-torch; TORCH=0 skips it), the plain PyTorch loop (2 threads),
# and, unless CLI=0, `./lth imp --epochs 1 --target-sparsity 0.68` itself.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
jar="$root/lth-benchmarks/target/benchmarks.jar"
data="${DATA:-fashion-mnist}"
reps="${REPS:-3}"
rounds="${ROUNDS:-40}"
cli="${CLI:-1}"
torch="${TORCH:-auto}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

python="${PYTHON:-}"
if [[ -z "$python" ]]; then
  for p in python3 /usr/bin/python3; do
    if "$p" -c 'import numpy' 2>/dev/null; then python="$p"; break; fi
  done
fi
[[ -n "$python" ]] || { echo "run.sh: no python3 with numpy (apt-get install python3-numpy)" >&2; exit 1; }
if [[ "$torch" == auto ]]; then
  if "$python" -c 'import torch' 2>/dev/null; then torch=1; else
    torch=0; echo "(no torch for $python: the plain PyTorch peer is skipped)" >&2; fi
fi

if [[ ! -f "$jar" ]]; then
  echo "building $jar ..." >&2
  (cd "$root" && mvn -B -q -pl lth-benchmarks -am package -DskipTests)
fi

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores" >&2
main=io.github.lth.benchmarks.training.TrainingSpeed
java -Dai.djl.offline=true -cp "$jar" "$main" --data "$data" --repetitions "$reps" \
  --step-rounds "$rounds" | tee "$out/default.txt" | grep -v '^result' >&2
java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1 \
  -cp "$jar" "$main" --data "$data" --repetitions "$reps" --step-rounds "$rounds" --no-imp \
  --variants plain,unmasked,dense,sparse,plain-sgd,unmasked-sgd,sparse-sgd \
  | tee "$out/one.txt" | grep -v '^result' >&2

torch_data=()
if [[ "$data" == fashion-mnist ]]; then
  torch_data=(--data /usr/share/datasets/fashion-mnist)
elif [[ -d "$data" ]]; then
  torch_data=(--data "$data")
fi
if [[ "$data" == embedded ]]; then
  echo "(the PyTorch peer always reads full Fashion-MNIST; ratios against it need DATA=fashion-mnist)" >&2
fi
if [[ "$torch" == 1 ]]; then
  "$python" "$here/pytorch_loop.py" "${torch_data[@]}" --repetitions "$reps" \
    | tee "$out/torch.txt" | grep -v '^result' >&2
else
  : > "$out/torch.txt"
fi

if [[ "$cli" == 1 ]]; then
  (cd "$root" && ./lth --version >/dev/null)  # build the CLI outside the timing
  start=$(date +%s.%N)
  (cd "$root" && ./lth imp --data "$data" --epochs 1 --target-sparsity 0.68 --out "$out/run" \
    >"$out/cli.log" 2>&1)
  end=$(date +%s.%N)
  echo "result cli_imp_s $(echo "$end - $start" | bc -l)" > "$out/cli.txt"
  tail -n 12 "$out/cli.log" >&2
else
  : > "$out/cli.txt"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$python" - "$out" <<'PY'
import sys

out = sys.argv[1]

def read(name):
    values = {}
    for line in open(f"{out}/{name}.txt"):
        if line.startswith("result "):
            _, key, value = line.split()
            values[key] = float(value)
    return values

d, one, t, c = read("default"), read("one"), read("torch"), read("cli")

def line(label, ours, peer, target=None):
    if ours is None or peer is None:
        return
    goal = "" if target is None else f"  (target <= {target})"
    print(f"{ours / peer:7.3f}  {label}: {ours:.4g} / {peer:.4g}{goal}")

print(f"threads: default is {int(d['threads'])} intra-op / {int(d['interop_threads'])} inter-op")
line("plain DJL epoch s, 1 thread / default threads", one.get("plain_epoch_s"), d.get("plain_epoch_s"))
line("MaskedTrainer 90%-sparse epoch s, 1 thread / default threads", one.get("sparse_epoch_s"), d.get("sparse_epoch_s"))
comparisons = [
    ("sparse", "plain", "MaskedTrainer Adam 90%-sparse / plain DJL loop", 1.1),
    ("dense", "plain", "MaskedTrainer Adam dense mask / plain DJL loop", 1.1),
    ("unmasked", "plain", "MaskedTrainer Adam unmasked / plain DJL loop", None),
    ("sparse", "unmasked", "masked step, Adam: 90%-sparse / unmasked", 1.03),
    ("dense", "unmasked", "masked step, Adam: dense mask / unmasked", 1.03),
    ("sparse_sgd", "plain_sgd", "MaskedTrainer SGD 90%-sparse / plain DJL loop SGD", 1.1),
    ("sparse_sgd", "unmasked_sgd", "masked step, SGD: 90%-sparse / unmasked", 1.03),
]
for label, v in (("default threads", d), ("1 thread", one)):
    for a, b, what, target in comparisons:
        line(f"epoch s, {what}, {label}", v.get(f"{a}_epoch_s"), v.get(f"{b}_epoch_s"), target)
        line(f"step us (q20 of 50-step turns), {what}, {label}", v.get(f"{a}_step_quiet_us"),
             v.get(f"{b}_step_quiet_us"), target)
line("epoch s, ClassificationTask.train / its MaskedTrainer loop", d.get("task_epoch_s"), d.get("sparse_epoch_s"))
if "torch_epoch_s" in t and "fashion" in open(f"{out}/default.txt").read():
    b = one if one.get("plain_epoch_s", 1e9) < d.get("plain_epoch_s", 1e9) else d
    line("epoch s, lth4j 90%-sparse (faster threads) / plain PyTorch loop", b.get("sparse_epoch_s"), t["torch_epoch_s"])
    line("epoch s, plain DJL loop (faster threads) / plain PyTorch loop", b.get("plain_epoch_s"), t["torch_epoch_s"])
    line("IMP 6 x 1 epoch s, lth4j Imp in-process / PyTorch IMP loop", d.get("imp_s"), t["torch_imp_s"], 0.4)
    if "cli_imp_s" in c:
        line("IMP wall s incl. JVM start and data load, ./lth imp / PyTorch script (load + IMP)",
             c["cli_imp_s"], t["torch_load_s"] + t["torch_imp_s"], 0.4)
PY
