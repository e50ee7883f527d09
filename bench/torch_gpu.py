#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""PyTorch eager on the GPU: the reference for bench_gan --backend cuda.

The models and the iteration are ../shared/bench/torch_ref.py's (dcgan64:
one D step and one G step, BCE, Adam(2e-4, 0.5, 0.999); resnet32_wgangp:
5 critic steps with the gradient penalty's double backward, then one G
step, Adam(2e-4, 0.0, 0.9)), rebuilt here on the GPU: random data, random
init (torch.manual_seed(0)); only speed and memory are meaningful.

Each iteration is timed to torch.cuda.synchronize(), as bench_gan times a
step to its synchronisation. TF32 is off in cuBLAS and cuDNN unless --tf32
(genlab's CUDA backend keeps it off unless GENLAB_CUDA_TF32=1), and
cudnn.benchmark is on (genlab measures its cuDNN algorithms once per shape
too). Prints one line per model, the figures bench_gan prints:
  torch  MODEL  ms/iter (median)  images/s  MiB peak device  batch  device  precision

unet32_ddpm is torch_ref.py's UNet32 and iteration itself (eps-prediction
MSE at random t of the linear schedule, Adam 1e-4), loaded from --ref and
run with CUDA as the default device (its timestep embedding makes tensors
without naming a device).

--amp bf16 runs each iteration inside torch.autocast("cuda", torch.bfloat16),
the reference for bench_gan --precision bf16: bfloat16 has float32's range,
so PyTorch's recipe needs no GradScaler and the iterations run unchanged
(torch_ref.py's UNet step included). f16 would need GradScaler calls inside
each iteration, so it is not offered.

Not here: the CPU reference (torch_ref.py).
"""
import importlib.util
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DEV = torch.device("cuda")


# ---- dcgan64 (torch_ref.py's DCGAN64_G / DCGAN64_D) ----
class DCGAN64_G(nn.Module):
    def __init__(self, nz=100, ngf=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, 3, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.net(z.view(z.size(0), -1, 1, 1))


class DCGAN64_D(nn.Module):
    def __init__(self, ndf=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False))

    def forward(self, x):
        return self.net(x).view(-1)


# ---- resnet32 WGAN-GP (torch_ref.py's ResG32 / ResD32) ----
class ResBlockUp(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.bn1, self.c1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 3, 1, 1)
        self.bn2, self.c2 = nn.BatchNorm2d(cout), nn.Conv2d(cout, cout, 3, 1, 1)
        self.sc = nn.Conv2d(cin, cout, 1, 1, 0)

    def forward(self, x):
        h = F.interpolate(F.relu(self.bn1(x)), scale_factor=2, mode="nearest")
        h = self.c2(F.relu(self.bn2(self.c1(h))))
        return h + self.sc(F.interpolate(x, scale_factor=2, mode="nearest"))


class ResBlockDown(nn.Module):
    def __init__(self, cin, cout, first=False):
        super().__init__()
        self.first = first
        self.c1, self.c2 = nn.Conv2d(cin, cout, 3, 1, 1), nn.Conv2d(cout, cout, 3, 1, 1)
        self.sc = nn.Conv2d(cin, cout, 1, 1, 0)

    def forward(self, x):
        h = x if self.first else F.relu(x)
        h = F.avg_pool2d(self.c2(F.relu(self.c1(h))), 2)
        s = self.sc(F.avg_pool2d(x, 2)) if self.first else F.avg_pool2d(self.sc(x), 2)
        return h + s


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(c, c, 3, 1, 1), nn.Conv2d(c, c, 3, 1, 1)

    def forward(self, x):
        return x + self.c2(F.relu(self.c1(F.relu(x))))


class ResG32(nn.Module):
    def __init__(self, nz=128, ch=128):
        super().__init__()
        self.ch = ch
        self.fc = nn.Linear(nz, ch * 4 * 4)
        self.b1, self.b2, self.b3 = ResBlockUp(ch, ch), ResBlockUp(ch, ch), ResBlockUp(ch, ch)
        self.bn, self.out = nn.BatchNorm2d(ch), nn.Conv2d(ch, 3, 3, 1, 1)

    def forward(self, z):
        h = self.b3(self.b2(self.b1(self.fc(z).view(-1, self.ch, 4, 4))))
        return torch.tanh(self.out(F.relu(self.bn(h))))


class ResD32(nn.Module):
    def __init__(self, ch=128):
        super().__init__()
        self.b1, self.b2 = ResBlockDown(3, ch, first=True), ResBlockDown(ch, ch)
        self.b3, self.b4 = ResBlock(ch), ResBlock(ch)
        self.fc = nn.Linear(ch, 1)

    def forward(self, x):
        h = F.relu(self.b4(self.b3(self.b2(self.b1(x))))).sum(dim=(2, 3))
        return self.fc(h).view(-1)


# ---- the iterations (torch_ref.py's make_gan / make_wgangp) ----
def adam(m, betas):
    return torch.optim.Adam(m.parameters(), lr=2e-4, betas=betas)


def make_dcgan64(B):
    G, D = DCGAN64_G().to(DEV), DCGAN64_D().to(DEV)
    oG, oD = adam(G, (0.5, 0.999)), adam(D, (0.5, 0.999))
    real = torch.rand(B, 3, 64, 64, device=DEV) * 2 - 1
    ones, zeros = torch.ones(B, device=DEV), torch.zeros(B, device=DEV)
    crit = nn.BCEWithLogitsLoss()

    def step():
        fake = G(torch.randn(B, 100, device=DEV))
        oD.zero_grad(set_to_none=True)
        lossD = crit(D(real), ones) + crit(D(fake.detach()), zeros)
        lossD.backward()
        oD.step()
        oG.zero_grad(set_to_none=True)
        lossG = crit(D(fake), ones)
        lossG.backward()
        oG.step()
        return lossD.item() + lossG.item()
    return step


def make_wgangp(B, n_critic=5, lam=10.0):
    G, D = ResG32().to(DEV), ResD32().to(DEV)
    oG, oD = adam(G, (0.0, 0.9)), adam(D, (0.0, 0.9))
    reals = [torch.rand(B, 3, 32, 32, device=DEV) * 2 - 1 for _ in range(n_critic)]

    def step():
        for k in range(n_critic):
            real = reals[k]
            with torch.no_grad():
                fake = G(torch.randn(B, 128, device=DEV))
            oD.zero_grad(set_to_none=True)
            eps = torch.rand(B, 1, 1, 1, device=DEV)
            xi = (eps * real + (1 - eps) * fake).requires_grad_(True)
            g, = torch.autograd.grad(D(xi).sum(), xi, create_graph=True)
            gp = ((g.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
            lossD = D(fake).mean() - D(real).mean() + lam * gp
            lossD.backward()
            oD.step()
        oG.zero_grad(set_to_none=True)
        lossG = -D(G(torch.randn(B, 128, device=DEV))).mean()
        lossG.backward()
        oG.step()
        return lossD.item() + lossG.item()
    return step


# ---- unet32_ddpm (torch_ref.py's own model and step) ----
REF = "../shared/bench/torch_ref.py"


def make_unet(B, ref_path=REF):
    spec = importlib.util.spec_from_file_location("torch_ref", ref_path)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    torch.set_default_device(DEV)
    step, _, _ = ref.make_unet(B)
    return step


MODELS = {"dcgan64": make_dcgan64, "resnet32_wgangp": make_wgangp, "unet32_ddpm": make_unet}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="+", choices=sorted(MODELS))
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--tf32", action="store_true", help="allow TF32 in cuBLAS and cuDNN")
    ap.add_argument("--amp", choices=["bf16"], help="autocast each iteration to this type")
    ap.add_argument("--ref", default=REF, help="torch_ref.py, for unet32_ddpm (default %(default)s)")
    a = ap.parse_args()
    MODELS["unet32_ddpm"] = lambda B: make_unet(B, a.ref)
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.allow_tf32 = a.tf32
    torch.backends.cudnn.benchmark = True
    name = torch.cuda.get_device_name(0)
    for model in a.models:
        torch.manual_seed(0)
        torch.cuda.reset_peak_memory_stats()
        step = MODELS[model](a.batch)
        if a.amp:
            def fn(step=step):
                with torch.autocast("cuda", dtype=torch.bfloat16):
                    return step()
        else:
            fn = step
        for _ in range(a.warmup):
            fn()
        torch.cuda.synchronize()
        ts = []
        for _ in range(a.steps):
            t0 = time.perf_counter()
            fn()
            torch.cuda.synchronize()
            ts.append((time.perf_counter() - t0) * 1e3)
        med = statistics.median(ts)
        peak = torch.cuda.max_memory_reserved() / 2**20
        print(f"torch\t{model}\t{med:.1f}\tms/iter\t{a.batch * 1e3 / med:.1f}\timages/s\t"
              f"{peak:.0f}\tMiB peak device\tbatch {a.batch}\t{name}\t{a.amp or 'fp32'}",
              flush=True)


if __name__ == "__main__":
    main()
