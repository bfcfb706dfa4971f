#!/usr/bin/python3
"""Reference values for resamplePosEmbed (src/models/interpolate.ts), computed by PyTorch.

A ViT position embedding of 1 class token plus a 4x4 grid of 3-dimensional tokens is resampled
with torch.nn.functional.interpolate(mode='bicubic', align_corners=False), with and without
antialias (timm resamples pretrained position embeddings with antialias=True), to larger,
smaller and non-square grids, exactly as timm's resample_abs_pos_embed lays the tokens out
(prefix tokens kept, grid tokens row-major). Written to test/models/interp-reference.json;
the tests read that file and never run Python.

Run with Debian's PyTorch (apt-get install -y python3-torch):
    /usr/bin/python3 scripts/interp_reference.py
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "models", "interp-reference.json")

OLD_GRID = (4, 4)
DIM = 3
NEW_GRIDS = [(6, 6), (3, 3), (5, 7), (2, 8)]


def round_sig(v):
    """12 significant digits: far below float32 resolution, and a small file."""
    return float(f"{float(v):.12g}")


def resample(posemb, new_grid, antialias):
    prefix, grid = posemb[:, :1], posemb[:, 1:]
    grid = grid.reshape(1, OLD_GRID[0], OLD_GRID[1], DIM).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=new_grid, mode="bicubic", align_corners=False, antialias=antialias)
    grid = grid.permute(0, 2, 3, 1).reshape(1, -1, DIM)
    return torch.cat([prefix, grid], dim=1)


def main():
    gen = torch.Generator().manual_seed(20240607)
    # float32 draws (what a weight file holds), resampled in float64 for an exact reference.
    posemb = torch.randn(1, 1 + OLD_GRID[0] * OLD_GRID[1], DIM, generator=gen, dtype=torch.float32).double()
    cases = []
    for new_grid in NEW_GRIDS:
        for antialias in (False, True):
            out = resample(posemb, new_grid, antialias)
            cases.append({
                "grid": list(new_grid),
                "antialias": antialias,
                "shape": list(out.shape),
                "values": [round_sig(v) for v in out.flatten()],
            })
    ref = {
        "torch_version": torch.__version__,
        "input": {"shape": list(posemb.shape), "values": [float(v) for v in posemb.flatten()]},
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(ref, f)
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
