#!/usr/bin/env bash
# Larger than the heap: `lth mask` on a 2 GB bfloat16 safetensors file (1 G weights, 4 tensors)
# with JAVA_OPTS=-Xmx256m, timed against numpy's exact equivalent on a float32 .npy of the same
# weights (np.load mmap, |w|, partition for the threshold, ties to the lower flat index, np.savez);
# checks that both masks are identical and prints the seconds and the ratio.
#   lth-benchmarks/scripts/larger-than-heap.sh [WORK_DIR] [ROWS]
# Needs python3 with numpy, about 7.5 GB of free disk in WORK_DIR (2 GB + 4 GB of weights, two
# 1 GB masks) and ~10 GB of RAM for numpy. ROWS (default 16384) sizes the four ROWS x 16384
# tensors, e.g. 1024 for a quick check. The files are deleted at the end. LTH names another
# launcher than ./lth (e.g. a frozen build while the sources change).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${1:-$(mktemp -d "${TMPDIR:-/tmp}/lth-larger-than-heap.XXXXXX")}"
rows="${2:-16384}"
sparsity=0.8
heap=-Xmx256m
lth="${LTH:-$root/lth}"
mkdir -p "$work"
trap 'rm -f "$work"/big.safetensors "$work"/big.npy "$work"/m-lth.npz "$work"/m-numpy.npz "$work"/shapes.json' EXIT

echo "generating 4 x $rows x 16384 weights in $work ..." >&2
python3 "$here/larger-than-heap.py" generate "$work" 4 "$rows" 16384
ls -l "$work"/big.safetensors "$work"/big.npy >&2
"$lth" --version >/dev/null   # builds the CLI if needed, outside the timing

# the files come from the page cache for both contenders: read each once first
cat "$work"/big.safetensors >/dev/null
start=$(date +%s.%N)
JAVA_OPTS=$heap "$lth" mask --weights "$work/big.safetensors" --sparsity $sparsity \
  --out "$work/m-lth.npz" | tail -3
lth_s=$(echo "$(date +%s.%N) - $start" | bc)

cat "$work"/big.npy >/dev/null
start=$(date +%s.%N)
python3 "$here/larger-than-heap.py" numpy-mask "$work" $sparsity "$work/m-numpy.npz"
numpy_s=$(echo "$(date +%s.%N) - $start" | bc)

python3 "$here/larger-than-heap.py" compare "$work/m-lth.npz" "$work/m-numpy.npz"
printf 'lth mask (bf16 safetensors, %s): %.1f s\n' "$heap" "$lth_s"
printf 'numpy (float32 .npy, mmap):        %.1f s\n' "$numpy_s"
printf 'ratio lth / numpy:                 %.2f\n' "$(echo "$lth_s / $numpy_s" | bc -l)"
