import { Dim, ExportGraph, GraphNode, INPUT_NAME, isStatic } from '../graph';
import { axes, convPadding, pair, positiveAxis, reshapeDims, staticDim } from '../tf-graph-def';
import { ATTR_TYPE, modelProto, ONNX_TYPE } from './schema';

/** ONNX opset the model targets (ReduceMean still takes its axes as an attribute at 17). */
export const OPSET = 17;
const IR_VERSION = 8;
/** Slice's "to the end" (any end past the size is clamped). */
const TO_END = Number.MAX_SAFE_INTEGER;

type Attr = { name: string; type: number; i?: number; ints?: number[] };
interface OnnxNode {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute: Attr[];
}
interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

const int = (name: string, i: number): Attr => ({ name, type: ATTR_TYPE.INT, i });
const intList = (name: string, ints: number[]): Attr => ({ name, type: ATTR_TYPE.INTS, ints });

/**
 * Translates the kernel graph to an ONNX model. The graph computes in NHWC, as traced; the model's input is
 * NCHW RGB in [0, 1] (the PyTorch convention), transposed once, normalised inside the graph. Convolutions and
 * pooling, NCHW-only in ONNX, are wrapped in transposes that ONNX Runtime's optimiser folds.
 */
export function toOnnxModel(
  graph: ExportGraph,
  normalize: { mean: number[]; std: number[] },
  output: 'softmax' | 'sigmoid',
  metadata: Record<string, string>,
  producerVersion: string,
): Uint8Array {
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  let counter = 0;
  const fresh = (hint: string) => `${hint}_${counter++}`;
  const add = (opType: string, input: string[], attribute: Attr[] = [], outputName?: string, outputs = 1): string[] => {
    const base = outputName ?? fresh(opType);
    const output = outputs === 1 ? [base] : Array.from({ length: outputs }, (_, k) => `${base}:${k}`);
    nodes.push({ input, output, name: base, opType, attribute });
    return output;
  };
  const one = (opType: string, input: string[], attribute: Attr[] = [], outputName?: string) => add(opType, input, attribute, outputName)[0];
  const tensor = (name: string, dtype: 'float32' | 'int32' | 'int64', dims: number[], values: ArrayLike<number>): string => {
    const data =
      dtype === 'float32'
        ? Float32Array.from(values)
        : dtype === 'int32'
          ? Int32Array.from(values)
          : BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
    initializers.push({ name, dims, dataType: ONNX_TYPE[dtype], rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  };
  const i64 = (values: number[]) => tensor(fresh('ints'), 'int64', [values.length], values);
  let batchName: string | null = null;
  const batch = () => (batchName ??= one('Slice', [one('Shape', [INPUT_NAME]), i64([0]), i64([1])]));
  const dims = (values: Dim[]): string => {
    if (isStatic(values)) return i64(values);
    const parts = values.map((d) => (typeof d === 'number' ? i64([d]) : d.batch === 1 ? batch() : one('Mul', [batch(), i64([d.batch])])));
    return one('Concat', parts, [int('axis', 0)]);
  };
  const nhwc = one('Transpose', [INPUT_NAME], [intList('perm', [0, 2, 3, 1])], 'input_nhwc');
  const centred = one('Sub', [nhwc, tensor('normalize_mean', 'float32', [3], normalize.mean)]);
  const normalized = one(
    'Mul',
    [
      centred,
      tensor(
        'normalize_inv_std',
        'float32',
        [3],
        normalize.std.map((s) => 1 / s),
      ),
    ],
    [],
    'normalized',
  );
  for (const t of graph.tensors) tensor(t.name, t.dtype, t.shape, t.values);
  const ctx: Ctx = { add, one, tensor, i64, dims, fresh };
  for (const n of graph.nodes)
    emitNode(
      n,
      n.inputs.map((x) => (x === INPUT_NAME ? normalized : x)),
      ctx,
    );
  one('Identity', [graph.output], [], 'logits');
  one(output === 'softmax' ? 'Softmax' : 'Sigmoid', ['logits'], output === 'softmax' ? [int('axis', -1)] : [], 'probabilities');
  const size = staticDim(graph.input.shape[1], 'input');
  const valueInfo = (name: string, shape: (number | string)[]) => ({
    name,
    type: {
      tensorType: { elemType: ONNX_TYPE.float32, shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } },
    },
  });
  const numClasses = staticDim(graph.nodes[graph.nodes.length - 1].outputShapes[0][1], 'output');
  const Model = modelProto();
  const message = Model.fromObject({
    irVersion: IR_VERSION,
    producerName: 'fundus-train',
    producerVersion,
    opsetImport: [{ domain: '', version: OPSET }],
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: metadata.model ?? 'model',
      node: nodes,
      initializer: initializers,
      input: [valueInfo(INPUT_NAME, ['batch', 3, size, size])],
      output: [valueInfo('logits', ['batch', numClasses]), valueInfo('probabilities', ['batch', numClasses])],
    },
  });
  return Model.encode(message).finish();
}

interface Ctx {
  add(opType: string, input: string[], attribute?: Attr[], outputName?: string, outputs?: number): string[];
  one(opType: string, input: string[], attribute?: Attr[], outputName?: string): string;
  tensor(name: string, dtype: 'float32' | 'int32' | 'int64', dims: number[], values: ArrayLike<number>): string;
  i64(values: number[]): string;
  dims(values: Dim[]): string;
  fresh(hint: string): string;
}

const BINARY: Record<string, string> = { Add: 'Add', Sub: 'Sub', Multiply: 'Mul', RealDiv: 'Div', Maximum: 'Max', Minimum: 'Min', Pow: 'Pow' };
const UNARY: Record<string, string> = {
  Sqrt: 'Sqrt',
  Erf: 'Erf',
  Sigmoid: 'Sigmoid',
  Relu: 'Relu',
  Exp: 'Exp',
  Tanh: 'Tanh',
  Neg: 'Neg',
  Abs: 'Abs',
  Log: 'Log',
  Identity: 'Identity',
  Reciprocal: 'Reciprocal',
  Softplus: 'Softplus',
};
const CAST: Record<string, number> = { float32: ONNX_TYPE.float32, int32: ONNX_TYPE.int32, bool: ONNX_TYPE.bool };

function emitNode(n: GraphNode, inputs: string[], c: Ctx): void {
  const out = n.outputs[0];
  const a = n.attrs;
  const rank = n.inputShapes[0].length;
  if (BINARY[n.kernel]) return void c.one(BINARY[n.kernel], inputs, [], out);
  if (UNARY[n.kernel]) return void c.one(UNARY[n.kernel], inputs, [], out);
  switch (n.kernel) {
    case 'Square':
      return void c.one('Mul', [inputs[0], inputs[0]], [], out);
    case 'Rsqrt':
      return void c.one('Reciprocal', [c.one('Sqrt', inputs)], [], out);
    case 'Relu6':
      return void c.one('Clip', [inputs[0], c.tensor(c.fresh('zero'), 'float32', [], [0]), c.tensor(c.fresh('six'), 'float32', [], [6])], [], out);
    case 'Reshape':
      return void c.one('Reshape', [inputs[0], c.i64(reshapeDims(a.shape as Dim[], out))], [], out);
    case 'Transpose':
      return void c.one('Transpose', inputs, [intList('perm', a.perm as number[])], out);
    case 'BatchMatMul': {
      const swap = (x: string, r: number) =>
        c.one('Transpose', [x], [intList('perm', [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2])]);
      const lhs = a.transposeA ? swap(inputs[0], n.inputShapes[0].length) : inputs[0];
      const rhs = a.transposeB ? swap(inputs[1], n.inputShapes[1].length) : inputs[1];
      return void c.one('MatMul', [lhs, rhs], [], out);
    }
    case 'Tile':
      return void c.one('Tile', [inputs[0], c.dims(a.reps as Dim[])], [], out);
    case 'Concat':
      return void c.one('Concat', inputs, [int('axis', positiveAxis(a.axis as number, rank))], out);
    case 'Mean':
      return void c.one('ReduceMean', inputs, [intList('axes', axes(a.axis, n)), int('keepdims', a.keepDims ? 1 : 0)], out);
    case 'Sum':
      return void c.one('ReduceSum', [inputs[0], c.i64(axes(a.axis, n))], [int('keepdims', a.keepDims ? 1 : 0)], out);
    case 'Cast':
      return void c.one('Cast', inputs, [int('to', CAST[a.dtype as string] ?? ONNX_TYPE.int32)], out);
    case 'SplitV': {
      const axis = positiveAxis(a.axis as number, rank);
      const splits = a.numOrSizeSplits;
      const sizes =
        typeof splits === 'number'
          ? new Array<number>(splits).fill(staticDim(n.outputShapes[0][axis], out))
          : (splits as Dim[]).map((d) => staticDim(d, out));
      const outs = c.add('Split', [inputs[0], c.i64(sizes)], [int('axis', axis)], out.replace(/:\d+$/, ''), sizes.length);
      if (outs.length === 1) c.one('Identity', outs, [], out);
      return;
    }
    case 'Softmax':
      return void c.one('Softmax', inputs, [int('axis', -1)], out);
    case 'Slice': {
      const begin = (a.begin as Dim[]).map((d) => staticDim(d, out));
      const ends = (a.size as Dim[]).map((d, i) => (typeof d === 'number' && d !== -1 ? begin[i] + d : TO_END));
      return void c.one('Slice', [inputs[0], c.i64(begin), c.i64(ends)], [], out);
    }
    case 'Conv2D':
    case 'DepthwiseConv2dNative': {
      const [kh, kw, cin, cout] = n.inputShapes[1] as number[];
      const depthwise = n.kernel === 'DepthwiseConv2dNative';
      let weight = c.one('Transpose', [inputs[1]], [intList('perm', depthwise ? [2, 3, 0, 1] : [3, 2, 0, 1])]);
      if (depthwise) weight = c.one('Reshape', [weight, c.i64([cin * cout, 1, kh, kw])]);
      const attrs = [
        intList('strides', pair(a.strides)),
        intList('dilations', pair(a.dilations ?? 1)),
        intList('pads', onnxPads(n, [kh, kw], out)),
        intList('kernel_shape', [kh, kw]),
      ];
      if (depthwise) attrs.push(int('group', cin));
      const y = c.one('Conv', [toNchw(inputs[0], c), weight], attrs);
      return void c.one('Transpose', [y], [intList('perm', [0, 2, 3, 1])], out);
    }
    case 'MaxPool':
    case 'AvgPool': {
      const kernel = pair(a.filterSize);
      const attrs = [intList('kernel_shape', kernel), intList('strides', pair(a.strides)), intList('pads', onnxPads(n, kernel, out))];
      const y = c.one(n.kernel === 'MaxPool' ? 'MaxPool' : 'AveragePool', [toNchw(inputs[0], c)], attrs);
      return void c.one('Transpose', [y], [intList('perm', [0, 2, 3, 1])], out);
    }
    case 'FusedBatchNorm': {
      // (x - mean) · scale / sqrt(variance + eps) + offset, over the last axis as tfjs computes it.
      const get = (key: string) => inputs[n.inputKeys.indexOf(key)];
      const eps = c.tensor(c.fresh('eps'), 'float32', [], [a.varianceEpsilon as number]);
      let y = c.one('Sub', [get('x'), get('mean')]);
      y = c.one('Div', [y, c.one('Sqrt', [c.one('Add', [get('variance'), eps])])]);
      if (n.inputKeys.includes('scale')) y = c.one('Mul', [y, get('scale')]);
      return void c.one(n.inputKeys.includes('offset') ? 'Add' : 'Identity', n.inputKeys.includes('offset') ? [y, get('offset')] : [y], [], out);
    }
    case 'PadV2': {
      const paddings = a.paddings as number[][];
      const pads = [...paddings.map((p) => p[0]), ...paddings.map((p) => p[1])];
      const value = c.tensor(c.fresh('pad_value'), 'float32', [], [(a.constantValue as number) ?? 0]);
      return void c.one('Pad', [inputs[0], c.i64(pads), value], [], out);
    }
    case 'GatherV2':
      if (((a.batchDims as number) ?? 0) !== 0) throw new Error(`${out}: gather with batch dimensions`);
      return void c.one('Gather', inputs, [int('axis', positiveAxis(a.axis as number, rank))], out);
    default:
      throw new Error(`kernel ${n.kernel} has no ONNX translation`);
  }
}

function toNchw(x: string, c: Ctx): string {
  return c.one('Transpose', [x], [intList('perm', [0, 3, 1, 2])]);
}

/** ONNX pads [top, left, bottom, right] for a tfjs NHWC convolution or pooling: TF's SAME puts the odd pixel last. */
function onnxPads(n: GraphNode, kernel: [number, number], where: string): number[] {
  const { padding, explicit } = convPadding(n.attrs.pad, where);
  if (explicit) return [explicit[2], explicit[4], explicit[3], explicit[5]];
  if (padding === 'VALID') return [0, 0, 0, 0];
  const strides = pair(n.attrs.strides);
  const dilations = pair(n.attrs.dilations ?? 1);
  const pads = [0, 1].map((i) => {
    const size = staticDim(n.inputShapes[0][1 + i], where);
    const out = Math.ceil(size / strides[i]);
    const total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  });
  return [pads[0][0], pads[1][0], pads[0][1], pads[1][1]];
}
