#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# torch_data.py — the Python reference for bench_data's "read" lines: what a
# PyTorch script does per item with torchvision's usual transforms, restated
# with Pillow, numpy and torch (torchvision is not installed here; its
# ToTensor, Normalize, Resize and CenterCrop on PIL images do exactly this):
#
#   CIFAR-10 (torchvision.datasets.CIFAR10 + ToTensor + Normalize(0.5, 0.5)):
#       Image.fromarray(record) -> float tensor in [-1, 1]
#   image folder (ImageFolder + Resize(size) + CenterCrop(size) + ToTensor +
#   Normalize): Image.open().convert("RGB") -> resize shorter side (bilinear)
#       -> center crop -> float tensor in [-1, 1]
#
# One process, one thread (a DataLoader with num_workers=0), batches of 64
# stacked with torch.stack as default_collate does. Prints TSV lines like
# bench_data's: read <dataset> decode <items> <images/s> images/s.
#
#   /usr/bin/python3 bench/torch_data.py cifar10 BATCH.bin
#   /usr/bin/python3 bench/torch_data.py imagefolder DIR [SIZE]
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

torch.set_num_threads(1)


def to_tensor(img):
    a = torch.from_numpy(np.asarray(img, dtype=np.uint8).copy()).permute(2, 0, 1).float() / 255
    return (a - 0.5) / 0.5


def cifar(path):
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, 3073)
    items = [rec[1:].reshape(3, 32, 32).transpose(1, 2, 0) for rec in raw]
    t0 = time.perf_counter()
    for at in range(0, len(items), 64):
        torch.stack([to_tensor(Image.fromarray(x)) for x in items[at:at + 64]])
    return len(items), time.perf_counter() - t0


def folder(root, size):
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
                   if f.lower().endswith((".jpg", ".jpeg", ".png")))

    def load(p):
        img = Image.open(p).convert("RGB")
        w, h = img.size
        s = size / min(w, h)
        img = img.resize((max(size, int(w * s)), max(size, int(h * s))), Image.BILINEAR)
        w, h = img.size
        left, top = int(round((w - size) / 2.0)), int(round((h - size) / 2.0))
        return to_tensor(img.crop((left, top, left + size, top + size)))

    t0 = time.perf_counter()
    for at in range(0, len(files), 64):
        torch.stack([load(p) for p in files[at:at + 64]])
    return len(files), time.perf_counter() - t0


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: torch_data.py cifar10 BATCH.bin | imagefolder DIR [SIZE]")
    if sys.argv[1] == "cifar10":
        n, s = cifar(sys.argv[2])
    else:
        n, s = folder(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 64)
    print("read\t%s\tdecode\t%d\t%.0f\timages/s" % (sys.argv[1], n, n / s))


if __name__ == "__main__":
    main()
