/**
 * Runs at most `concurrency` tasks at once, starting queued ones in the order they were submitted
 * (so the images of an earlier batch are decoded before those of a later one).
 */
export function createLimiter(concurrency: number): <T>(task: () => Promise<T>) => Promise<T> {
  if (!(concurrency >= 1)) throw new Error(`concurrency must be at least 1, got ${concurrency}`);
  let running = 0;
  const queue: Array<() => void> = [];
  const release = (): void => {
    running--;
    const next = queue.shift();
    if (next) next();
  };
  return <T>(task: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const start = (): void => {
        running++;
        let p: Promise<T>;
        try {
          p = task();
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then(resolve, reject).finally(release);
      };
      if (running < concurrency) start();
      else queue.push(start);
    });
}
