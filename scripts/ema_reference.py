#!/usr/bin/env python3
"""timm's ModelEmaV3 (and V2) over a recorded sequence of weights, for test/train/ema.test.ts.

Run:  /usr/bin/python3 scripts/ema_reference.py [TIMM_DIR]   (TIMM_DIR defaults to /tmp/timm)
Writes test/train/ema-reference.json: the weights after each step and the EMA after each update (float32).
"""
import json
import os
import sys

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "/tmp/timm")
import torch  # noqa: E402
from timm.utils.model_ema import ModelEmaV2, ModelEmaV3  # noqa: E402


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 2)
        self.bn = torch.nn.BatchNorm1d(2)


g = torch.Generator().manual_seed(7)
steps = 12
model = Tiny()
with torch.no_grad():
    for v in model.state_dict().values():
        if v.is_floating_point():
            v.copy_(torch.randn(v.shape, generator=g))
# The weights after each optimizer step: a random walk, buffers included.
sequence = []
for _ in range(steps):
    with torch.no_grad():
        for v in model.state_dict().values():
            if v.is_floating_point():
                v.add_(torch.randn(v.shape, generator=g) * 0.3)
    sequence.append({k: v.clone() for k, v in model.state_dict().items() if v.is_floating_point()})


def run(make, use_step):
    m = Tiny()
    m.load_state_dict({**model.state_dict(), **sequence[0]})
    with torch.no_grad():
        init = {k: v.clone() for k, v in sequence[0].items()}
    ema = make(m)
    out = []
    for step, weights in enumerate(sequence, start=1):
        m.load_state_dict(weights, strict=False)
        if use_step:
            ema.update(m, step=step)
        else:
            ema.update(m)
        out.append({k: v.flatten().tolist() for k, v in ema.module.state_dict().items() if v.is_floating_point()})
    return dict(initial={k: v.flatten().tolist() for k, v in init.items()}, emas=out)


cases = dict(
    v3=dict(options=dict(decay=0.9, warmup=False), **run(lambda m: ModelEmaV3(m, decay=0.9), True)),
    v3_warmup=dict(options=dict(decay=0.95, warmup=True, warmupGamma=1.0, warmupPower=0.75), **run(lambda m: ModelEmaV3(m, decay=0.95, use_warmup=True, warmup_power=0.75), True)),
    v3_after_step=dict(options=dict(decay=0.8, warmup=True, warmupGamma=2.0, warmupPower=2 / 3, minDecay=0.3, updateAfterStep=3), **run(lambda m: ModelEmaV3(m, decay=0.8, use_warmup=True, warmup_gamma=2.0, min_decay=0.3, update_after_step=3), True)),
)
# The EMA starts from the model as it was when the EMA was created: the first recorded weights.
out = dict(
    torch_version=torch.__version__,
    names=list(sequence[0].keys()),
    shapes={k: list(v.shape) for k, v in sequence[0].items()},
    weights=[{k: v.flatten().tolist() for k, v in w.items()} for w in sequence],
    cases=cases,
)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "train", "ema-reference.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path))
