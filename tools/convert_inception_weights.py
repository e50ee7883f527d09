#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Convert pytorch-fid's FID Inception weights to the safetensors file that
genlab's Inception extractor reads (genlab score/fid/stats --metric fid).

Download the weights pytorch-fid uses (its FID_WEIGHTS_URL):

  https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth

then run, with a Python that has PyTorch:

  python3 tools/convert_inception_weights.py pt_inception-2015-12-05-6726825d.pth inception-fid.safetensors

The output holds the same tensors under the same names (pytorch-fid's
state_dict: Conv2d_1a_3x3.conv.weight, ..., fc.bias), float32,
little-endian, without the BatchNorm num_batches_tracked counters; genlab
checks every name and shape when it opens the file and records the
output's SHA-256 with every score. The metadata names the source file and
its SHA-256.
"""
import argparse
import hashlib
import json
import os
import struct
import sys
import tempfile

EXPECTED_TENSORS = 472           # 94 BasicConv2d x 5 + fc weight and bias
SOURCE_HASH_PREFIX = "6726825d"  # the SHA-256 prefix in pytorch-fid's file name
CHECKS = {                       # a few shapes that tell this network from others
    "Conv2d_1a_3x3.conv.weight": (32, 3, 3, 3),
    "Mixed_7c.branch_pool.conv.weight": (192, 2048, 1, 1),
    "fc.weight": (1008, 2048),
    "fc.bias": (1008,),
}


class ConvertError(Exception):
    pass


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_state_dict(path):
    try:
        import torch
    except ImportError:
        raise ConvertError("this converter needs PyTorch (pip install torch, or Debian's "
                           "python3-torch)")
    try:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except TypeError:  # PyTorch before 1.13 has no weights_only
            obj = torch.load(path, map_location="cpu")
    except Exception as e:  # pickle, zip and torch errors alike
        raise ConvertError("%s: cannot be read as a PyTorch file: %s" % (path, e))
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise ConvertError("%s: holds a %s, not a state_dict" % (path, type(obj).__name__))
    state = {}
    for name, t in obj.items():
        if not isinstance(name, str) or not torch.is_tensor(t):
            raise ConvertError("%s: entry %r is not a named tensor" % (path, name))
        if name.endswith("num_batches_tracked"):
            continue
        if t.dtype != torch.float32:
            raise ConvertError("%s: tensor %s is %s, not float32" % (path, name, t.dtype))
        state[name] = t.detach().contiguous()
    return state


def check(path, state):
    if any(name.startswith("AuxLogits.") for name in state):
        raise ConvertError("%s: has AuxLogits: this is torchvision's ImageNet Inception, not "
                           "pytorch-fid's FID Inception (pt_inception-2015-12-05-*.pth)" % path)
    for name, shape in CHECKS.items():
        if name not in state:
            raise ConvertError("%s: no tensor %s: not pytorch-fid's FID Inception weights"
                               % (path, name))
        if tuple(state[name].shape) != shape:
            raise ConvertError("%s: tensor %s has shape %s, the FID Inception's is %s"
                               % (path, name, tuple(state[name].shape), shape))
    if len(state) != EXPECTED_TENSORS:
        raise ConvertError("%s: %d tensors (num_batches_tracked left out), the FID Inception "
                           "has %d" % (path, len(state), EXPECTED_TENSORS))


def write_safetensors(out, state, metadata):
    """safetensors: u64 header length, JSON header (space-padded to a
    multiple of 8), then the tensors' bytes in header order"""
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, t in state.items():
        data = t.numpy().astype("<f4", copy=False).tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    directory = os.path.dirname(os.path.abspath(out))
    fd, tmp = tempfile.mkstemp(prefix=".convert-", dir=directory)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)   # mkstemp's 0600 is for secrets
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for data in blobs:
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="pytorch-fid's pt_inception-2015-12-05-6726825d.pth")
    ap.add_argument("output", help="the safetensors file to write")
    ap.add_argument("--force", action="store_true", help="overwrite output if it exists")
    args = ap.parse_args(argv)
    try:
        if not os.path.isfile(args.input):
            raise ConvertError("%s: no such file (download it from pytorch-fid's "
                               "FID_WEIGHTS_URL, see --help)" % args.input)
        if os.path.exists(args.output) and not args.force:
            raise ConvertError("%s exists (--force overwrites it)" % args.output)
        source_sha = sha256_of(args.input)
        state = load_state_dict(args.input)
        check(args.input, state)
        write_safetensors(args.output, state, {
            "source": os.path.basename(args.input),
            "source_sha256": source_sha,
            "converter": "genlab tools/convert_inception_weights.py",
        })
    except (ConvertError, OSError) as e:
        print("convert_inception_weights: %s" % e, file=sys.stderr)
        return 1
    if not source_sha.startswith(SOURCE_HASH_PREFIX):
        print("convert_inception_weights: warning: %s has SHA-256 %s, pytorch-fid's file starts "
              "with %s: scores will not be comparable with pytorch-fid's"
              % (args.input, source_sha, SOURCE_HASH_PREFIX), file=sys.stderr)
    n = sum(t.numel() for t in state.values())
    print("%s: %d tensors, %d values; SHA-256 %s (genlab records this with every score)"
          % (args.output, len(state), n, sha256_of(args.output)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
