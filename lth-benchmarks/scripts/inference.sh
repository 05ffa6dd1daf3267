#!/usr/bin/env bash
# Times inference on the CPU with one thread (JMH: InferenceSpeed for LeNet-300-100, dense, masked
# and sparse CSR; ConvInferenceSpeed for Conv-4, dense and masked) and prints one Markdown table:
# milliseconds per forward pass and the speed-up of each contender over the dense model measured
# in the same run (dense ms / contender ms; above 1 is faster). About 7 minutes with the default
# 1 fork, 3 warm-up and 5 measured iterations of 1 s.
#
#   lth-benchmarks/scripts/inference.sh                  # the table of lth-benchmarks/README.md
#   lth-benchmarks/scripts/inference.sh -wi 5 -i 10      # other JMH options (1 fork stays)
#   lth-benchmarks/scripts/inference.sh -p batch=64      # one batch size only
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="$root/lth-benchmarks/target/benchmarks.jar"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

if [[ ! -f "$jar" ]]; then
  echo "building $jar ..." >&2
  (cd "$root" && mvn -B -q -pl lth-benchmarks -am package -DskipTests)
fi

jmh_opts=(-f 1 -wi 3 -i 5 -w 1 -r 1)
if [[ $# -gt 0 ]]; then
  jmh_opts=(-f 1 "$@")
fi

machine="$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo \
  | cut -d: -f2 | sed 's/^ *//')); $(java -version 2>&1 | head -1); load average at the start \
$(cut -d' ' -f1-3 /proc/loadavg)"

# the forks set PyTorch's thread counts themselves (see the benchmarks' @Fork)
java -jar "$jar" "${jmh_opts[@]}" -rf json -rff "$out/jmh.json" \
  'inference\.(InferenceSpeed|ConvInferenceSpeed)\.' >&2

python3 - "$out/jmh.json" "$machine" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json
import sys

models = {"InferenceSpeed": "lenet300", "ConvInferenceSpeed": "conv4"}
contenders = ["masked", "csr", "shrunk"]
dense = {}
timed = {}
for r in json.load(open(sys.argv[1])):
    cls, method = r["benchmark"].rsplit(".", 2)[-2:]
    unit = r["primaryMetric"]["scoreUnit"]
    assert unit == "ms/op", unit
    params = r.get("params", {})
    model, batch = models[cls], int(params["batch"])
    # JMH writes the error as "NaN" when there is one measured iteration
    score = (float(r["primaryMetric"]["score"]), float(r["primaryMetric"]["scoreError"]))
    if method == "dense":
        dense[(model, batch)] = score
    else:
        timed[(model, batch, float(params["sparsity"]), method)] = score

present = [c for c in contenders if any(k[3] == c for k in timed)]


def ms(s):
    if s is None:
        return "–"
    value, error = s
    if error != error:  # NaN: a single measured iteration
        return "%.3f" % value
    return "%.3f ± %.3f" % (value, error)


print("Inference, one thread, ms per forward pass (mean ± JMH's 99.9 % error) and speed-up over"
      " dense (dense ms / contender ms) measured in the same run.")
print("Machine: %s; load average at the end %s." % (sys.argv[2], sys.argv[3]))
print()
print("| model | batch | sparsity | dense ms | " + " | ".join(c + " ms" for c in present)
      + " | " + " | ".join(c + " speed-up" for c in present) + " |")
print("|---|---:|---:|---:|" + "---:|" * (2 * len(present)))
rows = sorted({k[:3] for k in timed}, key=lambda k: (list(models.values()).index(k[0]), k[1],
                                                     k[2]))
for model, batch, sparsity in rows:
    d = dense.get((model, batch))
    cells = [model, str(batch), "%g" % sparsity, ms(d)]
    got = [timed.get((model, batch, sparsity, c)) for c in present]
    cells += [ms(g) for g in got]
    cells += ["–" if g is None or d is None else "%.2f" % (d[0] / g[0]) for g in got]
    print("| " + " | ".join(cells) + " |")
PY
