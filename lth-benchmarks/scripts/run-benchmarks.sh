#!/usr/bin/env bash
# Runs the lth4j CPU kernel benchmarks briefly (JMH), then the numpy peers on the same tensors,
# and prints one ratio table: per model and kernel, ours / numpy, ours / streaming read and
# ND4J / ours, with the targets of issue 12 and whether they are met.
#
#   lth-benchmarks/scripts/run-benchmarks.sh                 # brief: 1 fork, 2 warm-ups, 3 runs
#   lth-benchmarks/scripts/run-benchmarks.sh -wi 3 -i 10     # any extra JMH options
#   MODELS=resnet50 lth-benchmarks/scripts/run-benchmarks.sh # only one model
#   VECTOR=0 lth-benchmarks/scripts/run-benchmarks.sh        # skip the Vector API rows
#   JMH_JAVA_OPTS=-Djmh.ignoreLock=true ...                   # options for the JMH launcher JVM
#
# Benchmarks run: GlobalThresholdBenchmark (exact, exactScores), MaskApplyBenchmark,
# StreamingReadBenchmark, VectorApiBenchmark and, when the jar has it, Nd4jKernelBenchmark.
# "The" streaming read is StreamingReadBenchmark.read: every weight summed once on as many
# threads as the threshold kernel uses (one per processor); ours/read divides by it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="$root/lth-benchmarks/target/benchmarks.jar"
models="${MODELS:-lenet300,resnet50}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

if [[ ! -f "$jar" ]]; then
  echo "building $jar ..." >&2
  (cd "$root" && mvn -B -q -pl lth-benchmarks -am package -DskipTests)
fi

jmh_opts=(-f 1 -wi 2 -i 3 -w 1 -r 1)
if [[ $# -gt 0 ]]; then
  jmh_opts=(-f 1 "$@")
fi

benchmarks=('GlobalThresholdBenchmark\.(exact|exactScores)$' 'MaskApplyBenchmark'
  'StreamingReadBenchmark')
if [[ "${VECTOR:-1}" != 0 ]]; then
  benchmarks+=('VectorApiBenchmark')
fi
# shellcheck disable=SC2086  # JMH_JAVA_OPTS holds several words on purpose
if java ${JMH_JAVA_OPTS:-} -jar "$jar" -l | grep -q 'Nd4jKernelBenchmark'; then
  benchmarks+=('Nd4jKernelBenchmark')
else
  echo "note: no Nd4jKernelBenchmark in $jar; the ND4J/ours column stays empty" >&2
fi

# shellcheck disable=SC2086
java ${JMH_JAVA_OPTS:-} -jar "$jar" "${jmh_opts[@]}" -p "model=$models" -rf json \
  -rff "$out/jmh.json" \
  "${benchmarks[@]}" >&2

peer_args=()
IFS=',' read -ra ms <<< "$models"
for m in "${ms[@]}"; do
  peer_args+=(--model "$m")
done
python3 "$here/peers.py" "${peer_args[@]}" > "$out/peers.txt"
cat "$out/peers.txt" >&2

{
  echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'),"\
    "$(nproc) processors, $(java -version 2>&1 | head -1), $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "JMH: ${jmh_opts[*]}; numpy $(python3 -c 'import numpy; print(numpy.__version__)')"
} > "$out/machine.txt"

python3 "$here/ratios.py" "$out/jmh.json" "$out/peers.txt" "$out/machine.txt"
