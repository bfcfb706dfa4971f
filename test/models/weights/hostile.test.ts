/**
 * Crafted weight files of a few hundred bytes that used to hang the reader, blow up memory
 * or take minutes (issue 17). Each must now be refused with one line within a second, or
 * read without copying.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readPytorchCheckpoint } from '../../../src/models/weights/pytorch';
import { readSafetensors } from '../../../src/models/weights/safetensors';
import { loadStateDictFile, normaliseStateDict } from '../../../src/models/weights/state-dict';
import { PyValue, unpickle } from '../../../src/models/weights/pickle';
import { expectUserError } from './expect-user-error';
import { PicklePart, op, pickleBytes } from './pickle-builder';
import { buildZip } from './zip-builder';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hostile-weights-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function tmpFile(name: string, bytes: Uint8Array): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Runs `fn`, which must throw a one-line UserError matching `pattern` in under `ms` milliseconds. */
function refusedQuickly(fn: () => unknown, pattern: RegExp, ms = 1000): string {
  const start = performance.now();
  const message = expectUserError(fn, pattern);
  expect(performance.now() - start).toBeLessThan(ms);
  return message;
}

const noHooks = {
  findGlobal: (m: string, n: string): PyValue => {
    throw new Error(`unexpected global ${m}.${n}`);
  },
  persistentLoad: (): PyValue => null,
};

interface ViewSpec {
  name: string;
  key?: string;
  numel: number;
  offset?: number;
  size: number[];
  stride: number[];
}

/** {name: _rebuild_tensor_v2(storage, offset, size, stride)} with 4-byte integers, so sizes past 255 fit. */
function viewsPickle(...specs: ViewSpec[]): Uint8Array {
  const ints = (xs: number[]): PicklePart[] => [op.mark, ...xs.map(op.int4), op.tuple];
  const tensor = (spec: ViewSpec): PicklePart[] => [
    op.unicode(spec.name),
    op.global('torch._utils', '_rebuild_tensor_v2'),
    op.mark,
    op.mark,
    op.unicode('storage'),
    op.global('torch', 'FloatStorage'),
    op.unicode(spec.key ?? '0'),
    op.unicode('cpu'),
    op.int4(spec.numel),
    op.tuple,
    op.persid,
    op.int4(spec.offset ?? 0),
    ...ints(spec.size),
    ...ints(spec.stride),
    op.false,
    op.global('collections', 'OrderedDict'),
    op.emptyTuple,
    op.reduce,
    op.tuple,
    op.reduce,
  ];
  return pickleBytes(op.proto(2), op.emptyDict, op.mark, ...specs.flatMap(tensor), op.setItems, op.stop);
}

function checkpoint(name: string, pickle: Uint8Array, storage: Uint8Array): string {
  return tmpFile(
    name,
    buildZip([
      { name: 'x/data.pkl', data: pickle },
      { name: 'x/data/0', data: storage },
    ]),
  );
}

describe('cycles and nesting in unpickled structures', () => {
  it("refuses {'state_dict': <itself>} (it used to loop until the heap ran out)", () => {
    // } q\x00 \x8c\nstate_dict h\x00 s . : the dict, memoised, stored as its own entry.
    const pickle = pickleBytes(op.proto(2), op.emptyDict, op.put(0), op.unicode('state_dict'), op.get(0), op.setItem, op.stop);
    expect(pickle.length).toBeLessThan(25);
    const file = tmpFile('self.pth', buildZip([{ name: 'self/data.pkl', data: pickle }]));
    refusedQuickly(() => loadStateDictFile(file), /self\.pth holds a dict that contains itself at \["state_dict"\]/);
  });

  it('refuses a cycle of two wrappers and absurd nesting', () => {
    const a = new Map<PyValue, PyValue>();
    const b = new Map<PyValue, PyValue>([['model', a]]);
    a.set('state_dict', b);
    refusedQuickly(() => normaliseStateDict(a, 'two.pth'), /two\.pth holds a dict that contains itself at \["state_dict"\]\["model"\]/);
    let deep: Map<PyValue, PyValue> = new Map();
    for (let i = 0; i < 100; i++) deep = new Map<PyValue, PyValue>([['model', deep]]);
    refusedQuickly(() => normaliseStateDict(deep, 'deep.pth'), /deep\.pth nests its weights more than 16 dicts deep/);
  });

  it('looks at a container shared by many keys once (no quadratic search for the tensors)', () => {
    const shared: PyValue[] = [];
    for (let i = 0; i < 20000; i++) shared.push([i]);
    const top = new Map<PyValue, PyValue>();
    for (let i = 0; i < 20000; i++) top.set(`k${i}`, shared);
    refusedQuickly(() => normaliseStateDict(top, 'wide.pth'), /wide\.pth holds no state dict at the top level .*no tensors found/);
  });
});

describe('tensor views cannot ask for more than the file holds', () => {
  it('refuses a ~250-byte record asking for 8 GiB through a stride-0 view, without allocating it', () => {
    const pickle = viewsPickle({ name: 'w', numel: 1, size: [32768, 65536], stride: [0, 0] });
    const file = checkpoint('broadcast-8g.pth', pickle, new Uint8Array(4));
    expect(fs.statSync(file).size).toBeLessThan(600);
    const before = process.memoryUsage().arrayBuffers;
    refusedQuickly(() => loadStateDictFile(file), /would copy 2147483648 elements, beyond what the file's 1 stored elements allow/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });

  it('refuses a 32 MiB broadcast from a file of a few hundred bytes, but reads a small one', () => {
    const big = checkpoint('broadcast-32m.pth', viewsPickle({ name: 'w', numel: 1, size: [2048, 4096], stride: [0, 0] }), new Uint8Array(4));
    expect(fs.statSync(big).size).toBeLessThan(600);
    refusedQuickly(() => loadStateDictFile(big), /would copy 8388608 elements/);
    const small = checkpoint(
      'broadcast-small.pth',
      viewsPickle({ name: 'w', numel: 2, size: [3, 2], stride: [0, 1] }),
      new Uint8Array(new Float32Array([5, 6]).buffer),
    );
    const w = loadStateDictFile(small).get('w')!;
    expect(w.shape).toEqual([3, 2]);
    expect([...w.data]).toEqual([5, 6, 5, 6, 5, 6]);
  });

  it('counts every copy of a storage: many transposed views of one storage are refused past its size', () => {
    const n = 1 << 16; // a 256 KiB storage
    const views: ViewSpec[] = [];
    for (let i = 0; i < 40; i++) views.push({ name: `t${i}`, numel: n, size: [256, 256], stride: [1, 256] });
    const file = checkpoint('transposed.pth', viewsPickle(...views), new Uint8Array(n * 4));
    // The first 16 transposed copies fit the stored elements plus the broadcast allowance; the 40 would not.
    refusedQuickly(() => loadStateDictFile(file), /tensor of storage 0 with shape \[256, 256\] and strides \[1, 256\] would copy 65536 elements/);
  });

  it('rebuilds a storage once: slices of it share its memory instead of copying it per view', () => {
    const n = 1 << 18; // 1 MiB of float32
    const storage = new Float32Array(n).map((_, i) => i);
    const views: ViewSpec[] = [];
    for (let i = 0; i < 500; i++) views.push({ name: `v${i}`, numel: n, size: [n], stride: [1] });
    views.push({ name: 'tail', numel: n, offset: n - 4, size: [2, 2], stride: [2, 1] });
    const file = checkpoint('views.pth', viewsPickle(...views), new Uint8Array(storage.buffer));
    const before = process.memoryUsage().arrayBuffers;
    const dict = loadStateDictFile(file);
    // 500 copies would be 500 MiB; shared views add only the storage itself (and the file read).
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
    const buffers = new Set([...dict.values()].map((t) => t.data.buffer));
    expect(buffers.size).toBe(1);
    expect(dict.get('v499')!.data[12345]).toBe(12345);
    expect([...dict.get('tail')!.data]).toEqual([n - 4, n - 3, n - 2, n - 1]);
  });
});

describe('zip entries inflate no further than they declare', () => {
  const bomb = new Uint8Array(64 * 2 ** 20); // 64 MiB of zeros deflate to ~64 KiB

  it('stops inflating at the declared size (it used to inflate everything, then compare)', () => {
    const pickle = viewsPickle({ name: 'w', numel: 1, size: [1], stride: [1] });
    // The declared size of data/0 in the central directory is rewritten to 1 KiB.
    const withTensor = buildZip([
      { name: 'b/data.pkl', data: pickle },
      { name: 'b/data/0', data: bomb, deflate: true },
    ]);
    withTensor.writeUInt32LE(1024, withTensor.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1')) + 24);
    const before = process.memoryUsage().arrayBuffers;
    refusedQuickly(() => loadStateDictFile(tmpFile('bomb2.pth', withTensor)), /zip entry b\/data\/0 inflates to more than its declared 1024 bytes/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 2 ** 20);
  });

  it('refuses a declared size no deflate stream of that length can produce', () => {
    const zip = buildZip([
      { name: 'b/data.pkl', data: viewsPickle({ name: 'w', numel: 1, size: [1], stride: [1] }) },
      { name: 'b/data/0', data: new Uint8Array(4), deflate: true },
    ]);
    const central = zip.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1'));
    zip.writeUInt32LE(0xfffffff0, central + 24);
    refusedQuickly(() => loadStateDictFile(tmpFile('liar.pth', zip)), /declares 4294967280 bytes from \d+ compressed, more than deflate can produce/);
  });

  it('refuses a zip64 directory claiming billions of entries', () => {
    const zip = buildZip([{ name: 'z/data.pkl', data: pickleBytes(op.proto(2), op.emptyDict, op.stop) }], { zip64: true });
    const record = zip.lastIndexOf(Buffer.from('PK\x06\x06', 'latin1'));
    zip.writeBigUInt64LE(1n << 40n, record + 32);
    refusedQuickly(
      () => readPytorchCheckpoint(tmpFile('many.pth', zip)),
      /the zip directory claims 1099511627776 entries, above the limit of 262144/,
    );
  });
});

describe('big pickle integers', () => {
  it('parses LONG4 in linear time and refuses megabyte-long numbers within a second', () => {
    const long4 = (bytes: Uint8Array): Uint8Array => {
      const head = Buffer.alloc(5);
      head[0] = 0x8b;
      head.writeInt32LE(bytes.length, 1);
      return pickleBytes(op.proto(2), head, bytes, op.stop);
    };
    const max = new Uint8Array(4096).fill(0xff);
    max[4095] = 0x7f; // 2^32767 - 1
    const start = performance.now();
    expect(unpickle(long4(max), 'max.pkl', noHooks)).toBe((1n << 32767n) - 1n);
    expect(unpickle(long4(new Uint8Array([0x00, 0x80])), 'neg.pkl', noHooks)).toBe(-32768);
    expect(performance.now() - start).toBeLessThan(500);
    refusedQuickly(
      () => unpickle(long4(new Uint8Array(4 * 2 ** 20).fill(0x11)), 'huge.pkl', noHooks),
      /huge\.pkl: pickle integer of 4194304 bytes at byte 7 is above the 4096-byte limit/,
    );
    const digits = pickleBytes(op.proto(2), `L${'9'.repeat(100000)}L\n`, op.stop);
    refusedQuickly(() => unpickle(digits, 'digits.pkl', noHooks), /pickle integer of 100000 digits is above the 4300-digit limit/);
  });
});

describe('safetensors header limits', () => {
  function safetensors(header: unknown, data: Uint8Array): string {
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    return tmpFile(`h${Math.random().toString(36).slice(2)}.safetensors`, Buffer.concat([length, json, data]));
  }

  it('refuses more entries than any model has, and absurd ranks', () => {
    const many: Record<string, unknown> = {};
    for (let i = 0; i <= 1 << 18; i++) many[`t${i}`] = { dtype: 'U8', shape: [0], data_offsets: [0, 0] };
    const manyFile = safetensors(many, new Uint8Array(0));
    refusedQuickly(() => readSafetensors(manyFile), /safetensors header lists more than 262144 tensors, the limit/);
    const rank = safetensors({ w: { dtype: 'U8', shape: new Array(40).fill(1), data_offsets: [0, 1] } }, new Uint8Array(1));
    refusedQuickly(() => readSafetensors(rank), /tensor "w" has 40 dimensions, above the limit of 32/);
  });
});
