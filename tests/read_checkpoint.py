#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""read_checkpoint.py — read a genlab checkpoint (safetensors layout) without genlab.

Standard library only (struct + json): a check that the files genlab writes
are what other tools expect, and a way to look into one on a machine without
genlab or the safetensors package. The file is validated by the rules
genlab's reader applies (libgenlab/checkpoint.c): header length within the
file and at most 100,000,000 bytes, a JSON object without duplicate keys,
each entry's dtype, shape and data_offsets, the tensors tiling the data, and
"__metadata__" an object of strings.

    read_checkpoint.py FILE              table of name, dtype, shape, bytes;
                                         then the metadata; problems on stderr
    read_checkpoint.py --check FILE      the same, exit status 1 on any problem
    read_checkpoint.py --dump NAME FILE  the values of the F32 tensor NAME,
                                         one per line

Exit status: 0, or 1 for a file that cannot be read at all, a problem under
--check, or a --dump of a tensor that is missing, not F32 or invalid.
"""
import argparse
import json
import struct
import sys

MAX_HEADER = 100_000_000
MAX_DIMS = 8
SIZE = {"F32": 4, "I32": 4, "U8": 1, "I64": 8, "U64": 8}
INT64_MAX = 2**63 - 1


class Bad(Exception):
    """A problem that stops reading the file."""


def no_duplicates(pairs):
    """object_pairs_hook: refuse a key twice (json keeps the last silently)."""
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise ValueError("the key %r appears twice" % k)
        seen.add(k)
    return dict(pairs)


def no_constant(name):
    """parse_constant: NaN and Infinity are not JSON (jansson refuses them)."""
    raise ValueError("%s is not JSON" % name)


def shape_str(shape):
    """(2, 3), as genlab's messages write a shape."""
    return "(%s)" % ", ".join(map(str, shape))


def is_count(v):
    """A non-negative integer as genlab's JSON reader takes it (int64)."""
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= INT64_MAX


def load(path):
    """(header dict, data bytes); raises Bad."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise Bad("cannot read the file: %s" % e.strerror)
    if len(raw) < 8:
        raise Bad("truncated: %d bytes, less than the 8-byte header length" % len(raw))
    (n,) = struct.unpack("<Q", raw[:8])
    if n > MAX_HEADER:
        raise Bad("header length %d is over the limit of %d bytes" % (n, MAX_HEADER))
    if n > len(raw) - 8:
        raise Bad("truncated: header says %d bytes but the file has %d after the length field"
                  % (n, len(raw) - 8))
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"), object_pairs_hook=no_duplicates,
                            parse_constant=no_constant)
    except (UnicodeDecodeError, ValueError) as e:
        raise Bad("header is not valid JSON: %s" % e)
    if not isinstance(header, dict):
        raise Bad("header is not a JSON object")
    return header, raw[8 + n:]


def validate(header, data):
    """(entries [(name, dtype, shape, begin, end)], metadata, problems)."""
    problems, entries, meta = [], [], {}
    for name, e in header.items():
        if name == "__metadata__":
            if not isinstance(e, dict):
                problems.append("__metadata__ is not a JSON object")
                continue
            for k, v in e.items():
                if not isinstance(v, str):
                    problems.append("__metadata__: the value of %r is not a string" % k)
            meta = e
            continue
        where = "tensor %r: " % name
        if not isinstance(e, dict):
            problems.append(where + "not a JSON object")
            continue
        dtype, shape, offs = e.get("dtype"), e.get("shape"), e.get("data_offsets")
        if dtype not in SIZE:
            problems.append(where + "dtype %r is not one of %s" % (dtype, ", ".join(SIZE)))
            continue
        if (not isinstance(shape, list) or len(shape) > MAX_DIMS
                or not all(is_count(d) for d in shape)):
            problems.append(where + "shape %r is not a list of at most %d non-negative integers"
                            % (shape, MAX_DIMS))
            continue
        if not (isinstance(offs, list) and len(offs) == 2 and all(is_count(o) for o in offs)):
            problems.append(where + "data_offsets %r is not [begin, end]" % (offs,))
            continue
        numel = 1
        for d in shape:
            numel *= d
        nbytes = numel * SIZE[dtype]
        if nbytes > 2**64 - 1:
            problems.append(where + "shape %s of %s is too large" % (shape_str(shape), dtype))
            continue
        b, end = offs
        if end < b or end - b != nbytes:
            problems.append(where + "data_offsets [%d, %d] do not match shape %s of %s (%d bytes)"
                            % (b, end, shape_str(shape), dtype, nbytes))
            continue
        if end > len(data):
            problems.append(where + "data_offsets [%d, %d] run past the %d bytes of data"
                            % (b, end, len(data)))
            continue
        entries.append((name, dtype, shape, b, end))
    if not problems:
        cursor, prev = 0, None
        for name, _, _, b, end in sorted(entries, key=lambda t: (t[3], t[4])):
            if b < cursor:
                problems.append("tensor %r overlaps tensor %r" % (name, prev))
            elif b > cursor:
                problems.append("data bytes [%d, %d] belong to no tensor" % (cursor, b))
            cursor, prev = end, name
        if cursor < len(data):
            problems.append("data bytes [%d, %d] after the last tensor belong to no tensor"
                            % (cursor, len(data)))
    return entries, meta, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--check", action="store_true", help="exit 1 on any problem")
    ap.add_argument("--dump", metavar="NAME", help="print the values of the F32 tensor NAME")
    args = ap.parse_args()
    try:
        header, data = load(args.file)
    except Bad as e:
        print("%s: %s" % (args.file, e), file=sys.stderr)
        return 1
    entries, meta, problems = validate(header, data)
    for p in problems:
        print("%s: %s" % (args.file, p), file=sys.stderr)

    if args.dump is not None:
        found = [t for t in entries if t[0] == args.dump]
        if not found or found[0][1] != "F32":
            print("%s: no valid F32 tensor %r" % (args.file, args.dump), file=sys.stderr)
            return 1
        _, _, _, b, end = found[0]
        for (v,) in struct.iter_unpack("<f", data[b:end]):
            print("%.9g" % v)
        return 1 if args.check and problems else 0

    width = max([len(t[0]) for t in entries] + [4])
    print("%-*s  %-5s  %-20s  %s" % (width, "name", "dtype", "shape", "bytes"))
    for name, dtype, shape, b, end in entries:
        print("%-*s  %-5s  %-20s  %d" % (width, name, dtype, shape_str(shape), end - b))
    print("metadata:")
    for k, v in meta.items():
        print("  %s = %s" % (k, v))
    return 1 if args.check and problems else 0


if __name__ == "__main__":
    sys.exit(main())
