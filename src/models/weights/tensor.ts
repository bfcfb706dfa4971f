/**
 * Tensors as weight files hold them, before any TensorFlow.js is involved: a dtype, a
 * row-major shape and a plain typed array. Floating-point weights are always float32 here
 * (F16, BF16 and F64 files are converted on reading), integers keep their width.
 */

export type HostDType = 'float32' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export type HostData = Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface HostTensor {
  dtype: HostDType;
  shape: number[];
  /** Row-major elements; `bool` is one byte per element (0 or 1). */
  data: HostData;
  /** The dtype as stored in the file when it differed ('F16', 'BF16', 'F64', 'HalfStorage', ...). */
  sourceDType?: string;
}

/** Parameter name → tensor, in file order. */
export type StateDict = Map<string, HostTensor>;

/**
 * Weight files are little-endian and the readers view file bytes as typed arrays, which use
 * the host's byte order; every platform Node runs on in practice is little-endian.
 */
export function assertLittleEndianHost(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error('weight files can only be read on a little-endian machine');
  }
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function bytesPerElement(dtype: HostDType): number {
  switch (dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'int64':
      return 8;
    case 'int16':
      return 2;
    case 'int8':
    case 'uint8':
    case 'bool':
      return 1;
  }
}

/** A typed array of `dtype` that views `bytes` (which must be aligned for it) without copying. */
export function viewAs(dtype: HostDType, bytes: Uint8Array): HostData {
  const n = bytes.byteLength / bytesPerElement(dtype);
  switch (dtype) {
    case 'float32':
      return new Float32Array(bytes.buffer, bytes.byteOffset, n);
    case 'int64':
      return new BigInt64Array(bytes.buffer, bytes.byteOffset, n);
    case 'int32':
      return new Int32Array(bytes.buffer, bytes.byteOffset, n);
    case 'int16':
      return new Int16Array(bytes.buffer, bytes.byteOffset, n);
    case 'int8':
      return new Int8Array(bytes.buffer, bytes.byteOffset, n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(bytes.buffer, bytes.byteOffset, n);
  }
}

/** The raw bytes of a typed array (a view, not a copy). */
export function bytesOf(data: HostData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function isHostTensor(v: unknown): v is HostTensor {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as HostTensor).dtype === 'string' &&
    Array.isArray((v as HostTensor).shape) &&
    ArrayBuffer.isView((v as HostTensor).data)
  );
}

/**
 * float32 bit patterns of all 65536 half-precision values. A table is exact by construction
 * (every half value is representable in float32) and keeps NaN payloads, which a
 * Float32Array store of a JS number may not.
 */
let halfTable: Uint32Array | undefined;

function halfToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0; // inf / NaN
  if (exponent !== 0) return (sign | ((exponent - 15 + 127) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0; // ±0
  // Subnormal half (mantissa · 2^-24): shift the mantissa up until its leading 1 is the
  // implicit bit of a normal float32.
  let m = mantissa;
  let e = -14;
  while ((m & 0x400) === 0) {
    m <<= 1;
    e -= 1;
  }
  return (sign | ((e + 127) << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

function getHalfTable(): Uint32Array {
  if (!halfTable) {
    halfTable = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloatBits(h);
  }
  return halfTable;
}

/** IEEE 754 half-precision bit patterns → float32, exactly (subnormals, ±0, ±inf, NaN payloads). */
export function float16ToFloat32(halves: Uint16Array): Float32Array {
  const table = getHalfTable();
  const out = new Float32Array(halves.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) bits[i] = table[halves[i]];
  return out;
}

/** bfloat16 bit patterns → float32, exactly: bfloat16 is the upper half of a float32. */
export function bfloat16ToFloat32(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
  return out;
}

/** float64 → float32, rounding to nearest as a Float32Array store does. */
export function float64ToFloat32(values: Float64Array): Float32Array {
  return Float32Array.from(values);
}
