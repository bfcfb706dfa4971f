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
