#!/usr/bin/env python3
"""PyTorch reference for `fundus-train bench`: the same protocol on the same machine.

Synthetic input, warm-up steps excluded, median time of a training step (forward, cross-entropy,
backward, Adam update) and of an inference forward (eval mode, no autograd), images/s for both, and
peak RSS, parameter count. Each fundus-train model name maps to the closest torchvision model:
efficientnet_b0 and tf_efficientnet_b4 to efficientnet_b0/b4, vit_base_patch16_224 to vit_b_16,
swinv2_tiny_window8_256 to swin_v2_t, resnet50 and densenet121 to themselves, and the ViT-Tiny and
DINOv2 ViT-S/B shapes to torchvision's VisionTransformer set up alike (DINOv2's layer scale and
register-free patch 14 aside).

Usage: /usr/bin/python3 bench/pytorch_bench.py [--model NAME|all]
       [--image-size 224] [--batch-size 8] [--steps 10] [--warmup 3] [--json]
"""
import argparse
import json
import os
import resource
import statistics
import time

import torch
import torchvision

def vit(patch: int, heads: int, hidden: int):
    return lambda size, n: torchvision.models.VisionTransformer(
        image_size=size, patch_size=patch, num_layers=12, num_heads=heads,
        hidden_dim=hidden, mlp_dim=4 * hidden, num_classes=n)


tv = torchvision.models
# fundus-train model name -> (torchvision name, builder(image_size, num_classes))
TORCHVISION = {
    'efficientnet_b0': ('efficientnet_b0', lambda size, n: tv.efficientnet_b0(num_classes=n)),
    'tf_efficientnet_b4': ('efficientnet_b4', lambda size, n: tv.efficientnet_b4(num_classes=n)),
    'vit_tiny_patch16_224': ('VisionTransformer ViT-Ti/16', vit(16, 3, 192)),
    'vit_base_patch16_224': ('vit_b_16', lambda size, n: tv.vit_b_16(image_size=size, num_classes=n)),
    'vit_small_patch14_dinov2': ('VisionTransformer ViT-S/14', vit(14, 6, 384)),
    'vit_base_patch14_dinov2': ('VisionTransformer ViT-B/14', vit(14, 12, 768)),
    'swinv2_tiny_window8_256': ('swin_v2_t', lambda size, n: tv.swin_v2_t(num_classes=n)),
    'resnet50': ('resnet50', lambda size, n: tv.resnet50(num_classes=n)),
    'densenet121': ('densenet121', lambda size, n: tv.densenet121(num_classes=n)),
}
MODELS = ('efficientnet_b0', 'vit_tiny_patch16_224')


def build(name: str, image_size: int, num_classes: int) -> torch.nn.Module:
    if name not in TORCHVISION:
        raise SystemExit(f'unknown model {name!r}: use one of {", ".join(TORCHVISION)}')
    return TORCHVISION[name][1](image_size, num_classes)


def timed(fn, steps: int, warmup: int) -> list:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def bench(name: str, image_size: int, batch_size: int, steps: int, warmup: int, num_classes: int) -> dict:
    torch.manual_seed(0)
    model = build(name, image_size, num_classes)
    x = torch.randn(batch_size, 3, image_size, image_size)
    y = torch.randint(0, num_classes, (batch_size,))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()

    def train_step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    def infer():
        with torch.no_grad():
            return model(x).sum().item()

    model.train()
    train_times = timed(train_step, steps, warmup)
    model.eval()
    infer_times = timed(infer, steps, warmup)
    train_s = statistics.median(train_times)
    infer_s = statistics.median(infer_times)
    return {
        'model': name,
        'torchvision': TORCHVISION[name][0],
        'params': sum(p.numel() for p in model.parameters()),
        'backend': 'pytorch',
        'imageSize': image_size,
        'batchSize': batch_size,
        'steps': steps,
        'warmup': warmup,
        'threads': torch.get_num_threads(),
        'trainStepSeconds': train_s,
        'trainImagesPerSecond': batch_size / train_s,
        'inferenceSeconds': infer_s,
        'inferenceImagesPerSecond': batch_size / infer_s,
        # ru_maxrss is in KiB on Linux; peak of the whole process so far (with --model all, of both models:
        # compare memory one model per process, as bench/compare.py runs it).
        'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'torch': torch.__version__,
    }


def line(r: dict) -> str:
    return (f"{r['model']} ({r['torchvision']}, {r['params'] / 1e6:.2f}M params) {r['imageSize']}px batch {r['batchSize']} "
            f"on pytorch ({r['threads']} threads): "
            f"train step {r['trainStepSeconds']:.3f} s ({r['trainImagesPerSecond']:.2f} img/s), "
            f"inference {r['inferenceSeconds']:.3f} s ({r['inferenceImagesPerSecond']:.2f} img/s), "
            f"peak RSS {r['peakRssMiB']:.0f} MiB; median of {r['steps']} after {r['warmup']} warm-up")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--model', default='all', help=f'{", ".join(TORCHVISION)}, or all (= {", ".join(MODELS)})')
    p.add_argument('--image-size', type=int, default=224)
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--num-classes', type=int, default=5)
    p.add_argument('--json', action='store_true', help='one JSON object per line')
    a = p.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    names = MODELS if a.model == 'all' else (a.model,)
    for name in names:
        r = bench(name, a.image_size, a.batch_size, a.steps, a.warmup, a.num_classes)
        print(json.dumps(r) if a.json else line(r), flush=True)


if __name__ == '__main__':
    main()
