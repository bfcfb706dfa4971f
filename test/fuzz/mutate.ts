/**
 * Seeded mutations of weight files: bit flips, extreme bytes, length fields set to extremes,
 * truncations, spliced chunks, and random pickle opcode streams. Every mutation is a pure
 * function of the Rng, so a failing case is reproduced from its seed and index alone.
 */
import { Rng } from '../../src/util/random';
import { PicklePart, op, pickleBytes } from '../models/weights/pickle-builder';

export type Mutator = (bytes: Uint8Array, rng: Rng) => Uint8Array;

const EXTREME_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];
const EXTREME_U32 = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const EXTREME_U64 = [0n, 1n, (1n << 31n) - 1n, 1n << 32n, (1n << 53n) + 1n, 1n << 63n, (1n << 64n) - 1n];

function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

export const mutators: Record<string, Mutator> = {
  bitFlips: (bytes, rng) => {
    const out = copy(bytes);
    for (let i = 1 + rng.int(8); i > 0 && out.length > 0; i--) out[rng.int(out.length)] ^= 1 << rng.int(8);
    return out;
  },
  extremeBytes: (bytes, rng) => {
    const out = copy(bytes);
    for (let i = 1 + rng.int(4); i > 0 && out.length > 0; i--) out[rng.int(out.length)] = EXTREME_BYTES[rng.int(EXTREME_BYTES.length)];
    return out;
  },
  /** A 16/32/64-bit little-endian field anywhere set to an extreme: sizes, offsets, counts, lengths. */
  lengthField: (bytes, rng) => {
    const out = Buffer.from(copy(bytes));
    const width = [2, 4, 8][rng.int(3)];
    if (out.length < width) return out;
    const at = rng.int(out.length - width + 1);
    if (width === 2) out.writeUInt16LE([0, 1, 0x7fff, 0xffff][rng.int(4)], at);
    else if (width === 4)
      out.writeUInt32LE(rng.next() < 0.2 ? Math.min(0xffffffff, bytes.length + rng.int(16)) : EXTREME_U32[rng.int(EXTREME_U32.length)], at);
    else out.writeBigUInt64LE(EXTREME_U64[rng.int(EXTREME_U64.length)], at);
    return out;
  },
  truncate: (bytes, rng) => bytes.slice(0, rng.int(bytes.length + 1)),
  splice: (bytes, rng) => {
    if (bytes.length === 0) return bytes;
    const from = rng.int(bytes.length);
    const chunk = bytes.subarray(from, from + 1 + rng.int(64));
    const at = rng.int(bytes.length + 1);
    if (rng.next() < 0.5) return Buffer.concat([bytes.subarray(0, at), chunk, bytes.subarray(at)]);
    return Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + chunk.length))]);
  },
};

const MUTATOR_NAMES = Object.keys(mutators);

/** 1–3 random mutations of `bytes`; returns the result and their names. */
export function mutate(bytes: Uint8Array, rng: Rng): { bytes: Uint8Array; how: string[] } {
  let out = bytes;
  const how: string[] = [];
  for (let i = 1 + rng.int(3); i > 0; i--) {
    const name = MUTATOR_NAMES[rng.int(MUTATOR_NAMES.length)];
    out = mutators[name](out, rng);
    how.push(name);
  }
  return { bytes: out, how };
}

function u32le(n: number): number[] {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return [...b];
}

function ints(rng: Rng, n: number): PicklePart[] {
  const pick = () => (rng.next() < 0.7 ? op.int1(rng.int(8)) : op.int4([0, 1, 2 ** 16, 2 ** 30, 2 ** 31 - 1, -1][rng.int(6)]));
  return [op.mark, ...Array.from({ length: n }, pick), op.tuple];
}

/** Pieces of pickle programs: the instructions a state dict uses, and the ones a hostile file would. */
const FRAGMENTS: ((rng: Rng) => PicklePart[])[] = [
  () => [op.mark],
  () => [op.emptyDict],
  () => [op.emptyList],
  () => [op.emptyTuple],
  () => [op.emptySet],
  () => [op.setItem],
  () => [op.setItems],
  () => [op.append],
  () => [op.appends],
  () => [op.addItems],
  () => [op.tuple],
  () => [op.tuple1],
  () => [op.tuple2],
  () => [op.tuple3],
  () => ['d'],
  () => ['l'],
  () => [[0x91]], // FROZENSET
  () => ['2'], // DUP
  () => ['1'], // POP_MARK
  () => [op.pop],
  (rng) => [op.put(rng.int(4))],
  (rng) => [op.get(rng.int(4))],
  () => [op.memoize],
  (rng) => [['j'.charCodeAt(0), ...u32le(rng.int(4))]],
  (rng) => [op.int1(rng.int(256))],
  (rng) => [op.int4([0, -1, 2 ** 31 - 1, -(2 ** 31)][rng.int(4)])],
  (rng) => [op.long1(BigInt(rng.int32()) << BigInt(rng.int(200)))],
  (rng) => [[0x8b, ...u32le([0, 8, 0x7fffffff, 0xffffffff][rng.int(4)])]], // LONG4 with a wild length
  (rng) => [`I${[0, -7, 123456789][rng.int(3)]}\n`],
  (rng) => [`L${'9'.repeat(1 + rng.int(40))}L\n`],
  (rng) => [op.float([0, -1.5, Infinity, NaN][rng.int(4)])],
  (rng) => [op.unicode(['state_dict', 'model', 'module.w', 'w', 'storage', 'cpu', '0', '__proto__'][rng.int(8)])],
  (rng) => [['X'.charCodeAt(0), ...u32le([0, 3, 0x7fffffff, 0xffffffff][rng.int(4)])]], // BINUNICODE with a wild length
  (rng) => [op.bytes(Array.from({ length: rng.int(8) }, () => rng.int(256)))],
  (rng) => [op.frame([0, 1, 2 ** 40][rng.int(3)])],
  () => [op.none],
  () => [op.true],
  () => [op.false],
  () => [op.global('torch._utils', '_rebuild_tensor_v2')],
  () => [op.global('torch._utils', '_rebuild_parameter')],
  () => [op.global('torch._tensor', '_rebuild_from_type_v2')],
  () => [op.global('collections', 'OrderedDict')],
  () => [op.global('torch', 'FloatStorage')],
  () => [op.global('torch', 'Size')],
  () => [op.global('os', 'system')],
  () => [op.unicode('builtins'), op.unicode('eval'), op.stackGlobal],
  () => [op.reduce],
  () => [op.newobj],
  () => [op.build],
  () => [op.persid],
  // A storage reference and a whole tensor, with random sizes and strides.
  (rng) => [
    op.mark,
    op.unicode('storage'),
    op.global('torch', 'FloatStorage'),
    op.unicode('0'),
    op.unicode('cpu'),
    op.int1(rng.int(32)),
    op.tuple,
    op.persid,
  ],
  (rng) => {
    const rank = rng.int(4);
    return [
      op.global('torch._utils', '_rebuild_tensor_v2'),
      op.mark,
      op.mark,
      op.unicode('storage'),
      op.global('torch', 'FloatStorage'),
      op.unicode('0'),
      op.unicode('cpu'),
      op.int1(16),
      op.tuple,
      op.persid,
      op.int1(rng.int(4)),
      ...ints(rng, rank),
      ...ints(rng, rank),
      op.false,
      op.global('collections', 'OrderedDict'),
      op.emptyTuple,
      op.reduce,
      op.tuple,
      op.reduce,
    ];
  },
  (rng) => [[rng.int(256)]], // any byte, opcode or not
  () => [op.stop],
];

/** A random pickle program of up to `maxOps` fragments, usually ending in STOP. */
export function randomOpcodeStream(rng: Rng, maxOps = 60): Uint8Array {
  const parts: PicklePart[] = [op.proto(2)];
  for (let i = 1 + rng.int(maxOps); i > 0; i--) parts.push(...FRAGMENTS[rng.int(FRAGMENTS.length)](rng));
  if (rng.next() < 0.9) parts.push(op.stop);
  return pickleBytes(...parts);
}
