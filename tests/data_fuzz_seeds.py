#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# data_fuzz_seeds.py — writes the seed corpora of fuzz/fuzz_idx.c and
# fuzz/fuzz_cifar.c (fuzz/corpus/idx/, fuzz/corpus/cifar/): tiny valid
# files, raw and gzip-compressed (gzip with mtime 0, so reruns give the
# same bytes), and a few near-valid ones. Run from the source tree's root:
#     python3 tests/data_fuzz_seeds.py
import gzip
import os
import struct


def gz(data):
    return gzip.compress(data, mtime=0)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def idx_images(n, rows, cols):
    pixels = bytes((i * 37 + 1) & 255 for i in range(n * rows * cols))
    return struct.pack(">IIII", 0x803, n, rows, cols) + pixels


def idx_labels(labels):
    return struct.pack(">II", 0x801, len(labels)) + bytes(labels)


def cifar(labels_per_record):
    out = b""
    for r, labels in enumerate(labels_per_record):
        out += bytes(labels) + bytes((r * 29 + k * 7) & 255 for k in range(3072))
    return out


seeds = {
    "idx/images.idx": idx_images(3, 2, 4),
    "idx/images.idx.gz": gz(idx_images(3, 2, 4)),
    "idx/labels.idx": idx_labels([3, 1, 4, 1, 5]),
    "idx/labels.idx.gz": gz(idx_labels([3, 1, 4, 1, 5])),
    "idx/members.gz": gz(idx_labels([9])[:6]) + gz(idx_labels([9])[6:]),
    "idx/short.idx": idx_images(3, 2, 4)[:20],
    "cifar/c10.bin": cifar([[3], [5]]),
    "cifar/c10.bin.gz": gz(cifar([[3], [5], [0]])),
    "cifar/c100.bin": cifar([[4, 51], [19, 99]]),
    "cifar/c10_odd.bin": cifar([[3]])[:1000],
}

for name, data in seeds.items():
    write(os.path.join("fuzz", "corpus", name), data)
