import { SerialQueue } from '../../src/serve/serial';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('tasks run one at a time, in arrival order; a failed task does not stop the ones after it', async () => {
  const q = new SerialQueue();
  const log: string[] = [];
  let running = 0;
  const task =
    (name: string, ms: number, fail = false) =>
    async () => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await sleep(ms);
      log.push(`end ${name}`);
      running--;
      if (fail) throw new Error(`${name} failed`);
      return name;
    };
  const results = await Promise.allSettled([q.run(task('a', 20)), q.run(task('b', 1, true)), q.run(task('c', 5))]);
  expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['a', 'b failed', 'c']);
  expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  expect(q.pending).toBe(0);
});
