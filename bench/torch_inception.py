#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""torch_inception.py — PyTorch's time for what bench_inception times, where
../shared/bench/torch_ref.py --model inception_v3 cannot run (it needs
torchvision, which this machine's /usr/bin/python3 lacks).

The network is tests/golden/gen_inception.py's plain-PyTorch FID Inception:
torchvision's inception_v3 conv for conv (the FID blocks differ only in
their pools), with the fc dropped as torch_ref.py drops it. Timed as
torch_ref.py times inception_v3: eval(), no_grad, batch 50 of
torch.rand(B, 3, 299, 299) * 2 - 1, torch.manual_seed(0) weights (PyTorch's
default init; the values do not change the time), 1 warm-up and 3 timed
iterations, the median.

  LD_LIBRARY_PATH=/tmp/obomp/usr/lib/x86_64-linux-gnu/openblas-openmp \\
      /usr/bin/python3 bench/torch_inception.py --threads 2
"""
import argparse
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "golden"))
from gen_inception import FIDInception  # noqa: E402


class Pool3(nn.Module):
    """the network up to the 2048 pool3 features (torch_ref.py's fc = Identity)"""

    def __init__(self):
        super().__init__()
        self.net = FIDInception()

    def forward(self, x):
        return self.net(x)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    m = Pool3().eval()
    x = torch.rand(args.batch, 3, 299, 299) * 2 - 1

    def fn():
        with torch.no_grad():
            f = m(x)
        assert f.shape == (args.batch, 2048)

    for _ in range(args.warmup):
        fn()
    c0, w0 = time.process_time(), time.perf_counter()
    ts = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000.0)
    cpu = (time.process_time() - c0) / (time.perf_counter() - w0)
    med = statistics.median(ts)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print("torch %s, threads=%d: inception (pool3) B=%d %.1f ms/iter %.2f img/s, fastest %.1f ms, "
          "cpu%%=%.0f, peak RSS %d MiB" % (torch.__version__, torch.get_num_threads(), args.batch,
                                          med, args.batch * 1000.0 / med, min(ts), 100 * cpu, rss))


if __name__ == "__main__":
    main()
