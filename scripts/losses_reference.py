#!/usr/bin/env python3
"""Reference values for the class-imbalance losses, the focal losses and gradient clipping.

Run with Debian's python3-torch, torchvision and scikit-learn:  /usr/bin/python3 scripts/losses_reference.py
Writes test/train/losses-reference.json (values and gradients with respect to the logits, float64).
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils.class_weight import compute_class_weight
from torchvision.ops import sigmoid_focal_loss

torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(12)
N, C = 9, 4
logits = torch.randn(N, C, generator=g) * 2.5
labels = torch.tensor([0, 0, 0, 0, 1, 1, 2, 3, 0])
flags = (torch.rand(N, C, generator=g) < torch.tensor([0.6, 0.2, 0.4, 0.1])).double()
flags[0, 3] = 1.0  # every label has a positive
onehot = F.one_hot(labels, C).double()


def value_and_grad(fn):
    z = logits.clone().requires_grad_(True)
    loss = fn(z)
    loss.backward()
    return dict(value=loss.item(), grad=z.grad.flatten().tolist())


class_weights = compute_class_weight("balanced", classes=np.arange(C), y=labels.numpy()).tolist()
pos = flags.sum(0)
pos_weight = ((N - pos) / pos).tolist()
w = torch.tensor(class_weights)
pw = torch.tensor(pos_weight)
alpha_c = torch.tensor([0.1, 0.4, 0.3, 0.2])


def softmax_focal(z, t, gamma, alpha):
    logp = F.log_softmax(z, 1)
    term = t * (1 - logp.exp()) ** gamma * logp
    if alpha is not None:
        term = term * alpha
    return -term.sum(1).mean()


def smooth(t, eps, k):
    return t * (1 - eps) + eps / k


cases = {
    "ce_weighted": value_and_grad(lambda z: F.cross_entropy(z, labels, weight=w)),
    "ce_weighted_smooth": value_and_grad(lambda z: F.cross_entropy(z, labels, weight=w, label_smoothing=0.1)),
    "bce_pos_weight": value_and_grad(lambda z: F.binary_cross_entropy_with_logits(z, flags, pos_weight=pw)),
    "bce_pos_weight_smooth": value_and_grad(lambda z: F.binary_cross_entropy_with_logits(z, smooth(flags, 0.1, 2), pos_weight=pw)),
    "sigmoid_focal": value_and_grad(lambda z: sigmoid_focal_loss(z, flags, alpha=0.25, gamma=2.0, reduction="mean")),
    "sigmoid_focal_no_alpha": value_and_grad(lambda z: sigmoid_focal_loss(z, flags, alpha=-1, gamma=1.5, reduction="mean")),
    "sigmoid_focal_smooth": value_and_grad(lambda z: sigmoid_focal_loss(z, smooth(flags, 0.1, 2), alpha=0.25, gamma=2.0, reduction="mean")),
    "softmax_focal": value_and_grad(lambda z: softmax_focal(z, onehot, 2.0, alpha_c)),
    "softmax_focal_gamma0": value_and_grad(lambda z: softmax_focal(z, onehot, 0.0, None)),
    "softmax_focal_smooth": value_and_grad(lambda z: softmax_focal(z, smooth(onehot, 0.1, C), 2.0, None)),
}
# Per-label alpha: torchvision's formula with a broadcast alpha vector (its code is elementwise).
z = logits.clone().requires_grad_(True)
p = torch.sigmoid(z)
ce = F.binary_cross_entropy_with_logits(z, flags, reduction="none")
p_t = p * flags + (1 - p) * (1 - flags)
loss = (ce * (1 - p_t) ** 2 * (alpha_c * flags + (1 - alpha_c) * (1 - flags))).mean()
loss.backward()
cases["sigmoid_focal_alpha_per_label"] = dict(value=loss.item(), grad=z.grad.flatten().tolist())

# Gradient clipping on three gradient tensors.
grads = [torch.randn(3, 4, generator=g), torch.randn(5, generator=g) * 3, torch.randn(2, 2, 2, generator=g)]


def clipped(fn):
    ps = [torch.nn.Parameter(torch.zeros_like(x)) for x in grads]
    for p_, x in zip(ps, grads):
        p_.grad = x.clone()
    total = fn(ps)
    return dict(total_norm=None if total is None else float(total), grads=[p_.grad.flatten().tolist() for p_ in ps])


clip = dict(
    shapes=[list(x.shape) for x in grads],
    grads=[x.flatten().tolist() for x in grads],
    norm_1=clipped(lambda ps: torch.nn.utils.clip_grad_norm_(ps, 1.0)),
    norm_100=clipped(lambda ps: torch.nn.utils.clip_grad_norm_(ps, 100.0)),
    value_0_5=clipped(lambda ps: torch.nn.utils.clip_grad_value_(ps, 0.5)),
)

out = dict(
    torch_version=torch.__version__,
    logits=logits.flatten().tolist(),
    shape=[N, C],
    labels=labels.tolist(),
    flags=flags.flatten().tolist(),
    class_weights=class_weights,
    pos_weight=pos_weight,
    alpha_per_class=alpha_c.tolist(),
    cases=cases,
    clip=clip,
)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "train", "losses-reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", os.path.normpath(path))
