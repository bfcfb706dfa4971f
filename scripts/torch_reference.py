#!/usr/bin/env python3
"""Reference values from PyTorch for the trainer's tests (schedulers, optimizers, losses).

Run with Debian's python3-torch:  /usr/bin/python3 scripts/torch_reference.py
Writes test/train/torch-reference.json; the tests read that file and never run Python.
"""
import json
import os

import torch

torch.set_default_dtype(torch.float64)
out = {"torch_version": torch.__version__}

# ReduceLROnPlateau: learning rate after each step for a metric sequence.
metrics_max = [0.60, 0.65, 0.65, 0.64, 0.66, 0.66, 0.66, 0.659, 0.70, 0.70, 0.70, 0.70, 0.70, 0.70, 0.70, 0.70]
metrics_min = [1.0, 0.9, 0.95, 0.91, 0.92, 0.85, 0.86, 0.87, 0.88, 0.84999, 0.849, 0.9, 0.9, 0.9, 0.9]
cases = [
    dict(name="max-rel", metrics=metrics_max, kw=dict(mode="max", factor=0.5, patience=2, threshold=1e-4, threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8)),
    dict(name="max-abs-cooldown", metrics=metrics_max, kw=dict(mode="max", factor=0.1, patience=1, threshold=0.01, threshold_mode="abs", cooldown=2, min_lr=0.0, eps=1e-8)),
    dict(name="min-rel-minlr", metrics=metrics_min, kw=dict(mode="min", factor=0.1, patience=1, threshold=1e-4, threshold_mode="rel", cooldown=0, min_lr=2e-4, eps=1e-8)),
    dict(name="min-abs-eps", metrics=metrics_min, kw=dict(mode="min", factor=0.9, patience=0, threshold=0.0, threshold_mode="abs", cooldown=0, min_lr=0.0, eps=1e-4)),
    dict(name="defaults", metrics=[1.0] * 25, kw=dict()),
]
plateau = []
for c in cases:
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.01)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **c["kw"])
    lrs = []
    for m in c["metrics"]:
        sched.step(m)
        lrs.append(opt.param_groups[0]["lr"])
    plateau.append(dict(name=c["name"], options=c["kw"], metrics=c["metrics"], lrs=lrs, initial_lr=0.01))
out["plateau"] = plateau

# Adam / AdamW: parameters after each of 5 steps with fixed gradients.
g = torch.Generator().manual_seed(0)
p0 = torch.randn(3, 4, generator=g)
grads = [torch.randn(3, 4, generator=g) for _ in range(5)]
optims = []
for name, cls, kw in [
    ("adam", torch.optim.Adam, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)),
    ("adam-l2", torch.optim.Adam, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)),
    ("adamw", torch.optim.AdamW, dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)),
    ("adamw-betas", torch.optim.AdamW, dict(lr=0.003, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.05)),
]:
    p = torch.nn.Parameter(p0.clone())
    opt = cls([p], **kw)
    steps = []
    for gr in grads:
        opt.zero_grad()
        p.grad = gr.clone()
        opt.step()
        steps.append(p.detach().flatten().tolist())
    optims.append(dict(name=name, options=dict(kw, betas=list(kw["betas"])), decoupled=cls is torch.optim.AdamW, steps=steps))
out["optimizers"] = dict(initial=p0.flatten().tolist(), shape=[3, 4], grads=[x.flatten().tolist() for x in grads], cases=optims)

# Losses.
logits = torch.randn(5, 3, generator=g) * 3
labels = torch.tensor([0, 2, 1, 2, 0])
onehot = torch.nn.functional.one_hot(labels, 3).double()
targets = (torch.rand(5, 3, generator=g) > 0.5).double()
out["losses"] = dict(
    logits=logits.flatten().tolist(),
    shape=[5, 3],
    labels=labels.tolist(),
    targets=targets.flatten().tolist(),
    ce=torch.nn.functional.cross_entropy(logits, labels).item(),
    ce_smooth_0_1=torch.nn.functional.cross_entropy(logits, labels, label_smoothing=0.1).item(),
    bce=torch.nn.functional.binary_cross_entropy_with_logits(logits, targets).item(),
    bce_onehot=torch.nn.functional.binary_cross_entropy_with_logits(logits, onehot).item(),
)

path = os.path.join(os.path.dirname(__file__), "..", "test", "train", "torch-reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", os.path.normpath(path))
