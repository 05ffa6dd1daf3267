#!/usr/bin/env python3
"""Prints the ratio table of run-benchmarks.sh from a JMH JSON result and peers.py's output.

    python3 ratios.py jmh.json peers.txt [machine.txt]

One row per model and kernel: ours (ms), numpy (ms), ours/numpy, the streaming read it is
compared with (ms), ours/read, ND4J (ms), ND4J/ours, and the issue-12 target with "met" or
"MISSED" where one is set (threshold: ours/read <= 4; apply: ours/numpy <= 1.2). Ratios below 1
mean the first named is faster. A missing benchmark leaves its cells as "-".
"""
import json
import sys

# (kernel label, ours benchmark, numpy peer, read benchmark, ND4J benchmark, target)
# target: (column, limit) or None
ROWS = [
    ("streaming read (N threads)", "StreamingReadBenchmark.read", "read", None, None, None),
    ("streaming read (1 thread)", "StreamingReadBenchmark.readOneThread", "read", None, None,
     None),
    ("threshold 20%, from |w|", "GlobalThresholdBenchmark.exact", "threshold",
     "StreamingReadBenchmark.read", "Nd4jKernelBenchmark.nd4jThreshold", ("read", 4.0)),
    ("threshold 20%, precomputed", "GlobalThresholdBenchmark.exactScores", "threshold",
     "StreamingReadBenchmark.read", None, None),
    ("apply in place, f32 m", "MaskApplyBenchmark.maskApplyTo", "apply-f32",
     "StreamingReadBenchmark.read", "Nd4jKernelBenchmark.nd4jApply", ("numpy", 1.2)),
    ("apply in place, bool m", "MaskApplyBenchmark.maskApplyTo", "apply-bool",
     "StreamingReadBenchmark.read", "Nd4jKernelBenchmark.nd4jApply", ("numpy", 1.2)),
    ("apply, table, 1 thread", "MaskApplyBenchmark.byteTableOneThread", "apply-f32",
     "StreamingReadBenchmark.readOneThread", None, None),
    ("apply, before (per-bit)", "MaskApplyBenchmark.branchlessWords", "apply-f32",
     "StreamingReadBenchmark.readOneThread", None, None),
    ("apply, float multiply", "MaskApplyBenchmark.floatMultiply", "apply-f32",
     "StreamingReadBenchmark.readOneThread", None, None),
    ("count kept", "Nd4jKernelBenchmark.oursCount", None, None, "Nd4jKernelBenchmark.nd4jCount",
     None),
    ("IoU", "Nd4jKernelBenchmark.oursIou", None, None, "Nd4jKernelBenchmark.nd4jIou", None),
    ("mark pass, scalar, 1 thr", "VectorApiBenchmark.scalarMark", None,
     "VectorApiBenchmark.scalarRead", None, None),
    ("mark pass, Vector API, 1 thr", "VectorApiBenchmark.vectorMark", None,
     "VectorApiBenchmark.scalarRead", None, None),
    ("apply, scalar, 1 thr", "VectorApiBenchmark.scalarApply", "apply-f32",
     "VectorApiBenchmark.scalarRead", None, None),
    ("apply, Vector API, 1 thr", "VectorApiBenchmark.vectorApply", "apply-f32",
     "VectorApiBenchmark.scalarRead", None, None),
    ("read, Vector API, 1 thr", "VectorApiBenchmark.vectorRead", "read",
     "VectorApiBenchmark.scalarRead", None, None),
]


def load_jmh(path):
    out = {}
    for r in json.load(open(path)):
        cls, method = r["benchmark"].rsplit(".", 2)[-2:]
        params = r.get("params", {})
        model = params.get("model") or params.get("smallModel")
        unit = r["primaryMetric"]["scoreUnit"]
        assert unit == "ms/op", (r["benchmark"], unit)
        out[(cls + "." + method, model)] = r["primaryMetric"]["score"]
    return out


def load_peers(path):
    out = {}
    for line in open(path):
        parts = line.split()
        if len(parts) == 3:
            out[(parts[0], parts[1])] = float(parts[2])
    return out


def fmt(x, digits=2):
    return "-" if x is None else "%.*f" % (digits, x)


def main():
    ours = load_jmh(sys.argv[1])
    peers = load_peers(sys.argv[2])
    if len(sys.argv) > 3:
        print(open(sys.argv[3]).read().rstrip())
    models = []
    for (_, model) in list(ours) + list(peers):
        if model not in models:
            models.append(model)
    header = ("model", "kernel", "ours ms", "numpy ms", "ours/numpy", "read ms", "ours/read",
              "ND4J ms", "ND4J/ours", "target", "")
    lines = [header]
    for model in models:
        for label, mine, peer, read, nd4j, target in ROWS:
            t = ours.get((mine, model))
            if t is None:
                continue
            p = peers.get((peer, model)) if peer else None
            r = ours.get((read, model)) if read else None
            n = ours.get((nd4j, model)) if nd4j else None
            vs_numpy = t / p if p else None
            vs_read = t / r if r else None
            verdict = ""
            goal = ""
            if target:
                column, limit = target
                value = vs_read if column == "read" else vs_numpy
                goal = "ours/%s <= %g" % (column, limit)
                verdict = "-" if value is None else ("met" if value <= limit else "MISSED")
            lines.append((model, label, fmt(t, 3), fmt(p, 3), fmt(vs_numpy), fmt(r, 3),
                          fmt(vs_read), fmt(n, 3), fmt(n / t if n else None), goal, verdict))
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    for k, row in enumerate(lines):
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [row[i].rjust(widths[i]) for i in range(2, 9)]
        cells += [row[9].ljust(widths[9]), row[10]]
        print("  ".join(cells).rstrip())
        if k == 0:
            print("-" * (sum(widths) + 2 * (len(widths) - 1)))
    print("read = StreamingReadBenchmark.read (one thread per processor, as the threshold kernel)"
          " unless the row says 1 thread/thr (then the one-thread read of the same class).")


if __name__ == "__main__":
    main()
