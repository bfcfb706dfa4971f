/** Writes pickle byte code by hand, so tests can feed the unpickler exactly the instructions they mean. */

export type PicklePart = number[] | string | Uint8Array;

/** Concatenates opcodes: strings are taken byte for byte (latin1), arrays as byte values. */
export function pickleBytes(...parts: PicklePart[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))));
}

function u32(n: number): number[] {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return [...b];
}

export const op = {
  proto: (n: number): PicklePart => [0x80, n],
  frame: (n: number): PicklePart => {
    const b = Buffer.alloc(9);
    b[0] = 0x95;
    b.writeBigUInt64LE(BigInt(n), 1);
    return [...b];
  },
  global: (module: string, name: string): PicklePart => `c${module}\n${name}\n`,
  stackGlobal: [0x93] as PicklePart,
  unicode: (s: string): PicklePart => {
    const b = Buffer.from(s, 'utf8');
    return b.length < 256 ? Buffer.concat([Buffer.from([0x8c, b.length]), b]) : Buffer.concat([Buffer.from('X'), Buffer.from(u32(b.length)), b]);
  },
  binunicode: (s: string): PicklePart => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([Buffer.from('X'), Buffer.from(u32(b.length)), b]);
  },
  bytes: (data: number[]): PicklePart => [0x43, data.length, ...data],
  int1: (n: number): PicklePart => [0x4b, n],
  int2: (n: number): PicklePart => [0x4d, n & 0xff, n >> 8],
  int4: (n: number): PicklePart => {
    const b = Buffer.alloc(5);
    b[0] = 0x4a;
    b.writeInt32LE(n, 1);
    return [...b];
  },
  /** LONG1 with the two's-complement little-endian bytes of `n`. */
  long1: (n: bigint): PicklePart => {
    const bytes: number[] = [];
    let v = n;
    for (;;) {
      bytes.push(Number(v & 0xffn));
      const rest = v >> 8n;
      const signBit = (bytes[bytes.length - 1] & 0x80) !== 0;
      if ((rest === 0n && !signBit) || (rest === -1n && signBit)) break;
      v = rest;
    }
    return [0x8a, bytes.length, ...bytes];
  },
  float: (x: number): PicklePart => {
    const b = Buffer.alloc(9);
    b[0] = 0x47;
    b.writeDoubleBE(x, 1);
    return [...b];
  },
  none: 'N' as PicklePart,
  true: [0x88] as PicklePart,
  false: [0x89] as PicklePart,
  mark: '(' as PicklePart,
  emptyDict: '}' as PicklePart,
  emptyList: ']' as PicklePart,
  emptyTuple: ')' as PicklePart,
  emptySet: [0x8f] as PicklePart,
  addItems: [0x90] as PicklePart,
  tuple: 't' as PicklePart,
  tuple1: [0x85] as PicklePart,
  tuple2: [0x86] as PicklePart,
  tuple3: [0x87] as PicklePart,
  setItem: 's' as PicklePart,
  setItems: 'u' as PicklePart,
  append: 'a' as PicklePart,
  appends: 'e' as PicklePart,
  reduce: 'R' as PicklePart,
  newobj: [0x81] as PicklePart,
  build: 'b' as PicklePart,
  put: (i: number): PicklePart => [0x71, i],
  get: (i: number): PicklePart => [0x68, i],
  memoize: [0x94] as PicklePart,
  persid: 'Q' as PicklePart,
  pop: '0' as PicklePart,
  stop: '.' as PicklePart,
};
