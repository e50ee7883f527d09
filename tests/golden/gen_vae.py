#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen_vae.py — golden values for the VAE plugin (plugins/vae) from PyTorch
1.13, for tests/test_vae_arch.c and tests/test_vae_loss.c.

Writes tests/golden/vae.bin (GLGD, glgd.py), three groups of records.

Architectures (test_vae_arch.c). For each case, a network with the layer
structure of plugins/vae/arch_*.c (torch_ref.py's VAE28 and VAE64 for
vae-mlp28 and vae-conv64; seeds 000, 002, 004 for the others) at small
widths, its modules named as genlab names its parameters (so that a
state_dict key is a genlab name). The encoder's two heads fc_mu and
fc_logvar of the reference models are one Linear fc_stats of 2 z outputs
here, as in genlab (the same products and parameters, stacked), and the
decoder stops before its output activation (genlab's trainer applies it):
  <case>.param.<name>   every parameter and BatchNorm buffer, before any
                        forward (num_batches_tracked left out)
  <case>.y_train        a training-mode forward (batch statistics, running
                        statistics updated)
  <case>.dx             d sum(y * w) / d input through that forward
  <case>.y_eval         an eval-mode forward after it
Inputs and loss weights are not stored: both sides compute them, element i
of the row-major input being sin(0.37 i + 0.5) and of w cos(0.11 i).
Weights: PyTorch's default initialisation from torch.manual_seed(case
index), then every BatchNorm's weight, bias and running statistics drawn
at random so that none is the identity.

Losses (test_vae_loss.c). x (3, 1, 4, 5) in [0, 1] and a prediction p of
the same shape (the decoder's recon for mse and l1, its logits for bce):
  loss.x, loss.p
  loss.<name>_<reduction>.value   () the loss: F.mse_loss / F.l1_loss /
                                  F.binary_cross_entropy_with_logits with
                                  reduction "sum" divided by the batch
                                  (genlab's "sum": over pixels, mean over
                                  images) or "mean"
  loss.<name>_<reduction>.grad    d value / d p
computed in float64 from the float32 inputs, rounded once.

ELBO (test_vae_loss.c): a vae-mlp28 at hidden = 6, z = 3 on 1x4x4 images,
and a batch x (3, 1, 4, 4) in [-1, 1]:
  elbo.x, elbo.E.<name>, elbo.D.<name>   the batch and the weights
  elbo.<output>.kl       (3) KL(q(z|x) || N(0, I)) of each image in closed
                         form, -0.5 sum(1 + logvar - mu^2 - exp(logvar)),
                         for output sigmoid (encoder input (x + 1) / 2) and
                         tanh (x)
  elbo.<output>_<loss>.recon   (3) the loss of each image decoded from its
                         posterior mean: x in the decoder's pixel space
                         ((x + 1) / 2 for a sigmoid output, x for tanh),
                         summed over pixels: sigmoid_bce, tanh_mse,
                         sigmoid_l1
The trainer's anomaly scores are recon (vae.anomaly=recon) and recon + kl
(vae.anomaly=elbo): the negative ELBO at z = mean.

Run with the system python that has torch:  /usr/bin/python3 tests/golden/gen_vae.py
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import glgd  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vae.bin")


def ramp(n, a, b):
    return np.sin(a * np.arange(n, dtype=np.float64) + b).astype(np.float32)


def pattern(shape):
    """the input: sin(0.37 i + 0.5) over the row-major elements"""
    return torch.from_numpy(ramp(int(np.prod(shape)), 0.37, 0.5).reshape(shape))


def loss_weights(shape):
    """w: cos(0.11 i) = sin(0.11 i + pi/2)"""
    return torch.from_numpy(ramp(int(np.prod(shape)), 0.11, np.pi / 2).reshape(shape))


# ---- sequential networks, as genlab_seq runs them ----
# A layer: (op, name, cout, k, stride, pad, out_pad, norm, act) for
# "conv"/"deconv", (op, name, out, norm, act) for "linear", ("view", c, h, w).

class Seq(nn.Module):
    def __init__(self, shape, layers):
        """shape: the per-sample input, (c,) or (c, h, w)"""
        super().__init__()
        self.layers = layers
        c, h, w = (shape + (0, 0))[:3]
        for l in layers:
            if l[0] == "view":
                c, h, w = l[1:]
                continue
            if l[0] == "linear":
                _, name, out, norm, _ = l
                setattr(self, name, nn.Linear(c * (h * w if h else 1), out))
                c, h, w = out, 0, 0
                if norm:
                    setattr(self, norm, nn.BatchNorm1d(out))
                continue
            op, name, cout, k, st, p, op_, norm, _ = l
            if op == "conv":
                setattr(self, name, nn.Conv2d(c, cout, k, st, p))
                h, w = (h + 2 * p - k) // st + 1, (w + 2 * p - k) // st + 1
            else:
                setattr(self, name, nn.ConvTranspose2d(c, cout, k, st, p, output_padding=op_))
                h, w = (h - 1) * st - 2 * p + k + op_, (w - 1) * st - 2 * p + k + op_
            if norm:
                setattr(self, norm, nn.BatchNorm2d(cout))
            c = cout

    def forward(self, x):
        for l in self.layers:
            if l[0] == "view":
                x = x.view(x.shape[0], l[1], l[2], l[3])
                continue
            if l[0] == "linear":
                x = getattr(self, l[1])(x.flatten(1))
            else:
                x = getattr(self, l[1])(x)
            norm, act = l[-2], l[-1]
            if norm:
                x = getattr(self, norm)(x)
            if act == "relu":
                x = F.relu(x)
            elif act == "lrelu":
                x = F.leaky_relu(x, 0.2)
        return x


def conv(name, cout, k, s, p, norm=None, act=None):
    return ("conv", name, cout, k, s, p, 0, norm, act)


def deconv(name, cout, k, s, p, op=0, norm=None, act=None):
    return ("deconv", name, cout, k, s, p, op, norm, act)


def linear(name, out, act=None, norm=None):
    return ("linear", name, out, norm, act)


# ---- the archs of plugins/vae (keep in step with arch_mlp.c, arch_conv.c) ----

def mlp28(enc, z, c, h, w, hidden):
    if enc:
        return Seq((c, h, w), [linear("fc1", hidden, "relu"), linear("fc_stats", 2 * z)])
    return Seq((z,), [linear("fc1", hidden, "relu"), linear("fc2", c * h * w),
                      ("view", c, h, w)])


def conv28(enc, z, c, h, w, nf):
    if enc:
        return Seq((c, h, w), [conv("conv1", nf, 4, 2, 1, act="relu"),
                               conv("conv2", 2 * nf, 4, 2, 1, act="relu"),
                               linear("fc_stats", 2 * z)])
    return Seq((z,), [linear("fc", 2 * nf * (h // 4) * (w // 4), "relu"),
                      ("view", 2 * nf, h // 4, w // 4),
                      deconv("deconv1", nf, 4, 2, 1, act="relu"),
                      deconv("deconv2", nf, 4, 2, 1, act="relu"),
                      deconv("deconv3", c, 3, 1, 1)])


def conv32(enc, z, c, h, w, nf, hidden):
    if enc:
        return Seq((c, h, w), [conv("conv1", nf, 3, 2, 1, act="relu"),
                               conv("conv2", 2 * nf, 3, 2, 1, act="relu"),
                               conv("conv3", 4 * nf, 3, 2, 1, act="relu"),
                               conv("conv4", 8 * nf, 3, 2, 1, act="relu"),
                               linear("fc", hidden, "relu"), linear("fc_stats", 2 * z)])
    return Seq((z,), [linear("fc", 8 * nf * (h // 16) * (w // 16), "relu"),
                      ("view", 8 * nf, h // 16, w // 16),
                      deconv("deconv1", 2 * nf, 3, 2, 1, 1, act="relu"),
                      deconv("deconv2", nf, 3, 2, 1, 1, act="relu"),
                      deconv("deconv3", nf // 2, 3, 2, 1, 1, act="relu"),
                      deconv("deconv4", c, 3, 2, 1, 1, act="relu"),
                      deconv("deconv5", c, 3, 1, 1)])


def conv32_mse(enc, z, c, h, w, nf):
    if enc:
        return Seq((c, h, w), [conv("conv1", nf, 4, 2, 1, act="relu"),
                               conv("conv2", 2 * nf, 4, 2, 1, act="relu"),
                               conv("conv3", 4 * nf, 4, 2, 1, act="relu"),
                               linear("fc_stats", 2 * z)])
    return Seq((z,), [linear("fc", 4 * nf * (h // 8) * (w // 8), "relu"),
                      ("view", 4 * nf, h // 8, w // 8),
                      deconv("deconv1", 2 * nf, 4, 2, 1, act="relu"),
                      deconv("deconv2", nf, 4, 2, 1, act="relu"),
                      deconv("deconv3", c, 4, 2, 1)])


def conv64(enc, z, c, h, w, nf):
    """torch_ref.py VAE64's layers at width nf"""
    if enc:
        return Seq((c, h, w), [conv("conv1", nf, 4, 2, 1, act="lrelu"),
                               conv("conv2", 2 * nf, 4, 2, 1, "bn2", "lrelu"),
                               conv("conv3", 4 * nf, 4, 2, 1, "bn3", "lrelu"),
                               linear("fc_stats", 2 * z)])
    return Seq((z,), [linear("fc", 4 * nf * (h // 8) * (w // 8)),
                      ("view", 4 * nf, h // 8, w // 8),
                      deconv("deconv1", 2 * nf, 4, 2, 1, norm="bn1", act="relu"),
                      deconv("deconv2", nf, 4, 2, 1, norm="bn2", act="relu"),
                      deconv("deconv3", c, 4, 2, 1)])


# ---- arch cases: name, module, input shape ----
# Keep in step with the golden table of tests/test_vae_arch.c.

def arch_cases():
    yield "mlp28_e", lambda: mlp28(True, 3, 1, 28, 28, 5), (1, 28, 28)
    yield "mlp28_d", lambda: mlp28(False, 3, 1, 28, 28, 5), (3,)
    yield "conv28_e", lambda: conv28(True, 3, 1, 28, 28, 2), (1, 28, 28)
    yield "conv28_d", lambda: conv28(False, 3, 1, 28, 28, 2), (3,)
    yield "conv32_e", lambda: conv32(True, 3, 1, 32, 32, 2, 5), (1, 32, 32)
    yield "conv32_d", lambda: conv32(False, 3, 1, 32, 32, 2, 5), (3,)
    yield "conv32mse_e", lambda: conv32_mse(True, 3, 3, 16, 16, 2), (3, 16, 16)
    yield "conv32mse_d", lambda: conv32_mse(False, 3, 3, 16, 16, 2), (3,)
    yield "conv64_e", lambda: conv64(True, 3, 3, 16, 16, 2), (3, 16, 16)
    yield "conv64_d", lambda: conv64(False, 3, 3, 16, 16, 2), (3,)


def write_archs(w):
    for index, (name, make, shape) in enumerate(arch_cases()):
        torch.manual_seed(index)
        m = make()
        g = torch.Generator().manual_seed(1000 + index)
        with torch.no_grad():
            for mod in m.modules():
                if isinstance(mod, nn.modules.batchnorm._BatchNorm):
                    c = mod.num_features
                    mod.weight.copy_(1 + 0.3 * torch.randn(c, generator=g))
                    mod.bias.copy_(0.2 * torch.randn(c, generator=g))
                    mod.running_mean.copy_(0.1 * torch.randn(c, generator=g))
                    mod.running_var.copy_(0.5 + torch.rand(c, generator=g))
        for key, t in m.state_dict().items():
            if not key.endswith("num_batches_tracked"):
                w.add("%s.param.%s" % (name, key), t)
        x = pattern((2,) + shape).requires_grad_(True)
        m.train()
        y = m(x)
        (y * loss_weights(tuple(y.shape))).sum().backward()
        w.add(name + ".y_train", y)
        w.add(name + ".dx", x.grad)
        m.eval()
        with torch.no_grad():
            w.add(name + ".y_eval", m(x))


# ---- losses ----

def f32(t):
    """round to float32 (what the file stores), computed with in float64"""
    return t.float().double()


LOSSES = {
    "mse": lambda p, x, red: F.mse_loss(p, x, reduction=red),
    "l1": lambda p, x, red: F.l1_loss(p, x, reduction=red),
    "bce": lambda p, x, red: F.binary_cross_entropy_with_logits(p, x, reduction=red),
}


def write_losses(w):
    g = torch.Generator().manual_seed(20240617)
    x = f32(torch.rand(3, 1, 4, 5, generator=g))
    p = f32(torch.randn(3, 1, 4, 5, generator=g) * 1.5)
    w.add("loss.x", x)
    w.add("loss.p", p)
    for name, fn in LOSSES.items():
        for red in ("sum", "mean"):
            q = p.clone().requires_grad_(True)
            v = fn(q, x, red) / (x.shape[0] if red == "sum" else 1)
            v.backward()
            w.add("loss.%s_%s.value" % (name, red), v.reshape(1))
            w.add("loss.%s_%s.grad" % (name, red), q.grad)


# ---- ELBO ----

def write_elbo(w):
    torch.manual_seed(4242)
    enc, dec = mlp28(True, 3, 1, 4, 4, 6), mlp28(False, 3, 1, 4, 4, 6)
    enc.double(), dec.double()
    with torch.no_grad():   # larger than the default, so that the terms differ clearly
        for p in list(enc.parameters()) + list(dec.parameters()):
            p.mul_(3.0)
    g = torch.Generator().manual_seed(777)
    x = f32(torch.rand(3, 1, 4, 4, generator=g) * 2 - 1)
    w.add("elbo.x", x)
    for key, t in enc.state_dict().items():
        w.add("elbo.E." + key, f32(t))
    for key, t in dec.state_dict().items():
        w.add("elbo.D." + key, f32(t))
    enc.load_state_dict({k: f32(v) for k, v in enc.state_dict().items()})
    dec.load_state_dict({k: f32(v) for k, v in dec.state_dict().items()})
    for output, loss in (("sigmoid", "bce"), ("tanh", "mse"), ("sigmoid", "l1")):
        xm = (x + 1) / 2 if output == "sigmoid" else x
        stats = enc(xm)
        mu, logvar = stats[:, :3], stats[:, 3:]
        logits = dec(mu)
        recon = torch.sigmoid(logits) if output == "sigmoid" else torch.tanh(logits)
        if loss == "bce":
            r = F.binary_cross_entropy_with_logits(logits, xm, reduction="none")
        elif loss == "mse":
            r = F.mse_loss(recon, xm, reduction="none")
        else:
            r = F.l1_loss(recon, xm, reduction="none")
        w.add("elbo.%s_%s.recon" % (output, loss), r.flatten(1).sum(1))
        if loss != "l1":   # l1 shares the sigmoid's encoder input with bce
            kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)
            w.add("elbo.%s.kl" % output, kl)


def main():
    w = glgd.Writer(OUT)
    write_archs(w)
    write_losses(w)
    write_elbo(w)
    w.close()
    print("wrote %s (%d bytes)" % (OUT, os.path.getsize(OUT)))


if __name__ == "__main__":
    main()
