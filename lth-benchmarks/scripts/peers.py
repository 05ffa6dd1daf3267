#!/usr/bin/env python3
"""Times the numpy peers of the lth4j CPU kernels on the same tensors as the JMH benchmarks.

    python3 peers.py                    # both models, prints one line per kernel in ms
    python3 peers.py --model resnet50   # one model
    python3 peers.py --write-layers DIR # (re)writes the layer lists the JMH benchmarks read

Kernels (each timed as the median of --repeat runs after one warm-up):
  threshold   np.partition(flat, k - 1)[k - 1] with k = round(0.2 * n) over all scores
              concatenated beforehand, i.e. the value of the global 20% pruning threshold
  apply-bool  w *= m per tensor with m a bool array (the mask as stored in .npz)
  apply-f32   w *= m per tensor with m a float32 0/1 array
  read        w.sum() per tensor: numpy's own streaming read of the same floats (context for
              the JMH StreamingReadBenchmark rows; one thread)
Output lines: "<kernel> <model> <ms>".
"""
import argparse
import os
import time

import numpy as np


def resnet50_layers():
    """Every parameter tensor of torchvision's resnet50 as (name, shape): 25,557,032 floats."""
    out = [("conv1.weight", (64, 3, 7, 7))]

    def bn(prefix, c):
        out.append((prefix + ".weight", (c,)))
        out.append((prefix + ".bias", (c,)))

    bn("bn1", 64)
    inplanes = 64
    for stage, (planes, blocks) in enumerate([(64, 3), (128, 4), (256, 6), (512, 3)], start=1):
        for b in range(blocks):
            p = "layer%d.%d" % (stage, b)
            out.append((p + ".conv1.weight", (planes, inplanes, 1, 1)))
            bn(p + ".bn1", planes)
            out.append((p + ".conv2.weight", (planes, planes, 3, 3)))
            bn(p + ".bn2", planes)
            out.append((p + ".conv3.weight", (planes * 4, planes, 1, 1)))
            bn(p + ".bn3", planes * 4)
            if b == 0:
                out.append((p + ".downsample.0.weight", (planes * 4, inplanes, 1, 1)))
                bn(p + ".downsample.1", planes * 4)
            inplanes = planes * 4
    out.append(("fc.weight", (1000, 2048)))
    out.append(("fc.bias", (1000,)))
    return out


def lenet300_layers():
    """The prunable weights of LeNet-300-100: 266,200 floats."""
    return [("fc1.weight", (300, 784)), ("fc2.weight", (100, 300)), ("fc3.weight", (10, 100))]


MODELS = {"lenet300": lenet300_layers, "resnet50": resnet50_layers}
TOTALS = {"lenet300": 266_200, "resnet50": 25_557_032}


def layers(model):
    ls = MODELS[model]()
    total = sum(int(np.prod(s)) for _, s in ls)
    assert total == TOTALS[model], (model, total)
    return ls


def write_layers(directory):
    for model in MODELS:
        with open(os.path.join(directory, model + ".txt"), "w") as f:
            f.write("# %s: one parameter tensor per line, name and shape; written by peers.py\n"
                    % model)
            for name, shape in layers(model):
                f.write("%s %s\n" % (name, ",".join(str(d) for d in shape)))


def median_ms(fn, repeat, setup=None):
    if setup:
        setup()
    fn()
    times = []
    for _ in range(repeat):
        if setup:
            setup()
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times))


def run(model, repeat):
    rng = np.random.default_rng(42)
    ls = layers(model)
    weights = [(0.05 * rng.standard_normal(int(np.prod(s)))).astype(np.float32) for _, s in ls]
    scores = np.abs(np.concatenate(weights))
    n = scores.size
    k = int(round(0.2 * n))
    print("threshold %s %.3f" % (model, median_ms(lambda: np.partition(scores, k - 1)[k - 1],
                                                  repeat)))

    masks = [rng.random(w.size) >= 0.8 for w in weights]   # 80% pruned, like the JMH mask
    masks_f32 = [m.astype(np.float32) for m in masks]
    work = [w.copy() for w in weights]

    def fresh():
        for dst, src in zip(work, weights):
            np.copyto(dst, src)

    def apply(ms):
        for w, m in zip(work, ms):
            w *= m

    print("apply-bool %s %.3f" % (model, median_ms(lambda: apply(masks), repeat, fresh)))
    print("apply-f32 %s %.3f" % (model, median_ms(lambda: apply(masks_f32), repeat, fresh)))
    print("read %s %.3f" % (model, median_ms(lambda: [w.sum() for w in weights], repeat)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=sorted(MODELS), action="append")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--write-layers", metavar="DIR")
    args = ap.parse_args()
    if args.write_layers:
        write_layers(args.write_layers)
        return
    for model in args.model or ["lenet300", "resnet50"]:
        run(model, args.repeat)


if __name__ == "__main__":
    main()
