#!/usr/bin/env python3
"""The model matrix (README, "Speed"): the seeds' models at their native sizes, fundus-train on wasm
next to PyTorch's closest torchvision model, in one sitting.

Each row runs `fundus-train bench --json --micro-batch auto` (so that a batch larger than the wasm heap
holds is accumulated over micro-batches instead of failing) and then bench/pytorch_bench.py with the
same model, size, batch and steps, one after the other, so that both see the same load. Every run has
a time limit; a run that fails or exceeds it is recorded with its error and the table says so.

Usage (from the repository root, after `npm run build`):
  /usr/bin/python3 bench/matrix.py [--rows all|NAME[,NAME...]] [--steps 3] [--warmup 1]
      [--timeout 1800] [--backends wasm,pytorch] [--cli dist/bin/fundus-train.js]
      [--out bench/results/DATE-matrix.jsonl]
  /usr/bin/python3 bench/matrix.py --table FILE     # the table of an existing results file
Rows are named model@size/batch, e.g. tf_efficientnet_b4@380/8; --rows takes row names, model names,
or other model@size/batch rows (a quick check: --rows efficientnet_b0@64/2).
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# (model, image size, batch): the rows of issue 11.
ROWS = (
    ('tf_efficientnet_b4', 380, 8),
    ('tf_efficientnet_b4', 380, 16),
    ('vit_base_patch16_224', 224, 16),
    ('vit_base_patch14_dinov2', 224, 16),
    ('swinv2_tiny_window8_256', 256, 16),
    ('resnet50', 224, 16),
    ('densenet121', 224, 16),
    ('efficientnet_b0', 224, 32),
)


def row_name(model: str, size: int, batch: int) -> str:
    return f'{model}@{size}/{batch}'


def run_json(cmd: list, timeout: int) -> dict:
    """The last stdout line of `cmd` as JSON, or {'error': ...} when it fails or runs out of time."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {'error': f'no result within {timeout} s'}
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or [f'exit {p.returncode}'])[-1]
        return {'error': last}
    return json.loads(p.stdout.strip().splitlines()[-1])


def ours(model: str, size: int, batch: int, a: argparse.Namespace) -> dict:
    r = run_json(['node', a.cli, 'bench', '--model', model, '--image-size', str(size), '--batch-size', str(batch),
                  '--steps', str(a.steps), '--warmup', str(a.warmup), '--backend', 'wasm', '--micro-batch', 'auto',
                  '--json'], a.timeout)
    out = {'backend': 'wasm', 'error': r['error']} if 'error' in r else {
        'backend': r['backend'],
        'params': r['params'],
        'microBatch': r.get('microBatch'),
        'trainStepSeconds': r['train']['medianSeconds'],
        'inferenceSeconds': r['inference']['medianSeconds'],
        'peakRssMiB': r['peakRssMiB'],
    }
    return out


def pytorch(model: str, size: int, batch: int, a: argparse.Namespace) -> dict:
    r = run_json([sys.executable, os.path.join(HERE, 'pytorch_bench.py'), '--model', model, '--image-size', str(size),
                  '--batch-size', str(batch), '--steps', str(a.steps), '--warmup', str(a.warmup), '--json'], a.timeout)
    if 'error' in r:
        return {'backend': 'pytorch', 'error': r['error']}
    keep = ('torchvision', 'params', 'trainStepSeconds', 'inferenceSeconds', 'peakRssMiB', 'torch', 'threads')
    return {'backend': 'pytorch', **{k: r[k] for k in keep}}


def table(results: list) -> str:
    """Markdown: seconds per image for training and inference, ratios to PyTorch, peak RSS of both."""
    last = {}
    for r in results:
        last[(r['row'], r['backend'])] = r  # the latest run of each row and side
    rows = []
    seen = dict.fromkeys([(r['model'], r['imageSize'], r['batchSize']) for r in results])
    for model, size, batch in sorted(seen, key=lambda r: ROWS.index(r) if r in ROWS else len(ROWS)):
        name = row_name(model, size, batch)
        w, t = last.get((name, 'wasm')), last.get((name, 'pytorch'))
        if w is None and t is None:
            continue
        rows.append(table_row(model, size, batch, w, t))
    head = ('| model | size | batch | params (ours / torchvision) | micro-batch | train s/img (wasm / PyTorch) | × | '
            'inference s/img (wasm / PyTorch) | × | peak RSS MiB (wasm / PyTorch) | × |\n'
            '| --- | ---: | ---: | --- | ---: | --- | ---: | --- | ---: | --- | ---: |')
    return '\n'.join([head, *rows])


def table_row(model: str, size: int, batch: int, w, t) -> str:
    def side(r, key, scale=1.0, fmt='{:.3f}'):
        if r is None:
            return '-'
        if 'error' in r:
            return 'failed'
        return fmt.format(r[key] * scale)

    def ratio(key):
        if not w or not t or 'error' in w or 'error' in t:
            return '-'
        return f'{w[key] / t[key]:.2f}'

    params = f"{side(w, 'params', 1e-6, '{:.2f}M')} / {side(t, 'params', 1e-6, '{:.2f}M')}"
    if t and 'torchvision' in t:
        params += f" ({t['torchvision']})"
    micro = '-' if not w or 'error' in w else str(w.get('microBatch'))
    cells = [model, str(size), str(batch), params, micro,
             f"{side(w, 'trainStepSeconds', 1 / batch)} / {side(t, 'trainStepSeconds', 1 / batch)}", ratio('trainStepSeconds'),
             f"{side(w, 'inferenceSeconds', 1 / batch)} / {side(t, 'inferenceSeconds', 1 / batch)}", ratio('inferenceSeconds'),
             f"{side(w, 'peakRssMiB', 1, '{:.0f}')} / {side(t, 'peakRssMiB', 1, '{:.0f}')}", ratio('peakRssMiB')]
    errors = [f"{r['backend']}: {r['error']}" for r in (w, t) if r and 'error' in r]
    return '| ' + ' | '.join(cells) + ' |' + (f" {'; '.join(errors)}" if errors else '')


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--rows', default='all')
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--timeout', type=int, default=1800, help='seconds per run, each side')
    p.add_argument('--backends', default='wasm,pytorch')
    p.add_argument('--cli', default=os.path.join(ROOT, 'dist', 'bin', 'fundus-train.js'))
    p.add_argument('--out', default=os.path.join(HERE, 'results', time.strftime('%Y-%m-%d') + '-matrix.jsonl'))
    p.add_argument('--table', help='print the table of an existing results file and stop')
    a = p.parse_args()
    if a.table:
        with open(a.table) as f:
            print(table([json.loads(line) for line in f if line.strip()]))
        return
    wanted = None if a.rows == 'all' else a.rows.split(',')
    rows = [r for r in ROWS if wanted is None or row_name(*r) in wanted or r[0] in wanted]
    for w in wanted or []:
        if '@' in w and '/' in w and not any(row_name(*r) == w for r in rows):
            model, rest = w.split('@')
            size, batch = rest.split('/')
            rows.append((model, int(size), int(batch)))
    if not rows:
        raise SystemExit(f'no row matches --rows {a.rows}: use {", ".join(row_name(*r) for r in ROWS)}')
    backends = a.backends.split(',')
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    results = []
    for model, size, batch in rows:
        for backend in backends:
            r = (ours if backend == 'wasm' else pytorch)(model, size, batch, a)
            r.update(row=row_name(model, size, batch), model=model, imageSize=size, batchSize=batch,
                     steps=a.steps, warmup=a.warmup, at=time.strftime('%Y-%m-%dT%H:%M:%S'))
            results.append(r)
            with open(a.out, 'a') as f:
                f.write(json.dumps(r) + '\n')
            print(json.dumps(r), file=sys.stderr, flush=True)
    print(table(results))


if __name__ == '__main__':
    main()
