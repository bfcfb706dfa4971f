#!/usr/bin/env python3
"""Each RandAugment op of timm at fixed arguments on one small image, rendered by timm's own op
functions (which call Pillow), for test/data/augment/rand-augment.test.ts.

Run with Debian's Pillow and numpy:  /usr/bin/python3 scripts/randaugment_reference.py [TIMM_DIR]
(TIMM_DIR defaults to /tmp/timm). Writes test/data/augment/randaugment-reference.json: the input image
(base64 RGB), timm's op arguments at magnitude 9 (signs pinned), and per op the SHA-256 of the output bytes.
"""
import base64
import hashlib
import json
import os
import random
import sys

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else "/tmp/timm")
import numpy as np  # noqa: E402
import PIL  # noqa: E402
from PIL import Image  # noqa: E402
from timm.data import auto_augment as aa  # noqa: E402

W, H = 36, 28
rng = np.random.default_rng(5)
yy, xx = np.mgrid[0:H, 0:W]
# A fundus-like picture: a bright disc with a colour gradient and noise on a dark surround.
disc = ((xx + 0.5 - W / 2) ** 2 + (yy + 0.5 - H / 2) ** 2) < (0.45 * H) ** 2
base = np.stack([150 + 60 * xx / W, 70 + 50 * yy / H, 30 + 20 * (xx + yy) / (W + H)], -1)
img = np.where(disc[..., None], base + rng.normal(0, 12, (H, W, 3)), 8 + rng.normal(0, 3, (H, W, 3)))
img = np.clip(np.round(img), 0, 255).astype(np.uint8)
pil = Image.fromarray(img, "RGB")
FILL = (124, 116, 104)
hparams = dict(translate_const=100, img_mean=FILL)


def level(name, m, negative):
    """timm's argument for op `name` at magnitude m, with _randomly_negate pinned."""
    real = aa.random.random
    aa.random.random = (lambda: 0.9) if negative else (lambda: 0.1)
    try:
        fn = aa.LEVEL_TO_ARG[name]
        return None if fn is None else fn(m, hparams)[0]
    finally:
        aa.random.random = real


INTERP = dict(bilinear=Image.BILINEAR, bicubic=Image.BICUBIC)
cases = []


def render(name, arg, interpolation=None):
    kwargs = dict(fillcolor=FILL, resample=INTERP[interpolation]) if interpolation else dict(fillcolor=FILL, resample=Image.BICUBIC)
    fn = aa.NAME_TO_OP[name]
    out = fn(pil, *([] if arg is None else [arg]), **kwargs)
    data = np.asarray(out.convert("RGB"), dtype=np.uint8).tobytes()
    cases.append(dict(op=name, arg=arg, interpolation=interpolation, sha256=hashlib.sha256(data).hexdigest()))


M = 9
arguments = {}
for name in aa._RAND_TRANSFORMS + aa._RAND_INCREASING_TRANSFORMS + ["PosterizeOriginal"]:
    for negative in (False, True):
        arguments[f"{name}{'-' if negative else '+'}"] = level(name, M, negative)

for name in ["AutoContrast", "Equalize", "Invert"]:
    render(name, None)
for name in ["Posterize", "PosterizeIncreasing", "PosterizeOriginal", "Solarize", "SolarizeIncreasing", "SolarizeAdd"]:
    render(name, level(name, M, False))
render("Posterize", 0)
for name in ["Color", "Contrast", "Brightness", "Sharpness"]:
    render(name, level(name, M, False))
    render(name, level(name + "Increasing", M, False))
    render(name, level(name + "Increasing", M, True))
for name in ["Rotate", "ShearX", "ShearY", "TranslateXRel", "TranslateYRel"]:
    for negative in (False, True):
        for interpolation in ("bilinear", "bicubic"):
            render(name, level(name, M, negative), interpolation)

out = dict(
    pillow_version=PIL.__version__,
    width=W,
    height=H,
    fill=list(FILL),
    translate_pct=0.45,
    magnitude=M,
    image=base64.b64encode(img.tobytes()).decode(),
    arguments=arguments,
    cases=cases,
)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "data", "augment", "randaugment-reference.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    json.dump(out, f, indent=0)
print("wrote", os.path.normpath(path), len(cases), "cases")
