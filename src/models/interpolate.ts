import { UserError } from '../util/errors';
import { HostTensor } from './weights/tensor';

export interface ResampleOptions {
  /**
   * PyTorch's antialiased bicubic (F.interpolate(..., antialias=True)): a Keys kernel with a = −0.5,
   * widened by the scale when shrinking. timm resamples pretrained position embeddings this way;
   * false (the default, PyTorch's F.interpolate default) is the classic a = −0.75 four-tap kernel.
   */
  antialias?: boolean;
  /** The stored grid; by default the square root of the grid token count. */
  oldGrid?: [number, number];
  /** For messages, e.g. the weight file and tensor name. */
  source?: string;
}

/** Sparse resampling weights along one axis: output i = Σ weights[i][k] · input[indices[i][k]]. */
interface AxisWeights {
  indices: number[][];
  weights: number[][];
}

/** The cubic convolution kernel of Keys (1981) with parameter a. */
function cubic(x: number, a: number): number {
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/**
 * PyTorch's bicubic, align_corners=False, antialias=False: source coordinate (i + 0.5)·in/out − 0.5,
 * four taps around it with a = −0.75, indices clamped at the border (no renormalisation).
 */
function bicubicWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const indices: number[][] = [];
  const weights: number[][] = [];
  for (let i = 0; i < outSize; i++) {
    const src = (i + 0.5) * scale - 0.5;
    const base = Math.floor(src);
    const t = src - base;
    indices.push([-1, 0, 1, 2].map((k) => Math.min(Math.max(base + k, 0), inSize - 1)));
    weights.push([cubic(t + 1, -0.75), cubic(t, -0.75), cubic(1 - t, -0.75), cubic(2 - t, -0.75)]);
  }
  return { indices, weights };
}

/**
 * PyTorch's antialiased bicubic (as Pillow): around centre (i + 0.5)·scale, taps within a support of
 * 2·max(scale, 1), kernel a = −0.5 evaluated at distance / max(scale, 1), weights normalised to sum 1.
 */
function antialiasedBicubicWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const stretch = Math.max(scale, 1);
  const support = 2 * stretch;
  const indices: number[][] = [];
  const weights: number[][] = [];
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    // Math.trunc as PyTorch's int64 cast.
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const idx: number[] = [];
    const w: number[] = [];
    for (let j = lo; j < hi; j++) {
      idx.push(j);
      w.push(cubic((j - center + 0.5) / stretch, -0.5));
    }
    const total = w.reduce((s, v) => s + v, 0);
    indices.push(idx);
    weights.push(total !== 0 ? w.map((v) => v / total) : w);
  }
  return { indices, weights };
}

/**
 * Resamples a [rows, cols, channels] grid (row-major, float64 working copy) to [outRows, outCols, channels],
 * separably: along the columns, then along the rows.
 */
function resampleGrid(
  grid: Float64Array,
  [rows, cols]: [number, number],
  channels: number,
  [outRows, outCols]: [number, number],
  antialias: boolean,
): Float64Array {
  const axis = antialias ? antialiasedBicubicWeights : bicubicWeights;
  const wc = axis(cols, outCols);
  const wr = axis(rows, outRows);
  const byCols = new Float64Array(rows * outCols * channels);
  for (let r = 0; r < rows; r++) {
    for (let oc = 0; oc < outCols; oc++) {
      const out = (r * outCols + oc) * channels;
      wc.indices[oc].forEach((c, k) => {
        const w = wc.weights[oc][k];
        const src = (r * cols + c) * channels;
        for (let d = 0; d < channels; d++) byCols[out + d] += w * grid[src + d];
      });
    }
  }
  const result = new Float64Array(outRows * outCols * channels);
  for (let or = 0; or < outRows; or++) {
    wr.indices[or].forEach((r, k) => {
      const w = wr.weights[or][k];
      for (let oc = 0; oc < outCols; oc++) {
        const src = (r * outCols + oc) * channels;
        const out = (or * outCols + oc) * channels;
        for (let d = 0; d < channels; d++) result[out + d] += w * byCols[src + d];
      }
    });
  }
  return result;
}

/**
 * Resamples a ViT position embedding [1, prefix + h·w, D] (timm's pos_embed, on the host) to a new patch
 * grid with bicubic interpolation, as PyTorch's F.interpolate(mode='bicubic', align_corners=False) does;
 * the prefix tokens (class token, registers) are kept as they are. Returns `tensor` itself when the grid
 * already matches.
 */
export function resamplePosEmbed(tensor: HostTensor, newGrid: [number, number], numPrefixTokens = 1, options: ResampleOptions = {}): HostTensor {
  const where = options.source ?? 'position embedding';
  if (tensor.dtype !== 'float32' || tensor.shape.length !== 3 || tensor.shape[0] !== 1) {
    throw new UserError(`${where}: expected a float32 tensor [1, tokens, dim], got ${tensor.dtype} [${tensor.shape.join(', ')}]`);
  }
  const [, tokens, dim] = tensor.shape;
  const gridTokens = tokens - numPrefixTokens;
  let oldGrid = options.oldGrid;
  if (!oldGrid) {
    const side = Math.round(Math.sqrt(gridTokens));
    if (side * side !== gridTokens) {
      throw new UserError(
        `${where}: ${gridTokens} grid tokens (after ${numPrefixTokens} prefix tokens) do not form a square grid; the weights do not fit this model`,
      );
    }
    oldGrid = [side, side];
  } else if (oldGrid[0] * oldGrid[1] !== gridTokens) {
    throw new UserError(`${where}: a ${oldGrid[0]}×${oldGrid[1]} grid needs ${oldGrid[0] * oldGrid[1]} tokens, the tensor has ${gridTokens}`);
  }
  if (oldGrid[0] === newGrid[0] && oldGrid[1] === newGrid[1]) return tensor;

  const data = tensor.data as Float32Array;
  const grid = Float64Array.from(data.subarray(numPrefixTokens * dim));
  const resampled = resampleGrid(grid, oldGrid, dim, newGrid, options.antialias ?? false);
  const out = new Float32Array((numPrefixTokens + newGrid[0] * newGrid[1]) * dim);
  out.set(data.subarray(0, numPrefixTokens * dim));
  out.set(resampled, numPrefixTokens * dim);
  return { dtype: 'float32', shape: [1, numPrefixTokens + newGrid[0] * newGrid[1], dim], data: out };
}
