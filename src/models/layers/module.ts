import * as tf from '@tensorflow/tfjs-core';

/**
 * How a parameter is laid out here versus in a PyTorch state dict, so that weights
 * move between the two without either side knowing about the other.
 * - conv2d: ours [kh, kw, in, out], torch [out, in, kh, kw]
 * - depthwise: ours [kh, kw, channels, 1], torch [channels, 1, kh, kw]
 * - linear: ours [in, out], torch [out, in]
 * - plain: identical
 */
export type ParamLayout = 'conv2d' | 'depthwise' | 'linear' | 'plain';

export interface NamedVariable {
  name: string;
  variable: tf.Variable;
  layout: ParamLayout;
  /** Buffers (batch-norm statistics) are state, never trained. */
  isBuffer: boolean;
}

interface OwnEntry {
  variable: tf.Variable;
  layout: ParamLayout;
  isBuffer: boolean;
}

/**
 * A building block with named parameters and child blocks, in the manner of torch.nn.Module:
 * the dotted names of `namedVariables()` are the state-dict names that timm uses for the same model,
 * so pretrained weights map by name. Tensors are NHWC (TensorFlow.js convention).
 */
export abstract class Module {
  private readonly own = new Map<string, OwnEntry>();
  private readonly children = new Map<string, Module>();
  /** Training mode: batch norm uses batch statistics, dropout and drop-path are active. */
  training = false;

  protected addParam(name: string, value: tf.Tensor, layout: ParamLayout = 'plain'): tf.Variable {
    return this.addEntry(name, value, layout, false);
  }

  protected addBuffer(name: string, value: tf.Tensor): tf.Variable {
    return this.addEntry(name, value, 'plain', true);
  }

  protected addChild<M extends Module>(name: string, child: M): M {
    if (this.children.has(name) || this.own.has(name)) throw new Error(`duplicate module entry "${name}"`);
    this.children.set(name, child);
    return child;
  }

  private addEntry(name: string, value: tf.Tensor, layout: ParamLayout, isBuffer: boolean): tf.Variable {
    if (this.children.has(name) || this.own.has(name)) throw new Error(`duplicate module entry "${name}"`);
    const variable = tf.variable(value, !isBuffer);
    value.dispose();
    this.own.set(name, { variable, layout, isBuffer });
    return variable;
  }

  /** Every parameter and buffer of this module and its children, with timm-style dotted names. */
  namedVariables(prefix = ''): NamedVariable[] {
    const out: NamedVariable[] = [];
    for (const [name, e] of this.own) out.push({ name: prefix + name, ...e });
    for (const [name, child] of this.children) out.push(...child.namedVariables(`${prefix}${name}.`));
    return out;
  }

  /** Trainable parameters (not buffers). */
  parameters(): tf.Variable[] {
    return this.namedVariables()
      .filter((v) => !v.isBuffer)
      .map((v) => v.variable);
  }

  /** Number of parameters (buffers excluded), as timm counts them. */
  countParams(): number {
    return this.namedVariables()
      .filter((v) => !v.isBuffer)
      .reduce((n, v) => n + v.variable.size, 0);
  }

  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** The child at a dotted path, e.g. "blocks.3". */
  child(path: string): Module {
    return path.split('.').reduce<Module>((m, part) => {
      const next = m.children.get(part);
      if (!next) throw new Error(`no module "${path}"`);
      return next;
    }, this);
  }

  /** Every module in the tree, depth first, with its dotted path. */
  modules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix.replace(/\.$/, ''), this]];
    for (const [name, child] of this.children) out.push(...child.modules(`${prefix}${name}.`));
    return out;
  }

  /** Sets training mode on this module and every child; returns this. */
  setTraining(training: boolean): this {
    for (const [, m] of this.modules()) m.training = training;
    return this;
  }

  /** The arguments this module was built with (JSON), as Keras layers' getConfig(). */
  abstract getConfig(): Record<string, unknown>;

  dispose(): void {
    for (const v of this.namedVariables()) v.variable.dispose();
  }
}
