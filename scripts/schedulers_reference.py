#!/usr/bin/env python3
"""Learning-rate sequences of timm's CosineLRScheduler and torch's StepLR, MultiStepLR and OneCycleLR.

Run with Debian's python3-torch and timm's source:  /usr/bin/python3 scripts/schedulers_reference.py [TIMM_DIR]
(TIMM_DIR defaults to /tmp/timm). Writes test/train/schedulers-reference.json; the tests never run Python.
"""
import json
import os
import sys
import warnings

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "/tmp/timm")
import torch  # noqa: E402
from timm.scheduler.cosine_lr import CosineLRScheduler  # noqa: E402

warnings.filterwarnings("ignore")


def optimizer(lr):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def cosine_case(name, lr, n, per_step, **kw):
    """lr of update/epoch t for t = 0..n-1, driven as timm's train.py drives it."""
    opt = optimizer(lr)
    sched = CosineLRScheduler(opt, t_in_epochs=not per_step, **kw)
    lrs = []
    for t in range(n):
        if t > 0:
            if per_step:
                sched.step_update(num_updates=t)
            else:
                sched.step(t)
        lrs.append(opt.param_groups[0]["lr"])
    return dict(name=name, lr=lr, per_step=per_step, options=kw, lrs=lrs)


cosine = [
    cosine_case("epoch-no-warmup", 1e-3, 12, False, t_initial=10, lr_min=1e-6),
    cosine_case("epoch-warmup", 5e-4, 30, False, t_initial=30, lr_min=1e-6, warmup_t=5, warmup_lr_init=1e-7),
    # RETFound: 50 epochs x 7 updates, 10 warm-up epochs from 0, half-cycle cosine to 1e-6.
    cosine_case("retfound-per-step", 5e-4 * 64 / 256, 350, True, t_initial=350, lr_min=1e-6, warmup_t=70, warmup_lr_init=0.0),
    cosine_case("step-warmup-prefix", 1e-2, 60, True, t_initial=40, lr_min=1e-5, warmup_t=13, warmup_lr_init=1e-4, warmup_prefix=True),
    cosine_case("restarts", 1e-2, 40, False, t_initial=8, lr_min=1e-4, cycle_limit=3, cycle_decay=0.5),
    cosine_case("restarts-mul", 3e-3, 80, True, t_initial=10, lr_min=0.0, cycle_limit=4, cycle_mul=2.0, cycle_decay=0.8, warmup_t=3, warmup_lr_init=1e-5),
]


def torch_case(name, lr, n, make, options):
    opt = optimizer(lr)
    sched = make(opt)
    lrs = []
    for t in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return dict(name=name, lr=lr, options=options, lrs=lrs)


lr_sched = torch.optim.lr_scheduler
step = [
    torch_case("steplr", 0.1, 25, lambda o: lr_sched.StepLR(o, step_size=7, gamma=0.3), dict(stepSize=7, gamma=0.3)),
    torch_case("multisteplr", 0.05, 30, lambda o: lr_sched.MultiStepLR(o, milestones=[5, 12, 12, 20], gamma=0.5), dict(milestones=[5, 12, 12, 20], gamma=0.5)),
]
onecycle = []
for name, kw in [
    ("cos", dict(pct_start=0.3, anneal_strategy="cos")),
    ("linear", dict(pct_start=0.25, anneal_strategy="linear", div_factor=10.0, final_div_factor=100.0)),
    ("three-phase", dict(pct_start=0.3, anneal_strategy="cos", three_phase=True)),
    ("three-phase-linear", dict(pct_start=0.2, anneal_strategy="linear", three_phase=True, div_factor=5.0)),
]:
    total = 47
    case = torch_case(name, 0.01, total, lambda o: lr_sched.OneCycleLR(o, max_lr=0.01, total_steps=total, cycle_momentum=False, **kw), dict(kw, total_steps=total, max_lr=0.01))
    onecycle.append(case)

out = dict(torch_version=torch.__version__, cosine=cosine, step=step, onecycle=onecycle)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "train", "schedulers-reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", os.path.normpath(path))
