#!/usr/bin/env python3
"""One training epoch on real photographs, fundus-train against a PyTorch script on the same images.

Takes `--per-class` photographs of each class of the four-class eye-disease set (the first ones in name
order, linked into a temporary folder), trains fundus-train on them for one epoch (`train.epochs: 1`,
its own 70/15/15 patient split), then trains PyTorch's closest torchvision model one epoch on exactly the
training images fundus-train's splits.csv lists, with the same batch size, image size, optimizer and
augmentation (horizontal flip 0.5, rotation up to 15 degrees, brightness and contrast 0.1). Both sides
start from random weights: the figure is throughput, not accuracy. Images per second of the training
epoch: fundus-train's `images_per_s` in metrics.jsonl (decoding, augmentation and steps; validation
excluded) and the same span in PyTorch (its DataLoader decoding in one worker process beside the steps).

Usage (from the repository root, after `npm run build`):
  /usr/bin/python3 bench/epoch.py [--data ../shared/data/eye-diseases-4class] [--per-class 40]
      [--model tf_efficientnet_b4] [--image-size 380] [--batch-size 8] [--micro-batch auto]
      [--out bench/results/DATE-epoch.jsonl]
"""
import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import torch
import torchvision.transforms as T
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from pytorch_bench import TORCHVISION, build  # noqa: E402

EXTENSIONS = ('.jpg', '.jpeg', '.png')


def subset(data: str, per_class: int, into: str) -> list:
    """Links the first `per_class` images of each class folder into `into`/<class>/; the class names."""
    classes = sorted(d for d in os.listdir(data) if os.path.isdir(os.path.join(data, d)))
    for c in classes:
        names = sorted(n for n in os.listdir(os.path.join(data, c)) if n.lower().endswith(EXTENSIONS))[:per_class]
        os.makedirs(os.path.join(into, c))
        for n in names:
            os.symlink(os.path.join(data, c, n), os.path.join(into, c, n))
    return classes


def fundus_train(a: argparse.Namespace, root: str, work: str) -> dict:
    config = {
        'name': 'epoch-bench', 'seed': 0,
        'data': {'source': 'image-folder', 'root': root, 'split': {'val': 0.15, 'test': 0.15},
                 'preprocess': {'fovCrop': False}, 'cache': {'disk': False},
                 'augment': {'hflip': 0.5, 'rotate': 15, 'brightness': 0.1, 'contrast': 0.1}},
        'model': {'name': a.model, 'imageSize': a.image_size},
        'train': {'epochs': 1, 'batchSize': a.batch_size, 'microBatch': a.micro_batch,
                  'optimizer': {'name': 'adamw', 'lr': 1e-4, 'weightDecay': 0.01}},
        'eval': {'bootstrap': 0},
    }
    if a.micro_batch.isdigit():
        config['train']['microBatch'] = int(a.micro_batch)
    path = os.path.join(work, 'config.json')
    with open(path, 'w') as f:
        json.dump(config, f)
    run = os.path.join(work, 'run')
    started = time.time()
    p = subprocess.run(['node', a.cli, 'train', '--config', path, '--out', run, '--backend', 'wasm'],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f'fundus-train failed: {(p.stderr.strip().splitlines() or ["exit " + str(p.returncode)])[-1]}')
    with open(os.path.join(run, 'metrics.jsonl')) as f:
        epoch = [json.loads(line) for line in f if line.strip()][-1]
    with open(os.path.join(run, 'config.json')) as f:
        resolved = json.load(f)
    return {'side': 'fundus-train', 'run': run, 'imagesPerSecond': epoch['images_per_s'],
            'microBatch': resolved.get('train', {}).get('microBatch'), 'wallSeconds': time.time() - started,
            'log': p.stdout.strip().splitlines()[-3:]}


def train_rows(run: str, root: str, classes: list) -> list:
    """(path, class index) of each training image in fundus-train's splits.csv."""
    with open(os.path.join(run, 'splits.csv')) as f:
        rows = list(csv.DictReader(f))
    out = []
    for r in rows:
        if r['split'] != 'train':
            continue
        name = r['image']
        cls = next(c for c in classes if name.startswith(c + '/'))
        out.append((os.path.join(root, name), classes.index(cls)))
    return out


class Photos(torch.utils.data.Dataset):
    def __init__(self, rows: list, size: int):
        self.rows = rows
        self.transform = T.Compose([
            T.Resize((size, size)), T.RandomHorizontalFlip(0.5), T.RandomRotation(15),
            T.ColorJitter(brightness=0.1, contrast=0.1), T.ToTensor(),
            T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        path, label = self.rows[i]
        with Image.open(path) as im:
            return self.transform(im.convert('RGB')), label


def pytorch(a: argparse.Namespace, rows: list, num_classes: int) -> dict:
    torch.manual_seed(0)
    torch.set_num_threads(os.cpu_count() or 1)
    model = build(a.model, a.image_size, num_classes)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    loader = torch.utils.data.DataLoader(Photos(rows, a.image_size), batch_size=a.batch_size, shuffle=True,
                                         num_workers=1)
    model.train()
    seen = 0
    started = time.perf_counter()
    for x, y in loader:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        seen += len(y)
    seconds = time.perf_counter() - started
    return {'side': 'pytorch', 'torchvision': TORCHVISION[a.model][0], 'imagesPerSecond': seen / seconds,
            'images': seen, 'seconds': seconds, 'threads': torch.get_num_threads(), 'torch': torch.__version__,
            'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', default=os.path.join(ROOT, '..', 'shared', 'data', 'eye-diseases-4class'))
    p.add_argument('--per-class', type=int, default=40)
    p.add_argument('--model', default='tf_efficientnet_b4')
    p.add_argument('--image-size', type=int, default=380)
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--micro-batch', default='auto')
    p.add_argument('--cli', default=os.path.join(ROOT, 'dist', 'bin', 'fundus-train.js'))
    p.add_argument('--out', default=os.path.join(HERE, 'results', time.strftime('%Y-%m-%d') + '-epoch.jsonl'))
    a = p.parse_args()
    if a.model not in TORCHVISION:
        raise SystemExit(f'no PyTorch counterpart for {a.model}: use one of {", ".join(TORCHVISION)}')
    data = os.path.abspath(a.data)
    if not os.path.isdir(data):
        raise SystemExit(f'{data}: no such folder (the four-class set of ../shared/data, or --data)')
    with tempfile.TemporaryDirectory(prefix='fundus-epoch-') as work:
        root = os.path.join(work, 'images')
        classes = subset(data, a.per_class, root)
        ours = fundus_train(a, root, work)
        rows = train_rows(ours['run'], root, classes)
        theirs = pytorch(a, rows, len(classes))
    common = {'model': a.model, 'imageSize': a.image_size, 'batchSize': a.batch_size, 'trainImages': len(rows),
              'perClass': a.per_class, 'at': time.strftime('%Y-%m-%dT%H:%M:%S')}
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, 'a') as f:
        for r in (ours, theirs):
            r.pop('run', None)
            f.write(json.dumps({**common, **r}) + '\n')
    print(f"{a.model} at {a.image_size} px, batch {a.batch_size}, one epoch of {len(rows)} training photographs: "
          f"fundus-train (wasm, micro-batch {ours['microBatch']}) {ours['imagesPerSecond']:.3f} img/s, "
          f"PyTorch {torch.__version__} ({theirs['torchvision']}) {theirs['imagesPerSecond']:.3f} img/s, "
          f"ratio {theirs['imagesPerSecond'] / ours['imagesPerSecond']:.2f}x")


if __name__ == '__main__':
    main()
