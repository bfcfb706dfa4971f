/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * ({name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}),
 * then the tensor bytes, offsets relative to the end of the header. The header is read
 * first and checked completely before any tensor is read, then each tensor is read on its
 * own at its offset, so a multi-gigabyte file is never held twice.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import { makeDirs } from '../../util/fs';
import { printable } from './printable';
import { FileRange } from './file-range';
import {
  HostDType,
  HostTensor,
  StateDict,
  assertLittleEndianHost,
  bfloat16ToFloat32,
  bytesOf,
  bytesPerElement,
  elementCount,
  float16ToFloat32,
  float64ToFloat32,
  viewAs,
} from './tensor';

/** How each safetensors dtype is read: its width on disk and what it becomes. */
const FILE_DTYPES: Record<string, { bytes: number; host: HostDType }> = {
  F32: { bytes: 4, host: 'float32' },
  F16: { bytes: 2, host: 'float32' },
  BF16: { bytes: 2, host: 'float32' },
  F64: { bytes: 8, host: 'float32' },
  I64: { bytes: 8, host: 'int64' },
  I32: { bytes: 4, host: 'int32' },
  I16: { bytes: 2, host: 'int16' },
  I8: { bytes: 1, host: 'int8' },
  U8: { bytes: 1, host: 'uint8' },
  BOOL: { bytes: 1, host: 'bool' },
};

const HOST_TO_FILE_DTYPE: Record<HostDType, string> = {
  float32: 'F32',
  int64: 'I64',
  int32: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

/** The reference implementation refuses headers above 100 MB; so do we (a bigger one is a corrupt length). */
const MAX_HEADER_BYTES = 100 * 1000 * 1000;
/** More tensors than any model has (the largest timm models have a few thousand). */
const MAX_ENTRIES = 1 << 18;
/** Dimensions per tensor; weights have at most 5. */
const MAX_RANK = 32;

export interface SafetensorsEntry {
  name: string;
  /** The dtype as written in the file ('F16', 'I64', ...). */
  dtype: string;
  shape: number[];
  /** Byte range within the data section (after the header). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Tensors in the order of their data in the file. */
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Absolute file offset where the data section starts (8 + header length). */
  dataStart: number;
}

function fail(file: string, message: string): never {
  throw new UserError(`${file}: ${message}`);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function parseEntry(file: string, name: string, raw: unknown, dataLength: number): SafetensorsEntry {
  const where = `tensor "${printable(name)}"`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail(file, `${where} is not a {dtype, shape, data_offsets} object in the header`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string') fail(file, `${where} has no dtype in the header`);
  const kind = Object.hasOwn(FILE_DTYPES, dtype) ? FILE_DTYPES[dtype] : undefined;
  if (!kind) fail(file, `${where} has dtype ${printable(dtype)}, which fundus-train does not read (it reads ${Object.keys(FILE_DTYPES).join(', ')})`);
  if (Array.isArray(shape) && shape.length > MAX_RANK) fail(file, `${where} has ${shape.length} dimensions, above the limit of ${MAX_RANK}`);
  if (!Array.isArray(shape) || !shape.every(isCount))
    fail(file, `${where} has shape ${JSON.stringify(shape)}; expected a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    fail(file, `${where} has data_offsets ${JSON.stringify(offsets)}; expected [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offsets as number[];
  const expected = elementCount(shape) * kind.bytes;
  if (end - begin !== expected) {
    fail(
      file,
      `${where} has shape [${shape.join(', ')}] of ${dtype}, which needs ${expected} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  if (end > dataLength) {
    fail(file, `${where} has data_offsets [${begin}, ${end}] past the end of the data (${dataLength} bytes); the file is truncated or corrupt`);
  }
  return { name, dtype, shape: shape.slice(), begin, end };
}

function parseMetadata(file: string, raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(file, '__metadata__ in the header is not a {string: string} object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') fail(file, `__metadata__ entry "${printable(k)}" is not a string`);
    out[k] = v;
  }
  return out;
}

/** The data must be indexed completely, each byte by exactly one tensor. */
function checkCoverage(file: string, entries: SafetensorsEntry[], dataLength: number): void {
  let covered = 0;
  let previous: SafetensorsEntry | undefined;
  for (const e of entries) {
    if (e.begin < covered)
      fail(
        file,
        `tensor "${printable(e.name)}" (bytes ${e.begin}..${e.end}) overlaps tensor "${printable(previous!.name)}" (bytes ${previous!.begin}..${previous!.end})`,
      );
    if (e.begin > covered)
      fail(file, `${e.begin - covered} bytes before tensor "${printable(e.name)}" belong to no tensor; the header does not index the data`);
    covered = e.end;
    previous = e;
  }
  if (covered !== dataLength) {
    fail(
      file,
      `the last ${dataLength - covered} bytes of the data belong to no tensor; the header does not index the data (is the file a safetensors file?)`,
    );
  }
}

function readHeaderFrom(range: FileRange): SafetensorsHeader {
  const file = range.file;
  if (range.size < 8) fail(file, `is ${range.size} bytes long, too short for a safetensors file`);
  const lengthBytes = range.read(0, 8, 'the header length');
  const length = new DataView(lengthBytes.buffer).getBigUint64(0, true);
  if (length > BigInt(range.size - 8)) {
    fail(
      file,
      `safetensors header length ${length} runs past the end of the file (${range.size} bytes); the file is truncated or not a safetensors file`,
    );
  }
  const n = Number(length);
  if (n > MAX_HEADER_BYTES) fail(file, `safetensors header length ${n} is above the 100 MB limit; the file is corrupt`);
  const headerBytes = Buffer.from(range.read(8, n, 'the header'));
  // Every tensor has a "data_offsets" key: counting them first refuses a huge header without parsing it.
  let offsets = 0;
  for (let at = headerBytes.indexOf('"data_offsets"'); at >= 0 && offsets <= MAX_ENTRIES; at = headerBytes.indexOf('"data_offsets"', at + 1))
    offsets++;
  if (offsets > MAX_ENTRIES) fail(file, `safetensors header lists more than ${MAX_ENTRIES} tensors, the limit; the file is corrupt`);
  let json: unknown;
  try {
    json = JSON.parse(headerBytes.toString('utf8'));
  } catch (e) {
    fail(file, `safetensors header is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(file, 'safetensors header is not a JSON object');
  const dataStart = 8 + n;
  const dataLength = range.size - dataStart;
  const tensorCount = Object.keys(json as Record<string, unknown>).filter((k) => k !== '__metadata__').length;
  if (tensorCount > MAX_ENTRIES)
    fail(file, `safetensors header lists ${tensorCount} tensors, above the limit of ${MAX_ENTRIES}; the file is corrupt`);
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    entries.push(parseEntry(file, name, raw, dataLength));
  }
  // Stable sort: header order breaks ties between empty tensors.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkCoverage(file, entries, dataLength);
  return { entries, metadata: parseMetadata(file, (json as Record<string, unknown>).__metadata__), dataStart };
}

/** Names, dtypes, shapes and metadata of a safetensors file, without reading its tensors. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  return FileRange.with(file, readHeaderFrom);
}

/** The `__metadata__` map of a safetensors file ({} when it has none). */
export function readSafetensorsMetadata(file: string): Record<string, string> {
  return readSafetensorsHeader(file).metadata;
}

function decode(entry: SafetensorsEntry, bytes: Uint8Array): HostTensor {
  const shape = entry.shape;
  switch (entry.dtype) {
    case 'F16':
      return {
        dtype: 'float32',
        shape,
        data: float16ToFloat32(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2)),
        sourceDType: 'F16',
      };
    case 'BF16':
      return {
        dtype: 'float32',
        shape,
        data: bfloat16ToFloat32(new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2)),
        sourceDType: 'BF16',
      };
    case 'F64':
      return {
        dtype: 'float32',
        shape,
        data: float64ToFloat32(new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8)),
        sourceDType: 'F64',
      };
    default: {
      const host = FILE_DTYPES[entry.dtype].host;
      return { dtype: host, shape, data: viewAs(host, bytes) };
    }
  }
}

/** Every tensor of a safetensors file; floating-point tensors become float32. */
export function readSafetensors(file: string): StateDict {
  assertLittleEndianHost();
  return FileRange.with(file, (range) => {
    const header = readHeaderFrom(range);
    const dict: StateDict = new Map();
    for (const entry of header.entries) {
      const bytes = range.read(header.dataStart + entry.begin, entry.end - entry.begin, `tensor "${printable(entry.name)}"`);
      dict.set(entry.name, decode(entry, bytes));
    }
    return dict;
  });
}

/**
 * Writes `dict` as safetensors in its own dtypes (float32 → F32, int64 → I64, ...), in map
 * order, with optional string metadata. The file is written beside the target and renamed
 * into place, so a reader never sees a half-written file; tensors are written one at a
 * time rather than concatenated, so the model is never held twice in memory.
 */
export function writeSafetensors(file: string, dict: StateDict, metadata?: Record<string, string>): void {
  assertLittleEndianHost();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new UserError(`safetensors metadata "${k}" for ${file} must be a string`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, t] of dict) {
    if (name === '__metadata__' || name === '') throw new UserError(`cannot write a tensor named "${name}" to ${file}`);
    const count = elementCount(t.shape);
    if (t.data.length !== count) {
      throw new UserError(`tensor "${name}" for ${file} has shape [${t.shape.join(', ')}] (${count} elements) but ${t.data.length} values`);
    }
    const length = count * bytesPerElement(t.dtype);
    if (t.data.byteLength !== length) {
      throw new UserError(`tensor "${name}" for ${file} is ${t.dtype} but holds a ${t.data.constructor.name}`);
    }
    header[name] = { dtype: HOST_TO_FILE_DTYPE[t.dtype], shape: t.shape, data_offsets: [offset, offset + length] };
    offset += length;
  }
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const jsonBytes = Buffer.from(json, 'utf8');
  const lengthBytes = Buffer.alloc(8);
  lengthBytes.writeBigUInt64LE(BigInt(jsonBytes.length));

  makeDirs(path.dirname(file));
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    writeAll(fd, lengthBytes);
    writeAll(fd, jsonBytes);
    for (const t of dict.values()) writeAll(fd, bytesOf(t.data));
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) done += fs.writeSync(fd, bytes, done, Math.min(1 << 30, bytes.byteLength - done));
}
