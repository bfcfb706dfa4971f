import * as tf from '@tensorflow/tfjs-core';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** Everything a convolution gradient kernel needs to know about one NHWC convolution. */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  /** zero rows / columns conceptually added before the input (may exceed the kernel reach) */
  padTop: number;
  padLeft: number;
}

export interface ConvGeometryOptions {
  inShape: number[];
  filterShape: number[];
  strides: number | number[];
  dilations: number | number[];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  depthwise: boolean;
}

/** Same output size and padding as the forward op: tfjs-core's own computeConv2DInfo decides them. */
export function convGeometry(o: ConvGeometryOptions): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    o.inShape as [number, number, number, number],
    o.filterShape as [number, number, number, number],
    o.strides as [number, number] | number,
    o.dilations as [number, number] | number,
    o.pad,
    o.dimRoundingMode,
    o.depthwise,
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** A 1×1 filter at stride 1 without padding: every output position sees exactly its own input pixel. */
export function isPointwise(g: ConvGeometry): boolean {
  return (
    g.filterHeight === 1 &&
    g.filterWidth === 1 &&
    g.strideHeight === 1 &&
    g.strideWidth === 1 &&
    g.padTop === 0 &&
    g.padLeft === 0 &&
    g.outHeight === g.inHeight &&
    g.outWidth === g.inWidth
  );
}

/**
 * The geometry as the native kernels take it (kernels.c: conv_geometry, and the depthwise kernels'
 * arguments): H, W, C, OH, OW, KH, KW, stride h/w, dilation h/w, padding top/left.
 */
export function geometryArgs(g: ConvGeometry): number[] {
  return [
    g.inHeight,
    g.inWidth,
    g.inChannels,
    g.outHeight,
    g.outWidth,
    g.filterHeight,
    g.filterWidth,
    g.strideHeight,
    g.strideWidth,
    g.dilationHeight,
    g.dilationWidth,
    g.padTop,
    g.padLeft,
  ];
}
