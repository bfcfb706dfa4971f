import { ClassifierModel } from '../models/classifier';
import { Trace, traceForward } from './trace';

/** A dimension of an exported graph: fixed, or `batch` times the dynamic batch size. */
export type Dim = number | { batch: number };

/** A tensor the graph holds: a trained weight (timm name) or a constant the forward pass made. */
export interface GraphTensor {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  values: Float32Array | Int32Array;
  isWeight: boolean;
}

/** One tfjs kernel of the forward pass; attributes that scale with the batch hold Dim entries. */
export interface GraphNode {
  kernel: string;
  /** Value names, in the kernel's input order (tfjs's NamedTensorMap keys in `inputKeys`). */
  inputs: string[];
  inputKeys: string[];
  attrs: Record<string, unknown>;
  outputs: string[];
  inputShapes: Dim[][];
  outputShapes: Dim[][];
}

/**
 * A model's eval-mode forward pass as a kernel graph with a dynamic batch dimension: NHWC float images in
 * (already normalised), logits out. Writers (TensorFlow GraphDef, ONNX) translate it node by node.
 */
export interface ExportGraph {
  input: { name: string; shape: Dim[] };
  output: string;
  tensors: GraphTensor[];
  nodes: GraphNode[];
}

export const INPUT_NAME = 'image';
/** Two batch sizes whose traces are compared: a dimension that differs between them is the batch. */
const BATCHES = [2, 3] as const;

/**
 * Traces the model at two batch sizes and merges the traces: the kernels and constants must agree, and
 * every integer attribute that differs is batch·k (k found from the first trace, checked on the second).
 */
export function buildGraph(model: ClassifierModel): ExportGraph {
  const [a, b] = BATCHES.map((n) => traceForward(model, n));
  if (a.nodes.length !== b.nodes.length || a.nodes.some((n, i) => n.kernel !== b.nodes[i].kernel)) {
    throw new Error(
      `${model.modelName}: the forward pass runs different kernels at batch ${BATCHES[0]} and ${BATCHES[1]}; it cannot be exported with a dynamic batch`,
    );
  }
  const names = new Map<number, string>();
  const tensors: GraphTensor[] = [];
  names.set(a.input, INPUT_NAME);
  a.nodes.forEach((n, i) => n.outputs.forEach((id, k) => names.set(id, n.outputs.length > 1 ? `n${i}_${n.kernel}:${k}` : `n${i}_${n.kernel}`)));
  const nameOf = (trace: Trace, id: number, other: Trace, otherId: number): string => {
    const known = names.get(id);
    if (known) return known;
    const v = trace.values.get(id)!;
    if (v.kind === 'weight') {
      names.set(id, v.name);
      tensors.push({ name: v.name, shape: v.shape, dtype: 'float32', values: weightValues(model, v.name), isWeight: true });
      return v.name;
    }
    if (v.kind !== 'constant') throw new Error(`${model.modelName}: value ${id} has no producer`);
    const w = other.values.get(otherId)!;
    if (w.kind !== 'constant' || w.shape.join(',') !== v.shape.join(',') || !sameValues(v.values, w.values)) {
      throw new Error(`${model.modelName}: a constant depends on the batch size; it cannot be exported with a dynamic batch`);
    }
    const name = `const${tensors.length}`;
    names.set(id, name);
    const dtype = v.dtype === 'float32' ? 'float32' : 'int32';
    const values = dtype === 'float32' ? Float32Array.from(v.values as Float32Array) : Int32Array.from(v.values as Int32Array);
    tensors.push({ name, shape: v.shape, dtype, values, isWeight: false });
    return name;
  };
  const nodes: GraphNode[] = a.nodes.map((n, i) => {
    const m = b.nodes[i];
    return {
      kernel: n.kernel,
      inputKeys: n.inputs.map(([k]) => k),
      inputs: n.inputs.map(([, id], j) => nameOf(a, id, b, m.inputs[j][1])),
      attrs: mergeAttrs(n.attrs, m.attrs, `${model.modelName} node ${i} (${n.kernel})`),
      outputs: n.outputs.map((id) => names.get(id)!),
      inputShapes: n.inputs.map(([, id], j) => mergeDims(shapeOf(a, id), shapeOf(b, m.inputs[j][1]), `${n.kernel} input`)),
      outputShapes: n.outputs.map((id, k) => mergeDims(shapeOf(a, id), shapeOf(b, m.outputs[k]), `${n.kernel} output`)),
    };
  });
  const size = model.imageSize;
  return { input: { name: INPUT_NAME, shape: [{ batch: 1 }, size, size, 3] }, output: names.get(a.output)!, tensors, nodes };
}

function shapeOf(trace: Trace, id: number): number[] {
  return trace.values.get(id)!.shape;
}

function weightValues(model: ClassifierModel, name: string): Float32Array {
  const v = model.namedVariables().find((e) => e.name === name)!;
  return Float32Array.from(v.variable.dataSync() as Float32Array);
}

function sameValues(x: ArrayLike<number>, y: ArrayLike<number>): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i] && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) return false;
  return true;
}

function mergeDims(x: number[], y: number[], where: string): Dim[] {
  if (x.length !== y.length) throw new Error(`${where}: rank depends on the batch size`);
  return x.map((d, i) => {
    if (d === y[i]) return d;
    const k = d / BATCHES[0];
    if (!Number.isInteger(k) || k * BATCHES[1] !== y[i]) throw new Error(`${where}: dimension ${i} (${d} vs ${y[i]}) is not a multiple of the batch`);
    return { batch: k };
  });
}

function mergeAttrs(x: Record<string, unknown>, y: Record<string, unknown>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(x)) {
    const other = y[key];
    if (JSON.stringify(value) === JSON.stringify(other)) out[key] = value;
    else if (Array.isArray(value) && Array.isArray(other) && value.every((v) => typeof v === 'number'))
      out[key] = mergeDims(value as number[], other as number[], `${where} ${key}`);
    else throw new Error(`${where}: attribute ${key} depends on the batch size`);
  }
  return out;
}

/** Whether a Dim list is all fixed numbers. */
export function isStatic(dims: Dim[]): dims is number[] {
  return dims.every((d) => typeof d === 'number');
}
