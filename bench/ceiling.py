#!/usr/bin/env python3
"""What the hardware allows: single matrix products and convolutions on wasm next to PyTorch, one sitting.

fundus-train's training step is mostly matrix products and convolutions (its native wasm kernel, with
relaxed SIMD's fused multiply-add where the runtime has it; oneDNN/MKL in PyTorch); the shipped tfjs-wasm
kernel it replaces (XNNPACK) is timed beside it. WebAssembly's SIMD is 128 bits wide; PyTorch on an
AVX-512 CPU uses 256- or 512-bit FMA. The ratio of these single operations is the floor under any model's
training-step ratio whose time is mostly in them. Rounds alternate the sides, so all see the same load.

Usage (from the repository root, after `npm run build`):
  /usr/bin/python3 bench/ceiling.py [--rounds 2] [--reps 5] [--threads 2] [--out bench/results/DATE-ceiling.jsonl]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def pytorch_side(reps: int, threads: int) -> list:
    import torch
    from pytorch_bench import timed  # this folder is on sys.path when the script runs
    torch.set_num_threads(threads)

    def median(f):
        return statistics.median(timed(f, reps, 1))

    out = []
    with torch.no_grad():
        for n in (1024, 2048):
            a, b = torch.randn(n, n), torch.randn(n, n)
            s = median(lambda: a @ b)
            out.append({'op': f'matmul {n}x{n}x{n}', 'seconds': s, 'gflops': 2 * n ** 3 / s / 1e9})
        x3, w3 = torch.randn(8, 64, 56, 56), torch.randn(64, 64, 3, 3)
        s = median(lambda: torch.nn.functional.conv2d(x3, w3, padding=1))
        out.append({'op': 'conv3x3 8x56x56 64->64', 'seconds': s, 'gflops': 2 * 8 * 56 * 56 * 64 * 64 * 9 / s / 1e9})
        x1, w1 = torch.randn(8, 256, 56, 56), torch.randn(64, 256, 1, 1)
        s = median(lambda: torch.nn.functional.conv2d(x1, w1))
        out.append({'op': 'conv1x1 8x56x56 256->64', 'seconds': s, 'gflops': 2 * 8 * 56 * 56 * 256 * 64 / s / 1e9})
    return [{'side': 'pytorch', 'torch': torch.__version__, **r} for r in out]


def cpu_flags() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            flags = next(line for line in f if line.startswith('flags')).split()
        return 'avx512f' if 'avx512f' in flags else 'avx2' if 'avx2' in flags else 'sse'
    except (OSError, StopIteration):
        return platform.machine()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument('--rounds', type=int, default=2)
    p.add_argument('--reps', type=int, default=5)
    p.add_argument('--threads', type=int, default=2, help='PyTorch threads (wasm uses every core, as bench does)')
    p.add_argument('--out', default=os.path.join(HERE, 'results', time.strftime('%Y-%m-%d') + '-ceiling.jsonl'))
    a = p.parse_args()
    rows = []
    for r in range(a.rounds):
        line = subprocess.run(['node', os.path.join(HERE, 'ceiling-wasm.js'), '--reps', str(a.reps)],
                              check=True, capture_output=True, text=True, cwd=ROOT).stdout
        rows += [{**json.loads(l), 'round': r} for l in line.splitlines() if l.strip()]
        rows += [{**x, 'round': r} for x in pytorch_side(a.reps, a.threads)]
    stamp = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    with open(a.out, 'a') as f:
        for row in rows:
            f.write(json.dumps({**row, 'at': stamp, 'cpu': cpu_flags(), 'cores': os.cpu_count()}) + '\n')
    print(f'{os.cpu_count()} cores, {cpu_flags()}; medians over {a.rounds} rounds of {a.reps} runs each')
    print('| operation | wasm s (GFLOP/s) | shipped XNNPACK s (GFLOP/s) | PyTorch s (GFLOP/s) | wasm / PyTorch | XNNPACK / PyTorch |')
    print('| --- | --- | --- | --- | ---: | ---: |')
    for op in dict.fromkeys(r['op'] for r in rows):
        w, x, t = (statistics.median(r['seconds'] for r in rows if r['op'] == op and r['side'] == side)
                   for side in ('wasm', 'xnnpack', 'pytorch'))
        fl = next(r['gflops'] * r['seconds'] for r in rows if r['op'] == op)
        print(f'| {op} | {w:.4f} ({fl / w:.0f}) | {x:.4f} ({fl / x:.0f}) | {t:.4f} ({fl / t:.0f}) | {w / t:.2f} | {x / t:.2f} |')


if __name__ == '__main__':
    main()
