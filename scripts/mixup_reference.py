#!/usr/bin/env python3
"""timm's Mixup/CutMix on fixed batches with the random draws pinned, for test/data/mixup.test.ts.

Run:  /usr/bin/python3 scripts/mixup_reference.py [TIMM_DIR]   (TIMM_DIR defaults to /tmp/timm)
numpy's random functions are replaced by queues of fixed values, so every λ and box is known; the
test gives the same λ and boxes to fundus-train's mixing and compares images and soft targets.
Writes test/data/mixup-reference.json (images NHWC float32).
"""
import json
import os
import sys

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "/tmp/timm")
import numpy as np  # noqa: E402
import torch  # noqa: E402
from timm.data import mixup as timm_mixup  # noqa: E402

N, C, H, W, K = 4, 3, 8, 10, 3
g = torch.Generator().manual_seed(3)
x0 = torch.randn(N, C, H, W, generator=g)
labels = torch.tensor([0, 2, 1, 2])


class Pinned:
    """Stands in for np.random: each function returns its next queued value."""

    def __init__(self, rand=(), beta=(), randint=()):
        self.q = dict(rand=list(rand), beta=list(beta), randint=list(randint))
        self.used = dict(rand=[], beta=[], randint=[])

    def _pop(self, name, size):
        v = self.q[name].pop(0)
        self.used[name].append(v)
        return np.asarray(v, dtype=np.float64) if size is not None else v

    def rand(self, *size):
        return self._pop("rand", size[0] if size else None)

    def beta(self, a, b, size=None):
        return self._pop("beta", size)

    def randint(self, lo, hi, size=None):
        v = self._pop("randint", size)
        assert lo <= v < hi, (lo, v, hi)
        return v


def run(name, kw, pinned):
    real = timm_mixup.np.random
    timm_mixup.np.random = pinned
    try:
        m = timm_mixup.Mixup(num_classes=K, **kw)
        x = x0.clone()
        x, target = m(x, labels.clone())
    finally:
        timm_mixup.np.random = real
    return dict(name=name, options=kw, draws=pinned.used, x=x.permute(0, 2, 3, 1).flatten().tolist(), target=target.flatten().tolist())


cases = [
    run("batch-mixup", dict(mixup_alpha=1.0, label_smoothing=0.1), Pinned(rand=[0.2], beta=[0.3])),
    run("batch-cutmix-clipped", dict(mixup_alpha=0.0, cutmix_alpha=1.0, label_smoothing=0.0), Pinned(rand=[0.5], beta=[0.4], randint=[1, 8])),
    run("batch-cutmix-uncorrected", dict(mixup_alpha=0.0, cutmix_alpha=1.0, correct_lam=False), Pinned(rand=[0.5], beta=[0.4], randint=[1, 8])),
    run("batch-minmax", dict(mixup_alpha=0.0, cutmix_minmax=[0.2, 0.8], label_smoothing=0.05), Pinned(rand=[0.1], beta=[0.5], randint=[4, 3, 2, 6])),
    # elem: switch draws (cutmix for image 3), λ per image, then the prob draws (image 1 not mixed).
    run("elem-mixed", dict(mixup_alpha=0.8, cutmix_alpha=1.0, prob=0.7, label_smoothing=0.1, mode="elem"),
        Pinned(rand=[[0.9, 0.8, 0.6, 0.1], [0.1, 0.95, 0.3, 0.2]], beta=[[0.5, 0.5, 0.5, 0.55], [0.2, 0.4, 0.7, 0.45]], randint=[4, 5])),
    run("pair", dict(mixup_alpha=0.8, cutmix_alpha=1.0, mode="pair"),
        Pinned(rand=[[0.9, 0.2], [0.3, 0.4]], beta=[[0.5, 0.35], [0.25, 0.5]], randint=[6, 2])),
]
out = dict(shape=[N, H, W, C], classes=K, x=x0.permute(0, 2, 3, 1).flatten().tolist(), labels=labels.tolist(), cases=cases)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "data", "mixup-reference.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path))
