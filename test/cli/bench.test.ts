import { cli as run } from '../helpers/cli';

const TINY = ['--model', 'test_efficientnet', '--image-size', '32', '--batch-size', '2', '--steps', '2', '--warmup', '1', '--backend', 'wasm'];

test('bench --json prints one result with both timings and equal tensor counts', async () => {
  const { code, out } = await run(['bench', ...TINY, '--num-classes', '3', '--json']);
  expect(code).toBe(0);
  const r = JSON.parse(out);
  expect(r).toMatchObject({ model: 'test_efficientnet', backend: 'wasm', imageSize: 32, batchSize: 2, steps: 2, warmup: 1 });
  expect(r.train.medianSeconds).toBeGreaterThan(0);
  expect(r.inference.imagesPerSecond).toBeGreaterThan(0);
  expect(r.tensorsAfter).toBe(r.tensorsBefore);
});

test('bench prints one line per figure, the backend line on stderr', async () => {
  const { code, out, err } = await run(['bench', ...TINY, '--mode', 'train']);
  expect(code).toBe(0);
  expect(err).toMatch(/^backend wasm /);
  const lines = out.trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^test_efficientnet 32px batch 2 on wasm .*: train step \d+\.\d{3} s/);
  expect(lines[1]).toMatch(/peak RSS \d+ MiB; tensors before \d+, after \d+$/);
});

test.each([
  [['bench', '--model', 'no_such_model'], /unknown model "no_such_model"/],
  [['bench', ...TINY.slice(0, 4), '--batch-size', '0'], /--batch-size must be a whole number ≥ 1, got 0/],
  [['bench', ...TINY.slice(0, 4), '--warmup', '-1'], /--warmup must be an integer ≥ 0, got -1/],
])('bad arguments are one-line user errors (exit 2): %j', async (args, message) => {
  const { code, err } = await run(args);
  expect(code).toBe(2);
  expect(err).toMatch(message);
  expect(err.trim().split('\n')).toHaveLength(1);
});
