import * as tf from '@tensorflow/tfjs-core';
import { inputTensor, KernelArgs } from './kernel-registration';

/**
 * UnsortedSegmentSum for wasm (the gradient of gather, e.g. of a relative-position-bias table):
 * out[s, ...] = Σ over i with segmentIds[i] = s of x[i, ...]. wasm's ScatterNd adds rows that share an
 * index, which is exactly this sum. Ids outside [0, numSegments) contribute nothing (TensorFlow's rule):
 * they are sent to one extra row that is cut off.
 */
export function unsortedSegmentSum(args: KernelArgs): tf.TensorInfo {
  const { numSegments } = args.attrs as unknown as tf.UnsortedSegmentSumAttrs;
  return tf.tidy(() => {
    const x = inputTensor(args, 'x');
    const ids = inputTensor(args, 'segmentIds');
    const rows = ids.size;
    const rowShape = x.shape.slice(ids.rank);
    const flatIds = tf.reshape(tf.cast(ids, 'int32'), [rows]);
    const outside = tf.logicalOr(tf.less(flatIds, 0), tf.greaterEqual(flatIds, numSegments));
    const target = tf.where(outside, tf.fill([rows], numSegments, 'int32'), flatIds);
    const summed = tf.scatterND(tf.reshape(target, [rows, 1]), tf.reshape(x, [rows, ...rowShape]), [numSegments + 1, ...rowShape]);
    return tf.slice(summed, 0, numSegments);
  });
}
