import { bfloat16ToFloat32, elementCount, float16ToFloat32, float64ToFloat32, isHostTensor } from '../../../src/models/weights/tensor';

const bitsOf = (x: Float32Array): number[] => [...new Uint32Array(x.buffer, x.byteOffset, x.length)];

describe('float16ToFloat32', () => {
  it('converts hand-computed half values exactly', () => {
    const halves = new Uint16Array([
      0x3c00, // 1.0: exponent 15 (bias 15), mantissa 0
      0xc100, // -2.5: sign, exponent 16, mantissa 0x100 = 0.25 → -1.25 · 2
      0x7bff, // 65504: largest finite half, (2 - 2^-10) · 2^15
      0x0001, // 2^-24: smallest subnormal
      0x03ff, // 1023 · 2^-24: largest subnormal
      0x0400, // 2^-14: smallest normal
      0x7c00, // +inf
      0xfc00, // -inf
      0x8000, // -0
      0x3555, // 0.333251953125 = (1 + 341/1024) / 4
    ]);
    const out = float16ToFloat32(halves);
    expect([...out]).toEqual([1, -2.5, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, Infinity, -Infinity, -0, 0.333251953125]);
    expect(Object.is(out[8], -0)).toBe(true);
  });

  it('keeps NaN a NaN, payload and sign included', () => {
    const out = float16ToFloat32(new Uint16Array([0x7e00, 0x7c01, 0xfe00]));
    expect(out.every(Number.isNaN)).toBe(true);
    // Quiet NaN 0x7e00 → 0x7fc00000; the signalling payload 1 → 1 << 13; the sign survives.
    expect(bitsOf(out)).toEqual([0x7fc00000, 0x7f802000, 0xffc00000]);
  });

  it('agrees with the defining formula for all 65536 bit patterns', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const out = float16ToFloat32(all);
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      const expected = e === 31 ? (m === 0 ? sign * Infinity : NaN) : e === 0 ? sign * m * 2 ** -24 : sign * (1 + m / 1024) * 2 ** (e - 15);
      if (!Object.is(out[h], expected)) throw new Error(`half 0x${h.toString(16)} → ${out[h]}, expected ${expected}`);
    }
  });
});

describe('bfloat16ToFloat32', () => {
  it('converts hand-computed bfloat16 values exactly', () => {
    const out = bfloat16ToFloat32(new Uint16Array([0x3f80, 0xc020, 0x0001, 0x7f7f, 0x7f80, 0xff80, 0x8000]));
    // 0x0001 is the float32 pattern 0x00010000: subnormal 2^16 · 2^-149 = 2^-133.
    // 0x7f7f is the largest finite bfloat16: (2 - 2^-7) · 2^127.
    expect([...out]).toEqual([1, -2.5, 2 ** -133, (2 - 2 ** -7) * 2 ** 127, Infinity, -Infinity, -0]);
    const nan = bfloat16ToFloat32(new Uint16Array([0x7fc0, 0xffc1]));
    expect(bitsOf(nan)).toEqual([0x7fc00000, 0xffc10000]);
  });
});

describe('float64ToFloat32 and helpers', () => {
  it('rounds float64 to the nearest float32', () => {
    const out = float64ToFloat32(new Float64Array([0.1, 1e300, -2.5]));
    expect([...out]).toEqual([Math.fround(0.1), Infinity, -2.5]);
  });

  it('counts elements and recognises host tensors', () => {
    expect(elementCount([2, 3, 4])).toBe(24);
    expect(elementCount([])).toBe(1);
    expect(elementCount([5, 0])).toBe(0);
    expect(isHostTensor({ dtype: 'float32', shape: [1], data: new Float32Array(1) })).toBe(true);
    expect(isHostTensor({ dtype: 'float32', shape: [1], data: [1] })).toBe(false);
    expect(isHostTensor(null)).toBe(false);
  });
});
