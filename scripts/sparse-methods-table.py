#!/usr/bin/env python3
"""Prints the README's table of sparse training methods from the runs scripts/sparse-methods.sh
wrote: upstream test accuracy of each method's sparse network (and of the dense one), then the
transfer verdicts (mean +- std over seeds, matching marked) of the linear probe and of full
fine-tuning.  Usage: sparse-methods-table.py OUT lth gmp acdc ..."""
import csv
import sys
from pathlib import Path

NAMES = {"lth": "LTH (IMP, 3 rounds)", "gmp": "GMP", "acdc": "AC/DC", "rigl": "RigL (ERK)",
         "str": "STR", "woodfisher": "WoodFisher"}


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def upstream(run):
    results = rows(run / "results.csv")
    return results[0], results[-1]


def verdicts(run):
    out = {}
    for v in rows(run / "transfer" / "verdicts.csv"):
        out[(v["target"], v["configuration"])] = v
    return out


def cell(v):
    text = "%.2f ± %.2f" % (100 * float(v["mean"]), 100 * float(v["std"]))
    return text + (" ✓" if v["matching"] == "true" else "")


def main():
    out = Path(sys.argv[1])
    methods = sys.argv[2:]
    dense, _ = upstream(out / methods[0])
    dense_v = verdicts(out / methods[0])
    print("| network | sparsity | classes 0–4 (upstream) | linear probe on 5–9 | full fine-tuning on 5–9 |")
    print("|---|---|---|---|---|")
    print("| dense | 0 %% | %.2f | %s | %s |" % (100 * float(dense["test_accuracy"]),
          cell(dense_v[("linear", "dense")]), cell(dense_v[("full", "dense")])))
    for m in methods:
        _, sparse = upstream(out / m)
        v = verdicts(out / m)
        print("| %s | %.2f %% | %.2f | %s | %s |" % (NAMES.get(m, m),
              100 * float(sparse["sparsity"]), 100 * float(sparse["test_accuracy"]),
              cell(v[("linear", "ticket")]), cell(v[("full", "ticket")])))


if __name__ == "__main__":
    main()
