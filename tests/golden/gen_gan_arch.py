#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen_gan_arch.py — golden values for the GAN architectures of plugins/gan
(tests/test_gan_arch.c) from PyTorch 1.13.

Writes tests/golden/gan_arch.bin (GLGD, glgd.py). For each case, a network
with the layer structure of /work/shared/bench/torch_ref.py (DCGAN28_G/D,
DCGAN32_G/D, MLP_G/D, ResG32/ResD32 with their ResBlockUp, ResBlockDown and
ResBlock), at small widths and sizes so that the file stays small, its
modules named as genlab names its parameters (so that a state_dict key is
a genlab name):

  <case>.param.<name>   every parameter and BatchNorm buffer, before any
                        forward (num_batches_tracked left out)
  <case>.y_train        the output of a training-mode forward (batch
                        statistics, running statistics updated), for the
                        cases without dropout
  <case>.dx             d sum(y * w) / d input through the first forward
                        (training mode when there is one, else eval)
  <case>.y_eval         the output of an eval-mode forward after it

Inputs and loss weights are not stored: both sides compute them, element i
of the row-major input being sin(0.37 i + 0.5) and of w cos(0.11 i).
Weights: PyTorch's default initialisation from torch.manual_seed(case
index), then every BatchNorm's weight, bias and running statistics drawn
at random so that none is the identity.

Two shortcuts of the ResNet run here in torch_ref.py's order (1x1 conv
after the upsampling; after the first discriminator block, pooling after
the 1x1 conv); genlab runs them in the cheaper order that is equal in exact
arithmetic, and this file is what shows that the results agree.

Run with the system python that has torch:  /usr/bin/python3 tests/golden/gen_gan_arch.py
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import glgd  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gan_arch.bin")
lrelu = 0.2


def ramp(n, a, b):
    return np.sin(a * np.arange(n, dtype=np.float64) + b).astype(np.float32)


def pattern(shape):
    """the input: sin(0.37 i + 0.5) over the row-major elements"""
    return torch.from_numpy(ramp(int(np.prod(shape)), 0.37, 0.5).reshape(shape))


def loss_weights(shape):
    """w: cos(0.11 i) = sin(0.11 i + pi/2)"""
    return torch.from_numpy(ramp(int(np.prod(shape)), 0.11, np.pi / 2).reshape(shape))


# ---- DCGAN28 (torch_ref.py DCGAN28_G / DCGAN28_D) ----

class DCGAN28_G(nn.Module):
    def __init__(self, nz, ngf, c):
        super().__init__()
        self.ngf = ngf
        self.fc = nn.Linear(nz, 4 * ngf * 7 * 7, bias=False)
        self.fc_bn = nn.BatchNorm1d(4 * ngf * 7 * 7)
        self.deconv1 = nn.ConvTranspose2d(4 * ngf, 2 * ngf, 5, 1, 2, bias=False)
        self.bn1 = nn.BatchNorm2d(2 * ngf)
        self.deconv2 = nn.ConvTranspose2d(2 * ngf, ngf, 4, 2, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(ngf)
        self.deconv3 = nn.ConvTranspose2d(ngf, c, 4, 2, 1, bias=False)

    def forward(self, z):
        h = F.leaky_relu(self.fc_bn(self.fc(z)), lrelu).view(-1, 4 * self.ngf, 7, 7)
        h = F.leaky_relu(self.bn1(self.deconv1(h)), lrelu)
        h = F.leaky_relu(self.bn2(self.deconv2(h)), lrelu)
        return torch.tanh(self.deconv3(h))


class DCGAN28_D(nn.Module):
    def __init__(self, ndf, c, p):
        super().__init__()
        self.conv1 = nn.Conv2d(c, ndf, 5, 2, 2)
        self.conv2 = nn.Conv2d(ndf, 2 * ndf, 5, 2, 2)
        self.fc = nn.Linear(2 * ndf * 7 * 7, 1)
        self.p = p

    def forward(self, x):
        h = F.dropout(F.leaky_relu(self.conv1(x), lrelu), self.p, self.training)
        h = F.dropout(F.leaky_relu(self.conv2(h), lrelu), self.p, self.training)
        return self.fc(h.flatten(1))


# ---- DCGAN32 (seed 002; torch_ref.py DCGAN32_G / DCGAN32_D) ----

class DCGAN32_G(nn.Module):
    def __init__(self, nz, ngf, c):
        super().__init__()
        chans = [nz, 16 * ngf, 8 * ngf, 4 * ngf, 2 * ngf]
        for i in range(4):
            k, s, p = (2, 1, 0) if i == 0 else (4, 2, 1)
            setattr(self, "deconv%d" % (i + 1), nn.ConvTranspose2d(chans[i], chans[i + 1], k, s, p, bias=False))
            setattr(self, "bn%d" % (i + 1), nn.BatchNorm2d(chans[i + 1]))
        self.deconv5 = nn.ConvTranspose2d(2 * ngf, c, 4, 2, 1, bias=False)

    def forward(self, z):
        h = z.view(z.size(0), -1, 1, 1)
        for i in range(1, 5):
            h = F.relu(getattr(self, "bn%d" % i)(getattr(self, "deconv%d" % i)(h)))
        return torch.tanh(self.deconv5(h))


class DCGAN32_D(nn.Module):
    """The seed's order: each conv, LeakyReLU, then BatchNorm (torch_ref.py
    puts the BatchNorm first; its model summary does not)."""
    def __init__(self, ndf, c):
        super().__init__()
        chans = [c, ndf, 2 * ndf, 4 * ndf, 8 * ndf]
        for i in range(4):
            setattr(self, "conv%d" % (i + 1), nn.Conv2d(chans[i], chans[i + 1], 5, 2, 2, bias=False))
            if i > 0:
                setattr(self, "bn%d" % (i + 1), nn.BatchNorm2d(chans[i + 1]))
        self.fc = nn.Linear(8 * ndf * 2 * 2, 1)   # 32x32 images

    def forward(self, x):
        h = x
        for i in range(1, 5):
            h = F.leaky_relu(getattr(self, "conv%d" % i)(h), lrelu)
            if i > 1:
                h = getattr(self, "bn%d" % i)(h)
        return self.fc(h.flatten(1))


# ---- MLP (torch_ref.py MLP_G / MLP_D) ----

class MLP_G(nn.Module):
    def __init__(self, nz, h, c):
        super().__init__()
        self.c = c
        self.fc1, self.fc2 = nn.Linear(nz, h), nn.Linear(h, 2 * h)
        self.fc3, self.fc4 = nn.Linear(2 * h, 4 * h), nn.Linear(4 * h, c * 28 * 28)

    def forward(self, z):
        h = F.leaky_relu(self.fc1(z), lrelu)
        h = F.leaky_relu(self.fc2(h), lrelu)
        h = F.leaky_relu(self.fc3(h), lrelu)
        return torch.tanh(self.fc4(h)).view(-1, self.c, 28, 28)


class MLP_D(nn.Module):
    def __init__(self, d, c, p):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(c * 28 * 28, d), nn.Linear(d, d // 2), nn.Linear(d // 2, 1)
        self.p = p

    def forward(self, x):
        h = F.dropout(F.leaky_relu(self.fc1(x.flatten(1)), lrelu), self.p, self.training)
        h = F.dropout(F.leaky_relu(self.fc2(h), lrelu), self.p, self.training)
        return self.fc3(h)


# ---- ResNet 32 (torch_ref.py ResBlockUp, ResBlockDown, ResBlock, ResG32, ResD32) ----

class ResBlockUp(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.sc = nn.Conv2d(cin, cout, 1, 1, 0)

    def forward(self, x):
        h = F.relu(self.bn1(x))
        h = F.interpolate(h, scale_factor=2, mode="nearest")
        h = self.conv1(h)
        h = self.conv2(F.relu(self.bn2(h)))
        s = self.sc(F.interpolate(x, scale_factor=2, mode="nearest"))
        return h + s


class ResBlockDown(nn.Module):
    def __init__(self, cin, cout, first=False):
        super().__init__()
        self.first = first
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.sc = nn.Conv2d(cin, cout, 1, 1, 0)

    def forward(self, x):
        h = x if self.first else F.relu(x)
        h = self.conv2(F.relu(self.conv1(h)))
        h = F.avg_pool2d(h, 2)
        if self.first:
            s = self.sc(F.avg_pool2d(x, 2))
        else:
            s = F.avg_pool2d(self.sc(x), 2)
        return h + s


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, 1, 1)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1)

    def forward(self, x):
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


class ResG32(nn.Module):
    """side0: the side of the first map, 4 in torch_ref.py (32x32 images)"""
    def __init__(self, nz, ch, c, side0):
        super().__init__()
        self.ch, self.side0 = ch, side0
        self.fc = nn.Linear(nz, ch * side0 * side0)
        self.up1, self.up2, self.up3 = ResBlockUp(ch, ch), ResBlockUp(ch, ch), ResBlockUp(ch, ch)
        self.bn = nn.BatchNorm2d(ch)
        self.out = nn.Conv2d(ch, c, 3, 1, 1)

    def forward(self, z):
        h = self.fc(z).view(-1, self.ch, self.side0, self.side0)
        h = self.up3(self.up2(self.up1(h)))
        return torch.tanh(self.out(F.relu(self.bn(h))))


class ResD32(nn.Module):
    def __init__(self, ch, c):
        super().__init__()
        self.down1 = ResBlockDown(c, ch, first=True)
        self.down2 = ResBlockDown(ch, ch)
        self.res1, self.res2 = ResBlock(ch), ResBlock(ch)
        self.fc = nn.Linear(ch, 1)

    def forward(self, x):
        h = self.res2(self.res1(self.down2(self.down1(x))))
        return self.fc(F.relu(h).sum(dim=(2, 3)))


# ---- cases: name, module, input shape, batch, training forward? ----
# Keep in step with the golden table of tests/test_gan_arch.c. Widths are
# small, and the images one-channel for dcgan32 and 16x16 for resnet32 (the
# arch takes both from the spec): the structure is what is compared.

def cases():
    yield "dcgan28_g", lambda: DCGAN28_G(8, 2, 1), (8,), 2, True
    yield "dcgan28_d", lambda: DCGAN28_D(2, 1, 0.3), (1, 28, 28), 2, False
    yield "dcgan32_g", lambda: DCGAN32_G(8, 1, 1), (8,), 2, True
    yield "dcgan32_d", lambda: DCGAN32_D(1, 1), (1, 32, 32), 2, True
    yield "mlp28_g", lambda: MLP_G(8, 1, 1), (8,), 2, True
    yield "mlp28_d", lambda: MLP_D(2, 1, 0.3), (1, 28, 28), 2, False
    yield "resnet32_g", lambda: ResG32(8, 4, 3, 2), (8,), 2, True
    yield "resnet32_d", lambda: ResD32(4, 3), (3, 16, 16), 2, True


def main():
    w = glgd.Writer(OUT)
    for index, (name, make, shape, n, train) in enumerate(cases()):
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
        x = pattern((n,) + shape).requires_grad_(True)
        m.train(train)
        y = m(x)
        (y * loss_weights(tuple(y.shape))).sum().backward()
        if train:
            w.add(name + ".y_train", y)
        w.add(name + ".dx", x.grad)
        m.eval()
        with torch.no_grad():
            w.add(name + ".y_eval", m(x))
    w.close()
    print("wrote %s (%d bytes)" % (OUT, os.path.getsize(OUT)))


if __name__ == "__main__":
    main()
