import { positiveClassOf, withPositiveClass } from '../../src/data/positive-class';
import { Dataset } from '../../src/data/types';

function binary(classes: string[]): Dataset {
  return {
    source: 'image-folder',
    task: 'binary',
    classes,
    samples: [
      { id: 'a', file: 'a', label: 0 },
      { id: 'b', file: 'b', label: 1 },
    ],
    loadImage: async () => ({ width: 1, height: 1, data: new Uint8Array(3) }),
    warnings: [],
  };
}

describe('the positive class of a binary task', () => {
  test('cataract/ beside normal/: cataract is positive, whichever sorts first (it used to be "normal")', () => {
    expect(positiveClassOf(binary(['cataract', 'normal']), null)).toEqual({ index: 0, name: 'cataract', reason: '"normal" names the healthy class' });
    const ds = withPositiveClass(binary(['cataract', 'normal']), null);
    expect(ds.classes).toEqual(['normal', 'cataract']);
    expect(ds.samples.map((s) => [s.id, s.label])).toEqual([
      ['a', 1],
      ['b', 0],
    ]);
    expect(positiveClassOf(ds, null)).toMatchObject({ index: 1, name: 'cataract' });
  });

  test('healthy names: non-glaucoma, no_dr, healthy, 0', () => {
    expect(positiveClassOf(binary(['glaucoma', 'non-glaucoma']), null)!.name).toBe('glaucoma');
    expect(positiveClassOf(binary(['dr', 'no_dr']), null)!.name).toBe('dr');
    expect(positiveClassOf(binary(['amd', 'healthy']), null)!.name).toBe('amd');
    expect(positiveClassOf(binary(['0', '1']), null)!.name).toBe('1');
  });

  test('data.positiveClass wins; without a healthy name the second class is positive, and the log can say why', () => {
    expect(positiveClassOf(binary(['cataract', 'normal']), 'normal')).toEqual({ index: 1, name: 'normal', reason: 'data.positiveClass' });
    expect(withPositiveClass(binary(['a', 'b']), 'a').classes).toEqual(['b', 'a']);
    expect(positiveClassOf(binary(['amd', 'glaucoma']), null)).toEqual({
      index: 1,
      name: 'glaucoma',
      reason: 'the second class in order (set data.positiveClass to choose)',
    });
    expect(() => positiveClassOf(binary(['a', 'b']), 'c')).toThrow(/^data\.positiveClass: "c" is not a class of this dataset \(classes: a, b\)$/);
    expect(() => positiveClassOf({ task: 'multiclass', classes: ['0', '1', '2'] }, '1')).toThrow(/task is multiclass, not binary/);
    expect(positiveClassOf({ task: 'multilabel', classes: ['a', 'b'] }, null)).toBeNull();
  });
});
