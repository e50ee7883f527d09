#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""PyTorch CPU timings of the DCGAN-32 / DCGAN-64 convolution layers (and a few
U-Net 3x3 layers), measured the way bench/bench_conv.c measures genlab's, for
comparison.

For each layer at batch 64: the forward, the input gradient alone, the weight
gradient alone (aten::convolution_backward with one output mask each), and a
full training pass (forward, then backward to x and w). Times are the minimum
over repetitions filling --min-time seconds (at least 3) after one warm-up
call. GFLOP/s counts 2*MACs per pass and three passes for the full one.

Not a test. Run with the system Python, which has torch:
    /usr/bin/python3 bench/torch_conv.py [--threads 2] [--min-time 1] [--layer NAME]
Output: tab-separated lines after '#' headers, like bench_conv.
"""
import argparse
import time

import torch
import torch.nn.functional as F

BATCH = 64

# name, transposed, cin, h, w, cout, k, stride, padding — the layers of
# DCGAN32_G/D and DCGAN64_G/D in /work/shared/bench/torch_ref.py
LAYERS = [
    ("g32.1", True, 100, 1, 1, 1024, 2, 1, 0),
    ("g32.2", True, 1024, 2, 2, 512, 4, 2, 1),
    ("g32.3", True, 512, 4, 4, 256, 4, 2, 1),
    ("g32.4", True, 256, 8, 8, 128, 4, 2, 1),
    ("g32.5", True, 128, 16, 16, 3, 4, 2, 1),
    ("d32.1", False, 3, 32, 32, 64, 5, 2, 2),
    ("d32.2", False, 64, 16, 16, 128, 5, 2, 2),
    ("d32.3", False, 128, 8, 8, 256, 5, 2, 2),
    ("d32.4", False, 256, 4, 4, 512, 5, 2, 2),
    ("g64.1", True, 100, 1, 1, 512, 4, 1, 0),
    ("g64.2", True, 512, 4, 4, 256, 4, 2, 1),
    ("g64.3", True, 256, 8, 8, 128, 4, 2, 1),
    ("g64.4", True, 128, 16, 16, 64, 4, 2, 1),
    ("g64.5", True, 64, 32, 32, 3, 4, 2, 1),
    ("d64.1", False, 3, 64, 64, 64, 4, 2, 1),
    ("d64.2", False, 64, 32, 32, 128, 4, 2, 1),
    ("d64.3", False, 128, 16, 16, 256, 4, 2, 1),
    ("d64.4", False, 256, 8, 8, 512, 4, 2, 1),
    ("d64.5", False, 512, 4, 4, 1, 4, 1, 0),
    # not DCGAN: 3x3 stride-1 convolutions of a diffusion U-Net (bench_conv.c)
    ("u32.1", False, 3, 32, 32, 64, 3, 1, 1),
    ("u32.2", False, 64, 32, 32, 64, 3, 1, 1),
    ("u16.1", False, 128, 16, 16, 128, 3, 1, 1),
    ("u8.1", False, 256, 8, 8, 256, 3, 1, 1),
    ("u16.2", False, 128, 16, 16, 64, 1, 1, 0),
    ("u32.3", False, 64, 32, 32, 3, 3, 1, 1),
]


def out_size(transposed, n, k, s, p):
    return (n - 1) * s - 2 * p + k if transposed else (n + 2 * p - k) // s + 1


def time_ms(f, min_time):
    f()
    times, start = [], time.perf_counter()
    while len(times) < 50 and (len(times) < 3 or time.perf_counter() - start < min_time):
        t0 = time.perf_counter()
        f()
        times.append(1e3 * (time.perf_counter() - t0))
    return min(times)


def bench_layer(layer, min_time):
    name, tr, cin, h, w, cout, k, s, p = layer
    ho, wo = out_size(tr, h, k, s, p), out_size(tr, w, k, s, p)
    x = torch.randn(BATCH, cin, h, w, requires_grad=True)
    wt = torch.randn(*((cin, cout, k, k) if tr else (cout, cin, k, k)), requires_grad=True)
    gy = torch.randn(BATCH, cout, ho, wo)
    conv = F.conv_transpose2d if tr else F.conv2d

    def forward():
        with torch.no_grad():
            conv(x, wt, None, s, p)

    def grad(mask):
        def run():
            torch.ops.aten.convolution_backward(gy, x, wt, None, [s, s], [p, p], [1, 1], tr,
                                                [0, 0], 1, mask)
        return run

    def train():
        x.grad = wt.grad = None
        conv(x, wt, None, s, p).backward(gy)

    t_fwd = time_ms(forward, min_time)
    t_data = time_ms(grad([True, False, False]), min_time)
    t_weight = time_ms(grad([False, True, False]), min_time)
    t_train = time_ms(train, min_time)
    small = h * w if tr else ho * wo
    gflop = 2.0 * BATCH * small * cin * cout * k * k * 1e-9
    print(f"{name}\t{'convT' if tr else 'conv'}\t{3 * gflop:.3f}\t{t_fwd:.3f}\t{t_data:.3f}"
          f"\t{t_weight:.3f}\t{t_train:.3f}\t{3 * gflop / (t_train * 1e-3):.1f}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--min-time", type=float, default=1.0)
    ap.add_argument("--layer")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"# torch {torch.__version__} conv benchmark: batch {BATCH}, "
          f"{torch.get_num_threads()} threads, mkldnn {torch.backends.mkldnn.is_available()}, "
          f"min ms")
    print("# layer\tkind\tGFLOP(3 passes)\tfwd_ms\tdata_ms\tweight_ms\ttrain_ms\ttrain_GFLOP/s")
    for layer in LAYERS:
        if a.layer is None or a.layer == layer[0]:
            bench_layer(layer, a.min_time)


if __name__ == "__main__":
    main()
