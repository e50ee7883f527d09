#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Merge bench_conv and torch_conv.py outputs into the markdown table of
bench/README.md. Each program may have been run several times: per layer and
per column the fastest run is kept. The last column names the implementations
that served genlab's forward, data and weight kernels (bench_conv's last
column; give --ours runs of one --conv setting).

    bench/conv_table.py --ours a.tsv b.tsv --torch c.tsv d.tsv [--im2col e.tsv f.tsv]
                        [--sgemm 200]

--im2col adds the training pass of bench_conv --conv im2col runs (genlab
without oneDNN) next to --ours.
"""
import argparse


def read(paths):
    """{layer: [columns]} keeping each column's minimum over the files, and
    the best sgemm 1024^3 rate seen in the genlab headers."""
    best, sgemm = {}, 0.0
    for path in paths:
        for line in open(path):
            if line.startswith("# sgemm"):
                sgemm = max(sgemm, float(line.split(":")[1].split()[0]))
            if line.startswith("#") or not line.strip():
                continue
            f = line.rstrip("\n").split("\t")
            name = f[0]
            if name not in best:
                best[name] = f
                continue
            old = best[name]
            for i in (3, 4, 5, 6):       # fwd, data, weight, train ms
                old[i] = str(min(float(old[i]), float(f[i])))
            if len(f) > 9:               # the sgemm rate of the layer's shape: the best
                old[9] = str(max(float(old[9]), float(f[9])))
    return best, sgemm


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", nargs="+", required=True)
    ap.add_argument("--torch", nargs="+", required=True)
    ap.add_argument("--im2col", nargs="+", default=[],
                    help="bench_conv --conv im2col outputs, for an im2col-only column")
    ap.add_argument("--sgemm", type=float,
                    help="reference sgemm GFLOP/s (default: the best 1024^3 rate in --ours)")
    a = ap.parse_args()
    ours, sgemm = read(a.ours)
    sgemm = a.sgemm or sgemm
    torch, _ = read(a.torch)
    im2col, _ = read(a.im2col)
    base = " im2col-only ms |" if im2col else ""
    print(f"reference sgemm 1024x1024x1024: {sgemm:.0f} GFLOP/s\n")
    print(f"| layer | kind | GFLOP | genlab ms |{base} torch ms | torch/genlab | genlab GFLOP/s "
          "| % of layer sgemm | % of sgemm 1024 | genlab fwd / data / weight ms "
          "| torch fwd / data / weight ms | genlab kernels |")
    print("|---|---|--:|--:|" + ("--:|" if im2col else "") + "--:|--:|--:|--:|--:|--:|--:|---|")
    totals = {}
    for name, o in ours.items():
        t = torch.get(name)
        model = "DCGAN-" + name[1:3] if name[0] in "gd" else "U-Net 3x3 layers"
        tot = totals.setdefault(model, [0.0, 0.0, 0.0])
        tot[0] += float(o[6])
        tot[1] += float(t[6]) if t else float("nan")
        tot[2] += float(im2col[name][6]) if name in im2col else float("nan")
        col = f" {float(im2col[name][6]):.1f} |" if name in im2col else (" |" if im2col else "")
        gflop, ms = float(o[2]), float(o[6])
        rate = gflop / (ms * 1e-3)
        tms = float(t[6]) if t else float("nan")
        print(f"| {name} | {o[1]} | {gflop:.2f} | {ms:.1f} |{col} {tms:.1f} | {tms / ms:.2f} "
              f"| {rate:.0f} | {100 * rate / float(o[9]):.0f} | {100 * rate / sgemm:.0f} "
              f"| {float(o[3]):.1f} / {float(o[4]):.1f} / {float(o[5]):.1f} "
              f"| {float(t[3]):.1f} / {float(t[4]):.1f} / {float(t[5]):.1f} "
              f"| {o[11] if len(o) > 11 else ''} |" if t else "|")
    print("\nAll conv layers of one model, forward + both gradients:\n")
    print(f"| model | genlab ms |{base} torch ms | torch/genlab |")
    print("|---|--:|" + ("--:|" if im2col else "") + "--:|--:|")
    for model, (g, t, i) in totals.items():
        col = f" {i:.0f} |" if im2col else ""
        print(f"| {model} | {g:.0f} |{col} {t:.0f} | {t / g:.1f} |")


if __name__ == "__main__":
    main()
