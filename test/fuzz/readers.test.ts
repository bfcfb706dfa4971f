/**
 * The weight readers under seeded mutation: a fixed number of cases here (FUZZ_CASES,
 * FUZZ_SEED and FUZZ_TIMM=1 make longer runs; scripts/fuzz-readers.js sets them).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeResult, runFuzz, smallFamilies, timmFamilies } from './harness';

const CASES = Number(process.env.FUZZ_CASES ?? 3000);
const SEED = Number(process.env.FUZZ_SEED ?? 17);
const CASE_MS = Number(process.env.FUZZ_CASE_MS ?? 1000);
const WITH_TIMM = process.env.FUZZ_TIMM === '1';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-readers-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

it(`every mutated weight file loads or is refused with one line, within ${CASE_MS} ms and bounded memory`, () => {
  const families = [...smallFamilies(tmp), ...(WITH_TIMM ? timmFamilies() : [])];
  const result = runFuzz({ seed: SEED, cases: CASES, caseMs: CASE_MS, dir: tmp, families });
  console.log(`fuzz-readers: ${describeResult(result)}`);
  expect(result.failures.slice(0, 10)).toEqual([]);
  expect(result.cases).toBe(CASES);
  // Most mutations must be refused, and some must still load (the mutation did not touch the tensors).
  expect(result.refused).toBeGreaterThan(CASES / 4);
  expect(result.loaded).toBeGreaterThan(0);
  expect(result.peakGrowthMiB).toBeLessThan(512);
}, 600_000);
