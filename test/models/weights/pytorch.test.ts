import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PyObject, PyValue } from '../../../src/models/weights/pickle';
import { readPytorchCheckpoint } from '../../../src/models/weights/pytorch';
import { readSafetensors } from '../../../src/models/weights/safetensors';
import { loadStateDictFile } from '../../../src/models/weights/state-dict';
import { HostTensor, StateDict } from '../../../src/models/weights/tensor';
import { FileRange } from '../../../src/models/weights/file-range';
import { ZipArchive } from '../../../src/models/weights/zip';
import { expectUserError } from './expect-user-error';
import { PicklePart, op, pickleBytes } from './pickle-builder';
import { buildZip, ZipInput } from './zip-builder';

/** Written by scripts/make_weight_fixtures.py with PyTorch 1.13. */
const OWN_FIXTURES = path.join(__dirname, 'fixtures');
const TIMM = path.resolve(__dirname, '../../../../shared/fixtures/timm');
const haveTimm = fs.existsSync(TIMM);
const withTimm = haveTimm ? describe : describe.skip;
if (!haveTimm) console.log(`skipping the efficientnet_b0 PyTorch/safetensors comparison: ${TIMM} is absent`);

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pytorch-test-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function tmpFile(name: string, bytes: Uint8Array): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, bytes);
  return file;
}

function asMap(v: PyValue): Map<PyValue, PyValue> {
  expect(v).toBeInstanceOf(Map);
  return v as Map<PyValue, PyValue>;
}

function bytesOf(t: HostTensor): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function expectSameTensors(a: StateDict, b: StateDict): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [name, x] of a) {
    const y = b.get(name)!;
    expect({ name, dtype: y.dtype, shape: y.shape }).toEqual({ name, dtype: x.dtype, shape: x.shape });
    if (!bytesOf(x).equals(bytesOf(y))) throw new Error(`tensor ${name} differs`);
  }
}

/** The entries of a zip file as builder inputs, optionally renamed and deflated. */
function zipInputs(file: string, rename: (name: string) => string, deflate: boolean): ZipInput[] {
  return FileRange.with(file, (range) => {
    const zip = ZipArchive.open(range);
    return [...zip.entries.values()].map((e) => ({ name: rename(e.name), data: zip.read(e), deflate }));
  });
}

interface TensorSpec {
  name?: string;
  key?: string;
  numel: number;
  offset?: number;
  size: number[];
  stride: number[];
}

/** A pickle of {name: tensor, ...}, each storage being ('storage', FloatStorage, key, 'cpu', numel). */
function tensorPickle(...specs: TensorSpec[]): Uint8Array {
  const ints = (xs: number[]): PicklePart[] => [op.mark, ...xs.map(op.int1), op.tuple];
  const tensor = (spec: TensorSpec): PicklePart[] => [
    op.unicode(spec.name ?? 'w'),
    op.global('torch._utils', '_rebuild_tensor_v2'),
    op.mark,
    op.mark,
    op.unicode('storage'),
    op.global('torch', 'FloatStorage'),
    op.unicode(spec.key ?? '0'),
    op.unicode('cpu'),
    op.int1(spec.numel),
    op.tuple,
    op.persid,
    op.int1(spec.offset ?? 0),
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

function floats(...xs: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(xs).buffer);
}

withTimm('efficientnet_b0.pytorch_model.bin', () => {
  it('holds exactly the tensors of efficientnet_b0.safetensors, bit for bit', () => {
    const fromPytorch = loadStateDictFile(path.join(TIMM, 'efficientnet_b0.pytorch_model.bin'));
    const fromSafetensors = readSafetensors(path.join(TIMM, 'efficientnet_b0.safetensors'));
    expect(fromPytorch.size).toBe(360);
    expectSameTensors(fromSafetensors, fromPytorch);
    expect(fromPytorch.get('conv_stem.weight')!.sourceDType).toBe('F16');
    expect(fromPytorch.get('bn1.num_batches_tracked')!.data).toBeInstanceOf(BigInt64Array);
  });
});

describe('tensors written by torch.save (dtypes_views.pth)', () => {
  const dict = asMap(readPytorchCheckpoint(path.join(OWN_FIXTURES, 'dtypes_views.pth')));
  const t = (name: string): HostTensor => dict.get(name) as HostTensor;
  const values = (name: string): (number | bigint)[] => [...t(name).data];

  it('reads every storage type', () => {
    expect(values('f32')).toEqual([1, -2.5, 65504, Math.fround(1e-8)]);
    expect(values('f16')).toEqual([1, -2.5, 65504, 2 ** -24, Infinity, -Infinity, NaN, -0]);
    expect(t('f16').sourceDType).toBe('F16');
    const bf16 = values('bf16') as number[];
    expect(bf16.slice(0, 3)).toEqual([1, -2.5, 2 ** -133]);
    expect(Math.abs(bf16[3] - 3e38) / 3e38).toBeLessThan(2 ** -8); // bfloat16 keeps 8 significant bits
    expect(bf16.slice(4)).toEqual([Infinity, NaN]);
    expect(values('f64')).toEqual([1, -2.5, Math.fround(0.1), Infinity]);
    expect(t('f64').dtype).toBe('float32');
    expect(t('i64').data).toEqual(new BigInt64Array([0n, -1n, 2n ** 40n, -(2n ** 62n)]));
    expect(t('i32').data).toEqual(new Int32Array([0, -1, 2 ** 30]));
    expect(t('i16').data).toEqual(new Int16Array([0, -1, 300]));
    expect(t('i8').data).toEqual(new Int8Array([0, -1, 100]));
    expect(t('u8').data).toEqual(new Uint8Array([0, 255, 7]));
    expect(t('bool')).toEqual({ dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) });
  });

  it('reads scalars, empty tensors and parameters', () => {
    expect(t('scalar').shape).toEqual([]);
    expect(values('scalar')).toEqual([4.5]);
    expect(t('empty').shape).toEqual([0, 3]);
    expect(t('empty').data.length).toBe(0);
    expect(t('parameter').shape).toEqual([2, 2]);
    expect(values('parameter')).toEqual([0, 1, 2, 3]);
  });

  it('materialises views with their strides and storage offsets', () => {
    // base = arange(12).reshape(3, 4): base[r][c] = 4r + c.
    expect(t('transposed').shape).toEqual([4, 3]);
    expect(values('transposed')).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(t('rows').shape).toEqual([2, 4]);
    expect(values('rows')).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(t('every_other_column').shape).toEqual([3, 2]);
    expect(values('every_other_column')).toEqual([0, 2, 4, 6, 8, 10]);
    expect(values('half_transposed')).toEqual([0, 3, 1, 4, 2, 5]);
    expect(t('expanded').shape).toEqual([2, 3]);
    expect(values('expanded')).toEqual([0n, 1n, 2n, 0n, 1n, 2n]);
  });

  it('gives views of one storage their own data', () => {
    expect(values('shared_head')).toEqual([0, 1, 2, 3]);
    expect(values('shared_tail')).toEqual([6, 7, 8, 9]);
    t('shared_head').data[3] = 100;
    expect(values('shared_tail')).toEqual([6, 7, 8, 9]);
  });
});

describe('checkpoints of training scripts (nested_module.pth)', () => {
  const file = path.join(OWN_FIXTURES, 'nested_module.pth');

  it('reads the whole checkpoint as nested values', () => {
    const top = asMap(readPytorchCheckpoint(file));
    expect([...top.keys()]).toEqual(['epoch', 'arch', 'state_dict', 'optimizer', 'args', 'metric']);
    expect(top.get('epoch')).toBe(3);
    expect(top.get('metric')).toBe(0.75);
    const args = top.get('args') as PyObject;
    expect(args).toBeInstanceOf(PyObject);
    expect(args.className).toBe('argparse.Namespace');
    expect(asMap(args.state).get('model')).toBe('tiny');
    expect(asMap(top.get('state_dict')!).has('module.conv.weight')).toBe(true);
  });

  it('unwraps state_dict, removes module. and keeps the values', () => {
    const notes: string[] = [];
    const dict = loadStateDictFile(file, { onNote: (n) => notes.push(n) });
    expect([...dict.keys()]).toEqual([
      'conv.weight',
      'conv.bias',
      'bn.weight',
      'bn.bias',
      'bn.running_mean',
      'bn.running_var',
      'bn.num_batches_tracked',
      'fc.weight',
      'fc.bias',
    ]);
    expect(notes).toEqual([
      'used the "state_dict" entry of the top level (ignored: epoch, arch, optimizer, args, metric)',
      'removed the "module." prefix from all 9 names (a model saved inside DataParallel)',
    ]);
    // Parameter i holds arange(n) / 8 + i (see the script).
    expect(dict.get('conv.weight')!.shape).toEqual([3, 2, 1, 1]);
    expect([...dict.get('conv.weight')!.data]).toEqual([0, 1, 2, 3, 4, 5].map((x) => x / 8));
    expect([...dict.get('fc.weight')!.data]).toEqual([0, 1, 2, 3, 4, 5].map((x) => x / 8 + 4));
    expect([...dict.get('bn.running_var')!.data]).toEqual([1, 2, 4]);
    expect(dict.get('bn.num_batches_tracked')!.data).toEqual(new BigInt64Array([7n]));
  });
});

describe('zip variants', () => {
  const original = path.join(OWN_FIXTURES, 'dtypes_views.pth');

  it('reads deflated entries, zip64 records and any top folder name', () => {
    const expected = loadStateDictFile(original);
    for (const zip64 of [false, true]) {
      const rebuilt = buildZip(
        zipInputs(original, (n) => n.replace(/^[^/]+\//, 'archive/'), true),
        { zip64 },
      );
      const file = tmpFile(`deflated-${zip64}.pth`, rebuilt);
      expectSameTensors(expected, loadStateDictFile(file));
    }
  });

  it('reads a hand-built checkpoint and checks its storages', () => {
    const ok = tmpFile(
      'hand.pth',
      buildZip([
        { name: 'hand/data.pkl', data: tensorPickle({ numel: 4, size: [2, 2], stride: [1, 2] }) },
        { name: 'hand/data/0', data: floats(1, 2, 3, 4) },
      ]),
    );
    expect(loadStateDictFile(ok).get('w')).toEqual({ dtype: 'float32', shape: [2, 2], data: new Float32Array([1, 3, 2, 4]) });

    // Two tensors that each span all of one storage (x and x.view(2, 2)) share its memory, as in torch (no copy per view).
    const twice = tmpFile(
      'twice.pth',
      buildZip([
        {
          name: 't/data.pkl',
          data: tensorPickle({ name: 'x', numel: 4, size: [4], stride: [1] }, { name: 'y', numel: 4, size: [2, 2], stride: [2, 1] }),
        },
        { name: 't/data/0', data: floats(1, 2, 3, 4) },
      ]),
    );
    const both = loadStateDictFile(twice);
    expect(both.get('y')).toEqual({ dtype: 'float32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) });
    expect(both.get('x')!.data.buffer).toBe(both.get('y')!.data.buffer);

    const missing = tmpFile('missing.pth', buildZip([{ name: 'm/data.pkl', data: tensorPickle({ key: '5', numel: 4, size: [4], stride: [1] }) }]));
    expectUserError(() => loadStateDictFile(missing), /missing\.pth: storage 5 is missing from the archive \(m\/data\/5\)/);

    const short = tmpFile(
      'short.pth',
      buildZip([
        { name: 's/data.pkl', data: tensorPickle({ numel: 4, size: [4], stride: [1] }) },
        { name: 's/data/0', data: floats(1, 2) },
      ]),
    );
    expectUserError(() => loadStateDictFile(short), /storage 0 holds 8 bytes but data\.pkl says 4 elements of float32/);

    const outside = tmpFile(
      'outside.pth',
      buildZip([
        { name: 'o/data.pkl', data: tensorPickle({ numel: 4, offset: 1, size: [2, 2], stride: [2, 1] }) },
        { name: 'o/data/0', data: floats(1, 2, 3, 4) },
      ]),
    );
    expectUserError(() => loadStateDictFile(outside), /a tensor of shape \[2, 2\] reads element 4 of storage 0, which has 4; the file is corrupt/);

    const huge = tmpFile(
      'huge.pth',
      buildZip([
        { name: 'h/data.pkl', data: tensorPickle({ numel: 4, size: [255, 255, 255, 255], stride: [0, 0, 0, 0] }) },
        { name: 'h/data/0', data: floats(1, 2, 3, 4) },
      ]),
    );
    expectUserError(() => loadStateDictFile(huge), /has shape \[255, 255, 255, 255\], too large to be a weight/);
  });

  it('detects corrupt and truncated archives', () => {
    const inputs = zipInputs(original, (n) => n, false);
    const storage = inputs.find((e) => e.name.endsWith('/data/0'))!;
    const bytes = buildZip([storage, ...inputs.filter((e) => e !== storage)]);
    bytes[30 + Buffer.byteLength(storage.name)] ^= 0xff; // first data byte of the first entry
    expectUserError(() => loadStateDictFile(tmpFile('corrupt.pth', bytes)), /zip entry dtypes_views\/data\/0 fails its CRC check/);

    const whole = fs.readFileSync(original);
    const cut = tmpFile('cut.pth', whole.subarray(0, whole.length >> 1));
    expectUserError(() => loadStateDictFile(cut), /cut\.pth: the zip end-of-directory record is missing; the file is truncated/);
  });
});

describe('files that are not plain state dicts', () => {
  it('refuses a pickle that calls os.system, and runs nothing', () => {
    const marker = path.join(tmp, 'was-run');
    const evil = pickleBytes(op.proto(2), op.global('os', 'system'), op.unicode(`touch ${marker}`), op.tuple1, op.reduce, op.stop);
    const file = tmpFile('evil.pth', buildZip([{ name: 'evil/data.pkl', data: evil }]));
    expectUserError(
      () => loadStateDictFile(file),
      /evil\.pth is not a plain PyTorch state dict: it references os\.system; only tensors and containers are read/,
    );
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('refuses other globals however they are named', () => {
    const stackGlobal = pickleBytes(
      op.proto(4),
      op.unicode('builtins'),
      op.unicode('eval'),
      op.stackGlobal,
      op.unicode('1'),
      op.tuple1,
      op.reduce,
      op.stop,
    );
    expectUserError(
      () => readPytorchCheckpoint(tmpFile('eval.pth', buildZip([{ name: 'x/data.pkl', data: stackGlobal }]))),
      /references builtins\.eval/,
    );
    const proto = pickleBytes(op.proto(2), op.global('torch', 'constructor'), op.stop);
    expectUserError(
      () => readPytorchCheckpoint(tmpFile('proto.pth', buildZip([{ name: 'x/data.pkl', data: proto }]))),
      /references torch\.constructor/,
    );
    const inst = pickleBytes(op.proto(2), op.mark, 'ios\nsystem\n', op.stop);
    expectUserError(
      () => readPytorchCheckpoint(tmpFile('inst.pth', buildZip([{ name: 'x/data.pkl', data: inst }]))),
      /opcode INST .*only tensors and containers are read/,
    );
  });

  it('names the class of a whole pickled model', () => {
    expectUserError(
      () => loadStateDictFile(path.join(OWN_FIXTURES, 'whole_model.pth')),
      /whole_model\.pth is not a plain PyTorch state dict: it references __main__\.Tiny/,
    );
  });

  it('explains how to re-save the legacy format', () => {
    expectUserError(
      () => loadStateDictFile(path.join(OWN_FIXTURES, 'legacy.pth')),
      /legacy\.pth is a PyTorch checkpoint in the legacy \(pre-1\.6, non-zip\) format.*re-save it with PyTorch >= 1\.6/,
    );
  });

  it('recognises TorchScript archives and zips without data.pkl', () => {
    const script = tmpFile(
      'script.pt',
      buildZip([
        { name: 'm/data.pkl', data: pickleBytes(op.proto(2), op.none, op.stop) },
        { name: 'm/constants.pkl', data: pickleBytes(op.proto(2), op.emptyTuple, op.stop) },
      ]),
    );
    expectUserError(() => loadStateDictFile(script), /script\.pt is a TorchScript archive \(torch\.jit\.save\)/);
    const other = tmpFile('other.zip', buildZip([{ name: 'readme.txt', data: Buffer.from('hello') }]));
    expectUserError(() => loadStateDictFile(other), /other\.zip is a zip archive without <folder>\/data\.pkl/);
  });

  it('refuses random bytes', () => {
    const noise = new Uint8Array(256).map((_, i) => (i * 97 + 13) & 0xff);
    const file = tmpFile('noise.bin', noise);
    expectUserError(
      () => loadStateDictFile(file),
      /noise\.bin is neither a safetensors file nor a PyTorch checkpoint written by torch\.save \(first bytes: 0d 6e/,
    );
    expectUserError(() => readPytorchCheckpoint(file), /noise\.bin is not a PyTorch checkpoint/);
  });
});
