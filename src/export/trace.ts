import * as tf from '@tensorflow/tfjs-core';
import { setOptimizationsEnabled } from '../backend/optimizations';
import { ClassifierModel } from '../models/classifier';

/** A value in a traced graph: the model input, a weight, a constant, or a kernel's output. */
export type TraceValue =
  | { kind: 'input'; shape: number[]; dtype: tf.DataType }
  | { kind: 'weight'; name: string; shape: number[]; dtype: tf.DataType }
  | { kind: 'constant'; shape: number[]; dtype: tf.DataType; values: tf.TypedArray }
  | { kind: 'output'; node: number; index: number; shape: number[]; dtype: tf.DataType };

/** One tfjs kernel call: its name, its named inputs (value ids, in the kernel's order) and attributes. */
export interface TraceNode {
  kernel: string;
  inputs: [string, number][];
  attrs: Record<string, unknown>;
  outputs: number[];
}

export interface Trace {
  values: Map<number, TraceValue>;
  nodes: TraceNode[];
  input: number;
  output: number;
}

/**
 * Records the tfjs kernels one eval-mode forward pass runs (only the outermost calls: a kernel that runs
 * others counts once), with fundus-train's fused kernels switched off so that every kernel is a stock tfjs
 * kernel with a TensorFlow (and ONNX) equivalent. Tracing the real forward pass rather than writing a graph
 * emitter per layer keeps one code path for every family: whatever the model computes is what is exported.
 */
export function traceForward(model: ClassifierModel, batch: number): Trace {
  const engine = tf.engine();
  const original = engine.runKernel.bind(engine);
  const values = new Map<number, TraceValue>();
  const nodes: TraceNode[] = [];
  const weights = new Map(model.namedVariables().map((v) => [v.variable.id, v]));
  const size = model.imageSize;
  const x = tf.randomUniform([batch, size, size, 3], -2, 2, 'float32', 7) as tf.Tensor4D;
  values.set(x.id, { kind: 'input', shape: x.shape, dtype: 'float32' });
  let depth = 0;
  const known = (t: tf.Tensor): number => {
    if (!values.has(t.id)) {
      const w = weights.get(t.id);
      if (w) values.set(t.id, { kind: 'weight', name: w.name, shape: t.shape, dtype: t.dtype });
      else values.set(t.id, { kind: 'constant', shape: t.shape, dtype: t.dtype, values: t.dataSync().slice() });
    }
    return t.id;
  };
  const wasTraining = model
    .modules()
    .filter(([, m]) => m.training)
    .map(([, m]) => m);
  const previous = setOptimizationsEnabled(false);
  (engine as { runKernel: unknown }).runKernel = (kernel: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap) => {
    if (depth > 0) return original(kernel, inputs, attrs);
    const ins = Object.entries(inputs)
      .filter(([, t]) => t != null)
      .map(([k, t]) => [k, known(t)] as [string, number]);
    depth++;
    let out: tf.Tensor | tf.Tensor[];
    try {
      out = original(kernel, inputs, attrs);
    } finally {
      depth--;
    }
    const outs = Array.isArray(out) ? out : [out];
    const node = nodes.length;
    nodes.push({ kernel, inputs: ins, attrs: { ...attrs }, outputs: outs.map((t) => t.id) });
    outs.forEach((t, index) => values.set(t.id, { kind: 'output', node, index, shape: t.shape, dtype: t.dtype }));
    return out;
  };
  let output: tf.Tensor;
  try {
    model.setTraining(false);
    output = model.forward(x);
  } finally {
    (engine as { runKernel: unknown }).runKernel = original;
    setOptimizationsEnabled(previous);
    model.setTraining(false);
    for (const m of wasTraining) m.training = true;
    x.dispose();
  }
  const id = output.id;
  output.dispose();
  if (!values.has(id)) throw new Error(`tracing ${model.modelName}: the output was not computed by a kernel`);
  return { values, nodes, input: x.id, output: id };
}
