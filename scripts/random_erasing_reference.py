#!/usr/bin/env python3
"""timm's RandomErasing with its uniform draws pinned, for test/data/augment/random-erasing.test.ts.

Run:  /usr/bin/python3 scripts/random_erasing_reference.py [TIMM_DIR]   (TIMM_DIR defaults to /tmp/timm)
random.random/uniform/randint are replaced by one queue of fixed numbers in [0, 1) (uniform(a, b) =
a + (b - a)·u, randint(a, b) = a + ⌊u·(b − a + 1)⌋); the test feeds fundus-train the same numbers.
Writes test/data/augment/random-erasing-reference.json: which pixels each case erased (const mode).
"""
import json
import os
import sys

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "/tmp/timm")
import torch  # noqa: E402
from timm.data import random_erasing as re_mod  # noqa: E402

C, H, W = 3, 20, 24


def run(name, kw, queue):
    q = list(queue)
    used = []

    def u():
        v = q.pop(0)
        used.append(v)
        return v

    real = (re_mod.random.random, re_mod.random.uniform, re_mod.random.randint)
    re_mod.random.random = u
    re_mod.random.uniform = lambda a, b: a + (b - a) * u()
    re_mod.random.randint = lambda a, b: a + int(u() * (b - a + 1))
    try:
        x = torch.ones(C, H, W)
        re_mod.RandomErasing(device="cpu", mode="const", **kw)(x)
    finally:
        re_mod.random.random, re_mod.random.uniform, re_mod.random.randint = real
    erased = (x[0] == 0).flatten().nonzero().flatten().tolist()
    return dict(name=name, options=kw, draws=used, erased=erased)


cases = [
    run("one-box", dict(probability=0.5), [0.2, 0.6, 0.3, 0.4, 0.7]),
    run("skipped", dict(probability=0.25), [0.3]),
    # The first try is too tall for the image (aspect at the top of the range, area at the top): a second try fits.
    run("retry", dict(probability=1.0, min_area=0.2, max_area=0.6, min_aspect=0.1), [0.0, 0.99, 0.99, 0.1, 0.5, 0.9, 0.05]),
    run("three-boxes", dict(probability=1.0, min_count=1, max_count=3), [0.1, 0.9, 0.5, 0.5, 0.1, 0.2, 0.3, 0.9, 0.8, 0.6, 0.2, 0.7, 0.25, 0.5]),
]
out = dict(shape=[H, W], cases=cases)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "data", "augment", "random-erasing-reference.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path))
