import * as fs from 'fs';
import * as path from 'path';
import { resamplePosEmbed } from '../../src/models/interpolate';
import { HostTensor } from '../../src/models/weights/tensor';
import { UserError } from '../../src/util/errors';

interface Reference {
  torch_version: string;
  input: { shape: number[]; values: number[] };
  cases: { grid: [number, number]; antialias: boolean; shape: number[]; values: number[] }[];
}

// Written by scripts/interp_reference.py (PyTorch's F.interpolate, bicubic, align_corners=False).
const ref = JSON.parse(fs.readFileSync(path.join(__dirname, 'interp-reference.json'), 'utf8')) as Reference;
const input: HostTensor = { dtype: 'float32', shape: ref.input.shape, data: Float32Array.from(ref.input.values) };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('resamplePosEmbed equals PyTorch bicubic interpolation', () => {
  test.each(ref.cases.map((c) => [`${c.grid[0]}x${c.grid[1]}${c.antialias ? ' antialias' : ''}`, c] as const))('4x4 -> %s', (_, c) => {
    const out = resamplePosEmbed(input, c.grid, 1, { antialias: c.antialias });
    expect(out.shape).toEqual(c.shape);
    expect(out.dtype).toBe('float32');
    // float32 rounding of the result is the only difference left.
    expect(maxAbsDiff(out.data as Float32Array, c.values)).toBeLessThan(1e-6);
  });

  test('the class token is kept and the input is not modified', () => {
    const copy = Float32Array.from(input.data as Float32Array);
    const out = resamplePosEmbed(input, [6, 6]);
    expect(Array.from((out.data as Float32Array).subarray(0, 3))).toEqual(Array.from(copy.subarray(0, 3)));
    expect(Array.from(input.data as Float32Array)).toEqual(Array.from(copy));
  });

  test('the same grid returns the tensor itself', () => {
    expect(resamplePosEmbed(input, [4, 4])).toBe(input);
  });

  test('without prefix tokens every token is part of the grid', () => {
    const grid: HostTensor = { dtype: 'float32', shape: [1, 16, 3], data: (input.data as Float32Array).slice(3) };
    const withPrefix = resamplePosEmbed(input, [3, 3]);
    const without = resamplePosEmbed(grid, [3, 3], 0);
    expect(Array.from(without.data as Float32Array)).toEqual(Array.from((withPrefix.data as Float32Array).subarray(3)));
  });

  test('a token count that is not a square grid is a user error naming the source', () => {
    const bad: HostTensor = { dtype: 'float32', shape: [1, 16, 3], data: new Float32Array(48) };
    expect(() => resamplePosEmbed(bad, [3, 3], 1, { source: 'w.safetensors: pos_embed' })).toThrow(UserError);
    expect(() => resamplePosEmbed(bad, [3, 3], 1, { source: 'w.safetensors: pos_embed' })).toThrow(/w\.safetensors: pos_embed: 15 grid tokens/);
  });
});
