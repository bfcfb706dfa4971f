#!/usr/bin/python3
"""Writes the tiny PyTorch checkpoints the weight-reader tests use into
test/models/weights/fixtures/. Run once with Debian's python3-torch
(apt-get install -y python3-torch; /usr/bin/python3 scripts/make_weight_fixtures.py);
the outputs are committed so the tests need only Node. Values are simple formulas
(arange, fixed lists) so the tests compute what to expect on their own."""
import argparse
import math
import os
import sys
from collections import OrderedDict

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'models', 'weights', 'fixtures')


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 3, kernel_size=1)
        self.bn = torch.nn.BatchNorm2d(3)
        self.fc = torch.nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(self.bn(self.conv(x)).mean((2, 3)))


def tiny_model():
    model = Tiny()
    with torch.no_grad():
        # Parameter i of the model holds arange(n) / 8 + i, so every value is exact in float32.
        for i, p in enumerate(model.parameters()):
            p.copy_(torch.arange(p.numel(), dtype=torch.float32).reshape(p.shape) / 8 + i)
        model.bn.running_mean.copy_(torch.tensor([0.5, -0.5, 0.25]))
        model.bn.running_var.copy_(torch.tensor([1.0, 2.0, 4.0]))
        model.bn.num_batches_tracked.fill_(7)
    return model


def nested_checkpoint():
    """A training-script checkpoint: {state_dict: {module.*}} beside an optimizer, args and metrics."""
    model = torch.nn.DataParallel(tiny_model())  # prefixes every name with "module." (works on CPU)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return {
        'epoch': 3,
        'arch': 'tiny',
        'state_dict': model.state_dict(),
        'optimizer': optimizer.state_dict(),
        'args': argparse.Namespace(lr=0.1, model='tiny'),
        'metric': 0.75,
    }


def dtypes_and_views():
    """Every storage type, and views that are not their whole storage."""
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    shared = torch.arange(10, dtype=torch.float32)
    d = OrderedDict()
    d['f32'] = torch.tensor([1.0, -2.5, 65504.0, 1e-8], dtype=torch.float32)
    d['f16'] = torch.tensor([1.0, -2.5, 65504.0, 2.0 ** -24, math.inf, -math.inf, math.nan, -0.0], dtype=torch.float16)
    d['bf16'] = torch.tensor([1.0, -2.5, 2.0 ** -133, 3.0e38, math.inf, math.nan], dtype=torch.bfloat16)
    d['f64'] = torch.tensor([1.0, -2.5, 0.1, 1e300], dtype=torch.float64)
    d['i64'] = torch.tensor([0, -1, 2 ** 40, -(2 ** 62)], dtype=torch.int64)
    d['i32'] = torch.tensor([0, -1, 2 ** 30], dtype=torch.int32)
    d['i16'] = torch.tensor([0, -1, 300], dtype=torch.int16)
    d['i8'] = torch.tensor([0, -1, 100], dtype=torch.int8)
    d['u8'] = torch.tensor([0, 255, 7], dtype=torch.uint8)
    d['bool'] = torch.tensor([True, False, True])
    d['scalar'] = torch.tensor(4.5)
    d['empty'] = torch.zeros(0, 3)
    d['transposed'] = base.t()  # shape [4, 3], stride [1, 4]
    d['rows'] = base[1:]  # storage offset 4
    d['every_other_column'] = base[:, ::2]  # shape [3, 2], stride [4, 2]
    d['half_transposed'] = torch.arange(6, dtype=torch.float16).reshape(2, 3).t()
    d['shared_head'] = shared[:4]  # these two share one storage
    d['shared_tail'] = shared[6:]
    d['expanded'] = torch.arange(3, dtype=torch.int64).expand(2, 3)  # stride [0, 1]
    d['parameter'] = torch.nn.Parameter(torch.arange(4, dtype=torch.float32).reshape(2, 2))
    return d


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.save(nested_checkpoint(), os.path.join(OUT, 'nested_module.pth'))
    torch.save(dtypes_and_views(), os.path.join(OUT, 'dtypes_views.pth'))
    torch.save(tiny_model().state_dict(), os.path.join(OUT, 'legacy.pth'), _use_new_zipfile_serialization=False)
    torch.save(tiny_model(), os.path.join(OUT, 'whole_model.pth'))  # pickles the module class itself
    total = 0
    for name in sorted(os.listdir(OUT)):
        size = os.path.getsize(os.path.join(OUT, name))
        total += size
        print(f'{name}: {size} bytes')
    print(f'total: {total} bytes (torch {torch.__version__})')
    if total > 20000:
        sys.exit('fixtures exceed 20 KB')


if __name__ == '__main__':
    main()
