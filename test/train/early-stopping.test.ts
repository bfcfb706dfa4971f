import { EarlyStopping } from '../../src/train/early-stopping';

describe('EarlyStopping', () => {
  test('stops after `patience` epochs without an improvement larger than minDelta (Keras semantics)', () => {
    const es = new EarlyStopping({ mode: 'max', patience: 2, minDelta: 0.01 });
    // 0.605 and 0.625 improve by less than minDelta; 0.62 by more.
    expect([0.5, 0.6, 0.605, 0.62, 0.625, 0.629].map((v) => es.update(v))).toEqual([false, false, false, false, false, true]);
  });

  test('min mode, and state round-trips', () => {
    const a = new EarlyStopping({ mode: 'min', patience: 3, minDelta: 0 });
    a.update(1);
    a.update(1.1);
    const b = new EarlyStopping({ mode: 'min', patience: 3, minDelta: 0 });
    b.setState(a.getState());
    expect([1.2, 1.3].map((v) => b.update(v))).toEqual([false, true]);
  });
});

describe('EarlyStopping.reset', () => {
  test('forgets the best value and the wait: it then behaves exactly as a new one', () => {
    const options = { mode: 'max' as const, patience: 2, minDelta: 0 };
    const used = new EarlyStopping(options);
    [0.9, 0.5].forEach((v) => used.update(v));
    expect(used.getState()).toEqual({ best: 0.9, wait: 1 });
    used.reset();
    expect(used.getState()).toEqual(new EarlyStopping(options).getState());
    // Without the reset 0.6 and 0.7 would not beat 0.9 and the second would stop training.
    const fresh = new EarlyStopping(options);
    const values = [0.6, 0.7, 0.65, 0.64];
    expect(values.map((v) => used.update(v))).toEqual(values.map((v) => fresh.update(v)));
    expect(used.getState()).toEqual({ best: 0.7, wait: 2 });
  });
});
