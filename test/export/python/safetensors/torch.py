import json
import struct

import torch

_DTYPES = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I64': torch.int64, 'I32': torch.int32, 'U8': torch.uint8}


def load_file(path):
    """The tensors of a safetensors file: 8-byte header length, JSON header, little-endian data."""
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        header = json.loads(f.read(n))
        data = bytearray(f.read())
    out = {}
    for name, spec in header.items():
        if name == '__metadata__':
            continue
        begin, end = spec['data_offsets']
        out[name] = torch.frombuffer(data[begin:end], dtype=_DTYPES[spec['dtype']]).reshape(spec['shape']).clone()
    return out
