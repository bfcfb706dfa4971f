/**
 * The reader fuzz harness: seed files of each format, a family of mutations per seed, and
 * the invariant every case must keep — it ends within a time bound with a loaded state
 * dict or a one-line UserError naming the file, never another exception, a hang or a
 * memory blow-up. Used by test/fuzz/readers.test.ts (fixed case count) and
 * scripts/fuzz-readers.js (longer runs).
 */
import * as fs from 'fs';
import * as path from 'path';
import { FileRange } from '../../src/models/weights/file-range';
import { writeSafetensors } from '../../src/models/weights/safetensors';
import { loadStateDictFile } from '../../src/models/weights/state-dict';
import { StateDict } from '../../src/models/weights/tensor';
import { ZipArchive, ZipEntry } from '../../src/models/weights/zip';
import { UserError } from '../../src/util/errors';
import { Rng } from '../../src/util/random';
import { buildZip, ZipInput } from '../models/weights/zip-builder';
import { mutate, randomOpcodeStream } from './mutate';

const OWN_FIXTURES = path.resolve(__dirname, '../models/weights/fixtures');
const TIMM = path.resolve(__dirname, '../../../shared/fixtures/timm');

/** One way of making case files: from a seed file and an Rng to the bytes to read. */
export interface Family {
  name: string;
  make(rng: Rng): { bytes: Uint8Array; how: string };
}

function zipEntries(file: string): ZipInput[] {
  return FileRange.with(file, (range) => {
    const zip = ZipArchive.open(range);
    return [...zip.entries.values()].map((e: ZipEntry) => ({ name: e.name, data: zip.read(e) }));
  });
}

/** Whole-file mutations: what a damaged download or a crafted file looks like. */
function fileFamily(name: string, bytes: Uint8Array): Family {
  return {
    name,
    make: (rng) => {
      const m = mutate(bytes, rng);
      return { bytes: m.bytes, how: m.how.join('+') };
    },
  };
}

/** Mutations of data.pkl alone, re-zipped with valid CRCs, so they reach the unpickler and the tensor rebuild. */
function pickleFamily(name: string, file: string): Family {
  const entries = zipEntries(file);
  const pickle = entries.find((e) => e.name.endsWith('/data.pkl'))!;
  const rest = entries.filter((e) => e !== pickle);
  return {
    name,
    make: (rng) => {
      const m = mutate(pickle.data, rng);
      return { bytes: buildZip([{ name: pickle.name, data: m.bytes }, ...rest]), how: m.how.join('+') };
    },
  };
}

/** Random opcode streams beside one 64-byte storage. */
function opcodeFamily(): Family {
  return {
    name: 'opcodes',
    make: (rng) => {
      const stream = randomOpcodeStream(rng);
      return {
        bytes: buildZip([
          { name: 'r/data.pkl', data: stream },
          { name: 'r/data/0', data: new Uint8Array(64).fill(0x3f) },
        ]),
        how: 'random opcodes',
      };
    },
  };
}

function smallSafetensors(dir: string): Uint8Array {
  const dict: StateDict = new Map([
    ['conv.weight', { dtype: 'float32', shape: [2, 1, 3, 3], data: new Float32Array(18).map((_, i) => i / 7) }],
    ['bn.num_batches_tracked', { dtype: 'int64', shape: [], data: new BigInt64Array([5n]) }],
    ['mask', { dtype: 'bool', shape: [4], data: new Uint8Array([1, 0, 1, 1]) }],
    ['empty', { dtype: 'float32', shape: [0, 3], data: new Float32Array(0) }],
    ['fc.bias', { dtype: 'float32', shape: [3], data: new Float32Array([0.5, -1, 2]) }],
  ]);
  const file = path.join(dir, 'seed.safetensors');
  writeSafetensors(file, dict, { format: 'pt' });
  return fs.readFileSync(file);
}

/** The families of the fixed suite: every format the readers take, built from small real files. */
export function smallFamilies(dir: string): Family[] {
  const dtypes = path.join(OWN_FIXTURES, 'dtypes_views.pth');
  const nested = path.join(OWN_FIXTURES, 'nested_module.pth');
  const deflated = buildZip(
    zipEntries(dtypes).map((e) => ({ ...e, deflate: true })),
    { zip64: true },
  );
  return [
    fileFamily('safetensors', smallSafetensors(dir)),
    fileFamily('pth dtypes_views', fs.readFileSync(dtypes)),
    fileFamily('pth nested_module', fs.readFileSync(nested)),
    fileFamily('pth whole_model', fs.readFileSync(path.join(OWN_FIXTURES, 'whole_model.pth'))),
    fileFamily('pth legacy', fs.readFileSync(path.join(OWN_FIXTURES, 'legacy.pth'))),
    fileFamily('pth deflated zip64', deflated),
    pickleFamily('data.pkl of dtypes_views', dtypes),
    pickleFamily('data.pkl of nested_module', nested),
    opcodeFamily(),
  ];
}

/** The timm fixtures (megabytes each), for long runs only. */
export function timmFamilies(): Family[] {
  if (!fs.existsSync(TIMM)) return [];
  const bin = path.join(TIMM, 'efficientnet_b0.pytorch_model.bin');
  return [
    fileFamily('timm efficientnet_b0.io.safetensors', fs.readFileSync(path.join(TIMM, 'efficientnet_b0.io.safetensors'))),
    pickleFamily('data.pkl of timm efficientnet_b0.pytorch_model.bin', bin),
  ];
}

export interface FuzzOptions {
  seed: number;
  cases: number;
  /** Longest time one case may take, in ms. */
  caseMs: number;
  dir: string;
  families: Family[];
}

export interface FuzzResult {
  cases: number;
  loaded: number;
  refused: number;
  seconds: number;
  longest: { ms: number; label: string };
  /** Peak of heapUsed + arrayBuffers above the level before the first case, in MiB. */
  peakGrowthMiB: number;
  failures: string[];
}

/** Runs `cases` cases, family by turns; case i uses its own Rng stream, so it can be rerun alone. */
export function runFuzz(options: FuzzOptions): FuzzResult {
  const file = path.join(options.dir, 'case.bin');
  const memory = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const baseline = memory();
  let peak = baseline;
  const result: FuzzResult = { cases: 0, loaded: 0, refused: 0, seconds: 0, longest: { ms: 0, label: '' }, peakGrowthMiB: 0, failures: [] };
  const start = performance.now();
  for (let i = 0; i < options.cases; i++) {
    const family = options.families[i % options.families.length];
    const rng = Rng.create(options.seed, `fuzz:${i}`);
    const { bytes, how } = family.make(rng);
    const label = `case ${i} (${family.name}: ${how}, ${bytes.length} bytes, seed ${options.seed})`;
    fs.writeFileSync(file, bytes);
    const t0 = performance.now();
    try {
      loadStateDictFile(file);
      result.loaded++;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (!(e instanceof UserError)) result.failures.push(`${label}: ${e instanceof Error ? e.name : typeof e} ${message.split('\n')[0]}`);
      else if (message.includes('\n')) result.failures.push(`${label}: UserError of several lines: ${JSON.stringify(message.slice(0, 200))}`);
      else if (!message.includes(file)) result.failures.push(`${label}: UserError that does not name the file: ${message.slice(0, 200)}`);
      else result.refused++;
    }
    const ms = performance.now() - t0;
    if (ms > result.longest.ms) result.longest = { ms, label };
    if (ms > options.caseMs) result.failures.push(`${label}: took ${ms.toFixed(0)} ms (bound ${options.caseMs} ms)`);
    peak = Math.max(peak, memory());
    result.cases++;
  }
  result.seconds = (performance.now() - start) / 1000;
  result.peakGrowthMiB = (peak - baseline) / 2 ** 20;
  return result;
}

export function describeResult(r: FuzzResult): string {
  return (
    `${r.cases} cases in ${r.seconds.toFixed(1)} s: ${r.loaded} loaded, ${r.refused} refused with one line; ` +
    `longest ${r.longest.ms.toFixed(1)} ms (${r.longest.label}); peak heap+buffers growth ${r.peakGrowthMiB.toFixed(0)} MiB; ${r.failures.length} failures`
  );
}
