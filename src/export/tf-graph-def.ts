import { Dim, ExportGraph, GraphNode, INPUT_NAME, isStatic } from './graph';

/** A TensorFlow NodeDef in the JSON form tfjs-converter reads (attr values in TF's AttrValue encoding). */
export interface TfNode {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, unknown>;
}

/** A Const node's value, stored in the weight shards under the node's name. */
export interface TfConst {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  values: Float32Array | Int32Array;
}

export interface TfGraph {
  nodes: TfNode[];
  consts: TfConst[];
  outputs: { logits: string; probabilities: string };
}

const DT = { float32: 'DT_FLOAT', int32: 'DT_INT32' } as const;
const list = (i: number[]) => ({ list: { i: i.map(String) } });
const str = (s: string) => ({ s: Buffer.from(s).toString('base64') });

/**
 * Translates the kernel graph to a TensorFlow GraphDef, the topology of a tfjs GraphModel: each tfjs kernel
 * becomes the TF op tfjs-converter maps back to it. In front: RGB in [0, 1] minus mean, divided by std;
 * behind: softmax or sigmoid, so that the exported model gives probabilities as predict does.
 */
export function toTfGraph(graph: ExportGraph, normalize: { mean: number[]; std: number[] }, output: 'softmax' | 'sigmoid'): TfGraph {
  const nodes: TfNode[] = [];
  const consts: TfConst[] = [];
  const add = (name: string, op: string, input: string[], attr: Record<string, unknown> = {}): string => {
    nodes.push({ name, op, input, attr });
    return name;
  };
  const constant = (name: string, dtype: 'float32' | 'int32', shape: number[], values: ArrayLike<number>): string => {
    consts.push({ name, shape, dtype, values: dtype === 'float32' ? Float32Array.from(values) : Int32Array.from(values) });
    return add(name, 'Const', [], {
      dtype: { type: DT[dtype] },
      value: { tensor: { dtype: DT[dtype], tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } },
    });
  };
  let counter = 0;
  const ints = (values: number[]) => constant(`shape_const${counter++}`, 'int32', [values.length], values);
  const scalarInt = (value: number) => constant(`shape_const${counter++}`, 'int32', [], [value]);
  add(INPUT_NAME, 'Placeholder', [], {
    dtype: { type: 'DT_FLOAT' },
    shape: { shape: { dim: graph.input.shape.map((d) => ({ size: String(typeof d === 'number' ? d : -1) })) } },
  });
  // The batch size as a [1] int32 tensor, for shapes that scale with it (built only when needed).
  let batchName: string | null = null;
  const batch = () => {
    if (batchName) return batchName;
    const shape = add('batch/shape', 'Shape', [INPUT_NAME], { out_type: { type: 'DT_INT32' }, T: { type: 'DT_FLOAT' } });
    batchName = add('batch/size', 'Slice', [shape, ints([0]), ints([1])], { T: { type: 'DT_INT32' }, Index: { type: 'DT_INT32' } });
    return batchName;
  };
  const dims = (values: Dim[]): string => {
    if (isStatic(values)) return ints(values);
    const parts = values.map((d) =>
      typeof d === 'number'
        ? ints([d])
        : d.batch === 1
          ? batch()
          : add(`dims${counter++}`, 'Mul', [batch(), ints([d.batch])], { T: { type: 'DT_INT32' } }),
    );
    return add(`dims${counter++}`, 'ConcatV2', [...parts, scalarInt(0)], {
      N: { i: String(parts.length) },
      T: { type: 'DT_INT32' },
      Tidx: { type: 'DT_INT32' },
    });
  };
  const mean = constant('normalize/mean', 'float32', [3], normalize.mean);
  const invStd = constant(
    'normalize/inv_std',
    'float32',
    [3],
    normalize.std.map((s) => 1 / s),
  );
  const centred = add('normalize/sub', 'Sub', [INPUT_NAME, mean]);
  const normalized = add('normalize/mul', 'Mul', [centred, invStd]);
  const rename = (name: string) => (name === INPUT_NAME ? normalized : name);
  for (const t of graph.tensors) constant(t.name, t.dtype, t.shape, t.values);
  for (const n of graph.nodes) emitNode(n, n.inputs.map(rename), { add, ints, scalarInt, dims, constant });
  const logits = add('logits', 'Identity', [graph.output]);
  const probabilities = add('probabilities', output === 'softmax' ? 'Softmax' : 'Sigmoid', [logits]);
  return { nodes, consts, outputs: { logits, probabilities } };
}

interface Emit {
  add(name: string, op: string, input: string[], attr?: Record<string, unknown>): string;
  ints(values: number[]): string;
  scalarInt(value: number): string;
  dims(values: Dim[]): string;
  constant(name: string, dtype: 'float32' | 'int32', shape: number[], values: ArrayLike<number>): string;
}

const BINARY: Record<string, string> = {
  Add: 'AddV2',
  Sub: 'Sub',
  Multiply: 'Mul',
  RealDiv: 'RealDiv',
  Maximum: 'Maximum',
  Minimum: 'Minimum',
  Pow: 'Pow',
  SquaredDifference: 'SquaredDifference',
};
const UNARY: Record<string, string> = {
  Square: 'Square',
  Rsqrt: 'Rsqrt',
  Sqrt: 'Sqrt',
  Erf: 'Erf',
  Sigmoid: 'Sigmoid',
  Relu: 'Relu',
  Relu6: 'Relu6',
  Exp: 'Exp',
  Tanh: 'Tanh',
  Neg: 'Neg',
  Abs: 'Abs',
  Log: 'Log',
  Identity: 'Identity',
  Reciprocal: 'Reciprocal',
  Elu: 'Elu',
  Softplus: 'Softplus',
};

function emitNode(n: GraphNode, inputs: string[], e: Emit): void {
  const name = n.outputs[0].replace(/:\d+$/, '');
  const a = n.attrs;
  const rank = () => n.inputShapes[0].length;
  if (BINARY[n.kernel]) return void e.add(name, BINARY[n.kernel], inputs);
  if (UNARY[n.kernel]) return void e.add(name, UNARY[n.kernel], inputs);
  switch (n.kernel) {
    case 'Reshape':
      return void e.add(name, 'Reshape', [inputs[0], e.ints(reshapeDims(a.shape as Dim[], name))]);
    case 'Transpose':
      return void e.add(name, 'Transpose', [inputs[0], e.ints(a.perm as number[])]);
    case 'BatchMatMul':
      return void e.add(name, 'BatchMatMulV2', inputs, { adj_x: { b: !!a.transposeA }, adj_y: { b: !!a.transposeB } });
    case 'Tile':
      return void e.add(name, 'Tile', [inputs[0], e.dims(a.reps as Dim[])]);
    case 'Concat':
      return void e.add(name, 'ConcatV2', [...inputs, e.scalarInt(positiveAxis(a.axis as number, rank()))], { N: { i: String(inputs.length) } });
    case 'Mean':
    case 'Sum':
      return void e.add(name, n.kernel, [inputs[0], e.ints(axes(a.axis, n))], { keep_dims: { b: !!a.keepDims } });
    case 'Cast':
      return void e.add(name, 'Cast', inputs, { DstT: { type: a.dtype === 'float32' ? 'DT_FLOAT' : a.dtype === 'bool' ? 'DT_BOOL' : 'DT_INT32' } });
    case 'SplitV': {
      const axis = positiveAxis(a.axis as number, rank());
      const splits = a.numOrSizeSplits;
      const sizes =
        typeof splits === 'number'
          ? new Array<number>(splits).fill(staticDim(n.outputShapes[0][axis], name))
          : (splits as Dim[]).map((d) => staticDim(d, name));
      return void e.add(name, 'SplitV', [inputs[0], e.ints(sizes), e.scalarInt(axis)], { num_split: { i: String(sizes.length) } });
    }
    case 'Softmax':
      if (positiveAxis((a.dim as number) ?? -1, rank()) !== rank() - 1) throw new Error(`${name}: softmax over a non-last axis`);
      return void e.add(name, 'Softmax', inputs);
    case 'Slice': {
      const begin = (a.begin as Dim[]).map((d) => staticDim(d, name));
      const size = (a.size as Dim[]).map((d, i) => (typeof d === 'number' ? d : begin[i] === 0 ? -1 : fail(`${name}: a slice of the batch`)));
      return void e.add(name, 'Slice', [inputs[0], e.ints(begin), e.ints(size)]);
    }
    case 'Conv2D':
    case 'DepthwiseConv2dNative': {
      const { padding, explicit } = convPadding(a.pad, name);
      const attr: Record<string, unknown> = {
        strides: list([1, ...pair(a.strides), 1]),
        dilations: list([1, ...pair(a.dilations ?? 1), 1]),
        padding: str(padding),
        data_format: str('NHWC'),
      };
      if (explicit) attr.explicit_paddings = list(explicit);
      checkRounding(a, name);
      return void e.add(name, n.kernel, inputs, attr);
    }
    case 'MaxPool':
    case 'AvgPool': {
      const { padding, explicit } = convPadding(a.pad, name);
      if (explicit) throw new Error(`${name}: pooling with explicit padding has no GraphModel equivalent`);
      checkRounding(a, name);
      return void e.add(name, n.kernel, inputs, {
        ksize: list([1, ...pair(a.filterSize), 1]),
        strides: list([1, ...pair(a.strides), 1]),
        padding: str(padding),
        data_format: str('NHWC'),
      });
    }
    case 'FusedBatchNorm': {
      const get = (key: string) => inputs[n.inputKeys.indexOf(key)];
      const channels = staticDim(n.outputShapes[0][rank() - 1], name);
      const scale = n.inputKeys.includes('scale')
        ? get('scale')
        : e.constant(`${name}/ones`, 'float32', [channels], new Float32Array(channels).fill(1));
      const offset = n.inputKeys.includes('offset') ? get('offset') : e.constant(`${name}/zeros`, 'float32', [channels], new Float32Array(channels));
      return void e.add(name, 'FusedBatchNormV3', [get('x'), scale, offset, get('mean'), get('variance')], {
        epsilon: { f: a.varianceEpsilon as number },
      });
    }
    case 'PadV2': {
      const paddings = (a.paddings as number[][]).flat();
      const value = e.constant(`${name}/value`, 'float32', [], [(a.constantValue as number) ?? 0]);
      return void e.add(name, 'PadV2', [inputs[0], e.constant(`${name}/paddings`, 'int32', [paddings.length / 2, 2], paddings), value]);
    }
    case 'GatherV2':
      return void e.add(name, 'GatherV2', [...inputs, e.scalarInt(a.axis as number)], { batch_dims: { i: String((a.batchDims as number) ?? 0) } });
    default:
      throw new Error(`kernel ${n.kernel} has no TensorFlow GraphDef translation`);
  }
}

function fail(message: string): never {
  throw new Error(message);
}

export function staticDim(d: Dim, where: string): number {
  return typeof d === 'number' ? d : fail(`${where}: a size that depends on the batch`);
}

/** Reshape's target with the one batch-dependent entry as -1 (TF, tfjs and ONNX all infer it). */
export function reshapeDims(shape: Dim[], where: string): number[] {
  const dynamic = shape.filter((d) => typeof d !== 'number').length;
  if (dynamic > 1) throw new Error(`${where}: reshape with ${dynamic} batch-dependent sizes`);
  return shape.map((d) => (typeof d === 'number' ? d : -1));
}

export function positiveAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

export function axes(axis: unknown, n: GraphNode): number[] {
  const rank = n.inputShapes[0].length;
  return (Array.isArray(axis) ? (axis as number[]) : [axis as number]).map((x) => positiveAxis(x, rank));
}

export function pair(v: unknown): [number, number] {
  return Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number];
}

/** tfjs's `pad`: 'same' / 'valid', a number (all sides), or [[0,0],[t,b],[l,r],[0,0]]. */
export function convPadding(pad: unknown, where: string): { padding: 'SAME' | 'VALID' | 'EXPLICIT'; explicit?: number[] } {
  if (pad === 'same') return { padding: 'SAME' };
  if (pad === 'valid') return { padding: 'VALID' };
  if (typeof pad === 'number') return pad === 0 ? { padding: 'VALID' } : { padding: 'EXPLICIT', explicit: [0, 0, pad, pad, pad, pad, 0, 0] };
  if (Array.isArray(pad)) return { padding: 'EXPLICIT', explicit: (pad as number[][]).flat() };
  return fail(`${where}: unknown padding ${JSON.stringify(pad)}`);
}

function checkRounding(a: Record<string, unknown>, where: string): void {
  if (a.dimRoundingMode != null) throw new Error(`${where}: dimRoundingMode ${String(a.dimRoundingMode)} has no equivalent`);
}
