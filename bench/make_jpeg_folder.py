#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# make_jpeg_folder.py — a folder of photo-sized JPEGs for bench_data: the
# images of a CIFAR-10 binary batch, upscaled (bicubic) to 178 x 218 (the
# size of CelebA's aligned faces) and saved at quality 90 in one
# sub-folder per class, as a photo dataset would come.
#
#   /usr/bin/python3 bench/make_jpeg_folder.py CIFAR_BATCH.bin OUT_DIR [N]
#
# Needs Pillow and numpy (Debian: python3-pil python3-numpy).
import os
import sys

import numpy as np
from PIL import Image

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
           "truck"]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__ if __doc__ else "usage: make_jpeg_folder.py BATCH.bin OUT_DIR [N]")
    src, out = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) == 4 else 2000
    raw = np.fromfile(src, dtype=np.uint8).reshape(-1, 3073)[:n]
    for i, rec in enumerate(raw):
        img = Image.fromarray(rec[1:].reshape(3, 32, 32).transpose(1, 2, 0))
        img = img.resize((178, 218), Image.BICUBIC)
        d = os.path.join(out, CLASSES[rec[0]])
        os.makedirs(d, exist_ok=True)
        img.save(os.path.join(d, "%05d.jpg" % i), quality=90)
    print("%d JPEGs of 178x218 in %s" % (len(raw), out))


if __name__ == "__main__":
    main()
