import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { adaptiveAvgPool2d, adaptiveAveragingMatrix, maxPool2d } from '../../../src/models/layers/pooling';

/** nn.MaxPool2d(k, s, p) by definition: the max over the window's in-bounds pixels. */
function torchMaxPool(x: number[][][][], k: number, s: number, p: number): number[][][][] {
  const [h, w, c] = [x[0].length, x[0][0].length, x[0][0][0].length];
  const oh = Math.floor((h + 2 * p - k) / s) + 1;
  const ow = Math.floor((w + 2 * p - k) / s) + 1;
  return x.map((img) =>
    Array.from({ length: oh }, (_, i) =>
      Array.from({ length: ow }, (_, j) =>
        Array.from({ length: c }, (_, ch) => {
          let m = -Infinity;
          for (let di = 0; di < k; di++) {
            for (let dj = 0; dj < k; dj++) {
              const r = i * s - p + di;
              const q = j * s - p + dj;
              if (r >= 0 && r < h && q >= 0 && q < w) m = Math.max(m, img[r][q][ch]);
            }
          }
          return m;
        }),
      ),
    ),
  );
}

describe.each(['cpu', 'wasm'])('pooling on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  test.each([
    [5, 6],
    [8, 8],
    [7, 4],
  ])("maxPool2d(3, 2, 1) equals PyTorch's MaxPool2d on a %ix%i map of negative and positive values", (h, w) => {
    // Values below zero at the border: padding with 0 instead of -inf would show.
    const x = tf.tidy(() => tf.sub(tf.randomUniform([2, h, w, 3], 0, 1, 'float32', h * w), 0.8)) as tf.Tensor4D;
    const expected = torchMaxPool(x.arraySync(), 3, 2, 1);
    const y = maxPool2d(x, 3, 2, 1);
    expect(y.shape).toEqual([2, expected[0].length, expected[0][0].length, 3]);
    expect(y.arraySync()).toEqual(expected);
    tf.dispose([x, y]);
  });

  test("adaptiveAvgPool2d averages PyTorch's bins, growing rows and shrinking columns", () => {
    // Rows 1..5 grown to 7 bins: [0,1) [0,2) [1,3) [2,3) [2,4) [3,5) [4,5) -> 1, 1.5, 2.5, 3, 3.5, 4.5, 5.
    // Columns 10, 20, 30, 40 shrunk to 3 bins: [0,2) [1,3) [2,4) -> 15, 25, 35.
    const x = tf.tidy(() => tf.add(tf.reshape(tf.range(1, 6), [1, 5, 1, 1]), tf.reshape(tf.range(10, 50, 10), [1, 1, 4, 1]))) as tf.Tensor4D;
    const y = adaptiveAvgPool2d(x, 7, 3);
    expect(y.shape).toEqual([1, 7, 3, 1]);
    const rows = [1, 1.5, 2.5, 3, 3.5, 4.5, 5];
    const cols = [15, 25, 35];
    const got = y.arraySync()[0];
    rows.forEach((r, i) => cols.forEach((c, j) => expect(got[i][j][0]).toBeCloseTo(r + c, 5)));
    tf.dispose([x, y]);
  });

  test('adaptiveAvgPool2d keeps batch and channels apart and is the identity at the same size', () => {
    const x = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    expect(adaptiveAvgPool2d(x, 4, 4)).toBe(x);
    const y = adaptiveAvgPool2d(x, 1, 1);
    const mean = tf.mean(x, [1, 2], true);
    expect(tf.max(tf.abs(tf.sub(y, mean))).dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([x, y, mean]);
  });
});

test('adaptive averaging rows sum to one', () => {
  const m = adaptiveAveragingMatrix(7, 3);
  for (let i = 0; i < 3; i++) expect(m.subarray(i * 7, i * 7 + 7).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
});
