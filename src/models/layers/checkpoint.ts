import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module';
import { stochasticSnapshot } from './stochastic';

let recomputeDepth = 0;

/**
 * True while a checkpointed block runs its forward pass again for the backward pass. State that the
 * first run updated (batch-norm running statistics) must not be updated a second time.
 */
export function recomputing(): boolean {
  return recomputeDepth > 0;
}

/**
 * Activation checkpointing of one block (torch.utils.checkpoint, timm's checkpoint_seq): the forward pass
 * keeps only the block's input and output, and the backward pass runs the block again, this time on the
 * gradient tape, to get its gradients. A training step then holds one block's intermediates at a time
 * instead of every block's, for one more forward pass of compute.
 *
 * The block's trainable weights are explicit inputs of the custom gradient: variables read only inside
 * it would be invisible to the tape and get no gradient. The second run draws the same dropout and
 * drop-path masks as the first (a snapshot of the mask stream), so the gradients are those of the
 * forward pass that produced the loss.
 */
export function checkpoint<T extends tf.Tensor>(block: Module, x: T, forward: (x: T) => T): T {
  const weights = block.parameters().filter((v) => v.trainable);
  const masks = stochasticSnapshot();
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as T;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    // The input is the one activation kept (saved tensors outlive the caller's tidy scopes).
    save([input]);
    const value = masks.first(() => forward(input));
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const xs: tf.Tensor[] = [saved[0], ...weights];
      const grads = recompute(() => masks.replay(() => forward(saved[0] as T)), xs, dy);
      // A weight the output does not depend on (none in practice) gets zeros, as the tape would give it.
      return grads.map((g, i) => g ?? tf.zerosLike(xs[i]));
    };
    return { value, gradFunc };
  });
  return op(x, ...weights) as T;
}

/**
 * Gradients of f's output, seeded with dy, with respect to xs, computed while the caller's backward pass
 * is running. tfjs's engine keeps one tape: a gradient computation started at depth 0 replaces it and
 * clears it when done, and the outer backward pass would then find no tape to clean up. The outer tape
 * is put back afterwards; the inner computation frees its own saved tensors as any top-level one does.
 */
function recompute(f: () => tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor): (tf.Tensor | null)[] {
  const engine = tf.engine();
  const outerTape = engine.state.activeTape;
  recomputeDepth++;
  try {
    const { value, grads } = engine.gradients(f, xs, dy, true);
    value.dispose();
    return grads as (tf.Tensor | null)[];
  } finally {
    recomputeDepth--;
    engine.state.activeTape = outerTape;
  }
}
