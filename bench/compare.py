#!/usr/bin/env python3
"""The README's bench table: fundus-train's `bench` next to bench/pytorch_bench.py, in one session.

Each round runs `fundus-train bench --json` (wasm) and the PyTorch script for the same model, one after
the other, so that both see the same load on the machine; the table gives the median over the rounds of
each side's median step time, and the ratio of the two. The cpu backend is far too slow for the same
protocol (minutes per step at 224 px): it runs once per model with --cpu-steps steps and no warm-up.

Usage (from the repository root, after `npm run build`):
  /usr/bin/python3 bench/compare.py [--rounds 3] [--steps 7] [--warmup 2] [--image-size 224]
      [--batch-size 8] [--cpu-steps 1] [--backends wasm,pytorch,cpu] [--cli dist/bin/fundus-train.js]
      [--out bench/results/DATE.jsonl]
Results are appended to --out, one JSON object per run; the table is made from everything in it, so
the slow cpu runs can be added by a separate call (--backends cpu) without disturbing the others.
  /usr/bin/python3 bench/compare.py --table bench/results/DATE.jsonl   # the table of an existing file
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

MODELS = ('efficientnet_b0', 'vit_tiny_patch16_224')
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def ours(model: str, backend: str, a: argparse.Namespace, steps: int, warmup: int) -> dict:
    cmd = ['node', a.cli, 'bench', '--model', model,
           '--image-size', str(a.image_size), '--batch-size', str(a.batch_size), '--steps', str(steps),
           '--warmup', str(warmup), '--backend', backend, '--json']
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return {
        'model': model, 'backend': r['backend'], 'trainStepSeconds': r['train']['medianSeconds'],
        'inferenceSeconds': r['inference']['medianSeconds'], 'peakRssMiB': r['peakRssMiB'],
        'tensorsBefore': r['tensorsBefore'], 'tensorsAfter': r['tensorsAfter'], 'steps': steps, 'warmup': warmup,
    }


def pytorch(model: str, a: argparse.Namespace) -> dict:
    cmd = [sys.executable, os.path.join(HERE, 'pytorch_bench.py'), '--model', model, '--image-size', str(a.image_size),
           '--batch-size', str(a.batch_size), '--steps', str(a.steps), '--warmup', str(a.warmup), '--json']
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    r = json.loads(out.strip().splitlines()[-1])
    return {k: r[k] for k in ('model', 'backend', 'trainStepSeconds', 'inferenceSeconds', 'peakRssMiB', 'steps', 'warmup')}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--steps', type=int, default=7)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--image-size', type=int, default=224)
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--cpu-steps', type=int, default=1)
    p.add_argument('--backends', default='wasm,pytorch,cpu')
    p.add_argument('--cli', default=os.path.join(ROOT, 'dist', 'bin', 'fundus-train.js'))
    p.add_argument('--out', default=os.path.join(HERE, 'results', time.strftime('%Y-%m-%d') + '.jsonl'))
    p.add_argument('--table', help='print the table of this results file and exit')
    a = p.parse_args()
    if a.table:
        print(table(read(a.table), a))
        return
    backends = a.backends.split(',')
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, 'a') as log:
        def keep(r: dict) -> None:
            r = {**r, 'imageSize': a.image_size, 'batchSize': a.batch_size, 'at': time.strftime('%Y-%m-%dT%H:%M:%S')}
            log.write(json.dumps(r) + '\n')
            log.flush()
            print(json.dumps(r), file=sys.stderr, flush=True)
        for model in MODELS:
            for _ in range(a.rounds if ('wasm' in backends or 'pytorch' in backends) else 0):
                if 'wasm' in backends:
                    keep(ours(model, 'wasm', a, a.steps, a.warmup))
                if 'pytorch' in backends:
                    keep(pytorch(model, a))
            if 'cpu' in backends:
                keep(ours(model, 'cpu', a, a.cpu_steps, 0))
    print(table(read(a.out), a))


def read(path: str) -> list:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def table(results: list, a: argparse.Namespace) -> str:
    results = [r for r in results if r['imageSize'] == a.image_size and r['batchSize'] == a.batch_size]

    def runs(model: str, backend: str) -> list:
        return [r for r in results if r['model'] == model and r['backend'] == backend]

    def med(model: str, backend: str, key: str) -> float:
        return statistics.median(r[key] for r in runs(model, backend))

    rows = [f'| model ({a.image_size} px, batch {a.batch_size}) | backend | runs | train step | train img/s | '
            'inference | inference img/s | train × PyTorch | inference × PyTorch | peak RSS |',
            '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |']
    for model in MODELS:
        has_pt = bool(runs(model, 'pytorch'))
        for backend in ('wasm', 'cpu', 'pytorch'):
            if not runs(model, backend):
                continue
            tr, inf = med(model, backend, 'trainStepSeconds'), med(model, backend, 'inferenceSeconds')
            ratio = (lambda v, key: f'{v / med(model, "pytorch", key):.2f}×' if has_pt else 'n/a')
            rows.append(f'| {model} | {backend} | {len(runs(model, backend))} | {tr:.3f} s | {a.batch_size / tr:.2f} | '
                        f'{inf:.3f} s | {a.batch_size / inf:.1f} | {ratio(tr, "trainStepSeconds")} | '
                        f'{ratio(inf, "inferenceSeconds")} | {med(model, backend, "peakRssMiB"):.0f} MiB |')
    return '\n'.join(rows)


if __name__ == '__main__':
    main()
