import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readSafetensors, readSafetensorsHeader, readSafetensorsMetadata, writeSafetensors } from '../../../src/models/weights/safetensors';
import { HostTensor, StateDict, elementCount } from '../../../src/models/weights/tensor';
import { expectUserError } from './expect-user-error';

const FIXTURES = path.resolve(__dirname, '../../../../shared/fixtures/timm');
const haveFixtures = fs.existsSync(FIXTURES);
const withFixtures = haveFixtures ? describe : describe.skip;
if (!haveFixtures) console.log(`skipping timm fixture tests: ${FIXTURES} is absent`);

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'safetensors-test-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The header of a safetensors file parsed without the reader under test. */
function plainHeader(file: string): Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> {
  const fd = fs.openSync(file, 'r');
  const length = Buffer.alloc(8);
  fs.readSync(fd, length, 0, 8, 0);
  const json = Buffer.alloc(Number(length.readBigUInt64LE()));
  fs.readSync(fd, json, 0, json.length, 8);
  fs.closeSync(fd);
  return JSON.parse(json.toString('utf8'));
}

/** Half-precision bits → number by the definition (independent of the reader). */
function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return e === 0 ? sign * m * 2 ** -24 : sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** A safetensors file from a header object and data bytes; `length` overrides the header length field. */
function writeRaw(name: string, header: object, data: Uint8Array, length?: bigint): string {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(length ?? BigInt(json.length));
  const file = path.join(tmp, name);
  fs.writeFileSync(file, Buffer.concat([prefix, json, data]));
  return file;
}

withFixtures('reading the timm fixtures', () => {
  const files = haveFixtures ? fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.safetensors')) : [];

  it('finds the fixtures', () => {
    expect(files.length).toBeGreaterThanOrEqual(14);
  });

  it.each(files)('%s reads completely and agrees with its header', (name) => {
    const file = path.join(FIXTURES, name);
    const header = plainHeader(file);
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    const dict = readSafetensors(file);
    expect(dict.size).toBe(names.length);
    for (const key of names) {
      const t = dict.get(key)!;
      expect(t.shape).toEqual(header[key].shape);
      expect(t.data.length).toBe(elementCount(header[key].shape));
      if (header[key].dtype === 'I64') expect(t.data).toBeInstanceOf(BigInt64Array);
      else expect(t.data).toBeInstanceOf(Float32Array);
    }
    const metadata = readSafetensorsMetadata(file);
    // Fixture names start with the timm model's name (vit_small_patch14_dinov2_d2, resnet50_l1, ...).
    expect(name.startsWith(metadata.timm_model)).toBe(true);
  });

  it('gives the shapes timm models have', () => {
    const shape = (file: string, key: string) => readSafetensors(path.join(FIXTURES, file)).get(key)?.shape;
    expect(shape('efficientnet_b0.safetensors', 'conv_stem.weight')).toEqual([32, 3, 3, 3]);
    expect(shape('efficientnet_b0.safetensors', 'classifier.weight')).toEqual([3, 1280]);
    expect(shape('vit_tiny_patch16_224.safetensors', 'pos_embed')).toEqual([1, 197, 192]);
    expect(shape('vit_small_patch14_dinov2_d2.safetensors', 'pos_embed')).toEqual([1, 257, 384]);
    expect(shape('swinv2_tiny_window8_256_d1.io.safetensors', 'input')).toEqual([2, 3, 256, 256]);
    expect(shape('resnet50_l1.io.safetensors', 'logits')).toEqual([2, 3]);
  });

  it('decodes F16 and I64 values as their bytes say', () => {
    const file = path.join(FIXTURES, 'efficientnet_b0.safetensors');
    const header = plainHeader(file);
    const raw = fs.readFileSync(file);
    const dataStart = 8 + Number(raw.readBigUInt64LE());
    const dict = readSafetensors(file);
    const conv = header['conv_stem.weight'];
    const values = dict.get('conv_stem.weight')!.data as Float32Array;
    for (let i = 0; i < 50; i++) expect(values[i]).toBe(halfValue(raw.readUInt16LE(dataStart + conv.data_offsets[0] + 2 * i)));
    const counter = header['bn1.num_batches_tracked'];
    expect(counter.dtype).toBe('I64');
    expect((dict.get('bn1.num_batches_tracked')!.data as BigInt64Array)[0]).toBe(raw.readBigInt64LE(dataStart + counter.data_offsets[0]));
    expect(dict.get('conv_stem.weight')!.sourceDType).toBe('F16');
  });

  it('reads F32 inputs exactly', () => {
    const file = path.join(FIXTURES, 'vit_tiny_patch16_224.io.safetensors');
    const raw = fs.readFileSync(file);
    const dataStart = 8 + Number(raw.readBigUInt64LE());
    const input = readSafetensors(file).get('input')!;
    expect(input.shape).toEqual([2, 3, 224, 224]);
    expect(input.data[0]).toBe(raw.readFloatLE(dataStart + plainHeader(file).input.data_offsets[0]));
    expect(input.data[input.data.length - 1]).toBe(raw.readFloatLE(dataStart + plainHeader(file).input.data_offsets[1] - 4));
  });
});

describe('writeSafetensors', () => {
  const tensor = (dtype: HostTensor['dtype'], shape: number[], data: HostTensor['data']): HostTensor => ({ dtype, shape, data });

  it('round-trips every host dtype bit for bit, with metadata', () => {
    const floats = new Float32Array([1.5, -0, NaN, Infinity, -3.25e-38, 65504]);
    const dict: StateDict = new Map([
      ['w', tensor('float32', [2, 3], floats)],
      ['counter', tensor('int64', [], new BigInt64Array([2n ** 62n]))],
      ['i32', tensor('int32', [2], new Int32Array([-7, 2 ** 31 - 1]))],
      ['i16', tensor('int16', [1], new Int16Array([-300]))],
      ['i8', tensor('int8', [1], new Int8Array([-128]))],
      ['u8', tensor('uint8', [2], new Uint8Array([0, 255]))],
      ['mask', tensor('bool', [3], new Uint8Array([1, 0, 1]))],
      ['empty', tensor('float32', [0, 4], new Float32Array(0))],
    ]);
    const file = path.join(tmp, 'round', 'trip.safetensors');
    writeSafetensors(file, dict, { format: 'pt', timm_model: 'tiny' });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['trip.safetensors']); // no temporary file left behind

    const back = readSafetensors(file);
    expect([...back.keys()]).toEqual([...dict.keys()]);
    for (const [name, t] of dict) {
      const r = back.get(name)!;
      expect(r.dtype).toBe(t.dtype);
      expect(r.shape).toEqual(t.shape);
      expect(
        Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
      ).toBe(true);
    }
    expect(readSafetensorsMetadata(file)).toEqual({ format: 'pt', timm_model: 'tiny' });
    const header = readSafetensorsHeader(file);
    expect(header.dataStart % 8).toBe(0);
    expect(plainHeader(file).w.dtype).toBe('F32');
    expect(plainHeader(file).counter.dtype).toBe('I64');
  });

  it('writes F16 weights read as float32 back as the same float32 values', () => {
    const halves = new Uint16Array([0x3c00, 0xc100, 0x0001, 0x7bff]);
    const file = writeRaw('half.safetensors', { h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] } }, new Uint8Array(halves.buffer));
    const out = path.join(tmp, 'half-as-f32.safetensors');
    writeSafetensors(out, readSafetensors(file));
    expect(plainHeader(out).h.dtype).toBe('F32');
    expect([...readSafetensors(out).get('h')!.data]).toEqual([1, -2.5, 2 ** -24, 65504]);
    expect(readSafetensorsMetadata(out)).toEqual({});
  });

  it('refuses a tensor whose data does not match its shape', () => {
    const dict: StateDict = new Map([['bad', tensor('float32', [2, 2], new Float32Array(3))]]);
    expectUserError(() => writeSafetensors(path.join(tmp, 'bad.safetensors'), dict), /tensor "bad" .*shape \[2, 2\] \(4 elements\) but 3 values/);
    const mistyped: StateDict = new Map([['ids', tensor('int64', [2], new Float32Array(2))]]);
    expectUserError(() => writeSafetensors(path.join(tmp, 'bad.safetensors'), mistyped), /tensor "ids" .* is int64 but holds a Float32Array/);
    expect(fs.existsSync(path.join(tmp, 'bad.safetensors'))).toBe(false);
  });
});

describe('bad safetensors files', () => {
  const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

  it('reports a truncated file, naming the file and the tensor', () => {
    const whole = path.join(tmp, 'whole.safetensors');
    writeSafetensors(
      whole,
      new Map([
        ['a', { dtype: 'float32', shape: [4], data: new Float32Array(4) }],
        ['b', { dtype: 'float32', shape: [4], data: new Float32Array(4) }],
      ]),
    );
    const bytes = fs.readFileSync(whole);
    const cut = path.join(tmp, 'cut.safetensors');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 6));
    const message = expectUserError(
      () => readSafetensors(cut),
      /tensor "b" has data_offsets \[16, 32\] past the end of the data \(26 bytes\); the file is truncated/,
    );
    expect(message).toContain(cut);
  });

  it('reports a header length past the end of the file', () => {
    const file = writeRaw('long-header.safetensors', { a: f32([1], 0, 4) }, new Uint8Array(4), 1000000n);
    expectUserError(() => readSafetensors(file), /long-header\.safetensors: safetensors header length 1000000 runs past the end of the file/);
  });

  it('reports an unknown dtype', () => {
    const file = writeRaw('dtype.safetensors', { a: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2));
    expectUserError(() => readSafetensors(file), /tensor "a" has dtype F8_E4M3, which fundus-train does not read/);
    const proto = writeRaw('proto.safetensors', { a: { dtype: 'constructor', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2));
    expectUserError(() => readSafetensors(proto), /tensor "a" has dtype constructor/);
  });

  it('reports a shape that does not match the byte length', () => {
    const file = writeRaw('shape.safetensors', { w: f32([2, 3], 0, 20) }, new Uint8Array(20));
    expectUserError(
      () => readSafetensors(file),
      /tensor "w" has shape \[2, 3\] of F32, which needs 24 bytes, but its data_offsets \[0, 20\] span 20/,
    );
  });

  it('reports overlapping tensors, gaps and unindexed bytes', () => {
    const overlap = writeRaw('overlap.safetensors', { a: f32([2], 0, 8), b: f32([2], 4, 12) }, new Uint8Array(12));
    expectUserError(() => readSafetensors(overlap), /tensor "b" \(bytes 4\.\.12\) overlaps tensor "a"/);
    const gap = writeRaw('gap.safetensors', { a: f32([1], 0, 4), b: f32([1], 8, 12) }, new Uint8Array(12));
    expectUserError(() => readSafetensors(gap), /4 bytes before tensor "b" belong to no tensor/);
    const tail = writeRaw('tail.safetensors', { a: f32([1], 0, 4) }, new Uint8Array(8));
    expectUserError(() => readSafetensors(tail), /the last 4 bytes of the data belong to no tensor/);
  });

  it('reports malformed headers', () => {
    const file = path.join(tmp, 'json.safetensors');
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(5n);
    fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from('{"a":')]));
    expectUserError(() => readSafetensors(file), /json\.safetensors: safetensors header is not valid JSON/);
    const short = path.join(tmp, 'short.safetensors');
    fs.writeFileSync(short, Buffer.from([1, 2, 3]));
    expectUserError(() => readSafetensors(short), /is 3 bytes long, too short for a safetensors file/);
    const offsets = writeRaw('offsets.safetensors', { a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4));
    expectUserError(() => readSafetensors(offsets), /tensor "a" has data_offsets \[4,0\]; expected \[begin, end\]/);
    const meta = writeRaw('meta.safetensors', { __metadata__: { n: 3 }, a: f32([1], 0, 4) }, new Uint8Array(4));
    expectUserError(() => readSafetensorsMetadata(meta), /__metadata__ entry "n" is not a string/);
    expectUserError(() => readSafetensors(path.join(tmp, 'missing.safetensors')), /cannot open weight file .*missing\.safetensors/);
  });
});
