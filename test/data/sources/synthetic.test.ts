import { dataConfigSchema } from '../../../src/data/config';
import { loadDataset } from '../../../src/data/sources';
import { splitDataset } from '../../../src/data/split';

const config = (task: string, count = 40) => dataConfigSchema.parse({ source: 'synthetic', task, count, renderSize: 64 });

describe('synthetic source', () => {
  it('builds the three tasks with their classes and balanced-ish labels', async () => {
    const glaucoma = await loadDataset(config('glaucoma', 200), { seed: 1 });
    expect(glaucoma).toMatchObject({ source: 'synthetic', task: 'binary', classes: ['normal', 'glaucoma'] });
    const positives = glaucoma.samples.filter((s) => s.label === 1).length;
    expect(positives).toBeGreaterThan(70);
    expect(positives).toBeLessThan(130);

    const dr = await loadDataset(config('dr', 150), { seed: 1 });
    expect(dr).toMatchObject({ task: 'multiclass', classes: ['no_dr', 'mild', 'proliferative'] });
    for (let c = 0; c < 3; c++) expect(dr.samples.filter((s) => s.label === c).length).toBeGreaterThan(30);

    const ml = await loadDataset(config('multilabel'), { seed: 1 });
    expect(ml).toMatchObject({ task: 'multilabel', classes: ['cataract', 'glaucoma', 'diabetic_retinopathy', 'normal_fundus'] });
    for (const s of ml.samples) expect(s.labels).toHaveLength(4);
  });

  it('pairs consecutive images as the two eyes of one patient, with unique ids', async () => {
    const ds = await loadDataset(config('glaucoma', 10), { seed: 1 });
    expect(ds.samples.map((s) => s.group)).toEqual([
      'patient-0',
      'patient-0',
      'patient-1',
      'patient-1',
      'patient-2',
      'patient-2',
      'patient-3',
      'patient-3',
      'patient-4',
      'patient-4',
    ]);
    expect(ds.samples[0].id).toBe('synthetic-glaucoma-0-right');
    expect(ds.samples[1].id).toBe('synthetic-glaucoma-1-left');
    expect(new Set(ds.samples.map((s) => s.id)).size).toBe(10);
    const split = splitDataset(ds, { val: 0.2, test: 0.2, stratify: true }, 1);
    for (const part of [split.train, split.val, split.test]) {
      const groups = new Set(part.map((i) => ds.samples[i].group));
      expect(part.length).toBe(groups.size * 2);
    }
  });

  it('renders the same bytes for the same seed and different ones for another seed', async () => {
    const a = await loadDataset(config('dr'), { seed: 5 });
    const b = await loadDataset(config('dr'), { seed: 5 });
    const c = await loadDataset(config('dr'), { seed: 6 });
    expect(a.samples).toEqual(b.samples);
    const [ia, ib, ic] = await Promise.all([a, b, c].map((d) => d.loadImage(d.samples[7])));
    expect(ia).toMatchObject({ width: 64, height: 64 });
    expect(Buffer.from(ia.data).equals(Buffer.from(ib.data))).toBe(true);
    expect(Buffer.from(ia.data).equals(Buffer.from(ic.data))).toBe(false);
    expect(a.samples.map((s) => s.label)).not.toEqual(c.samples.map((s) => s.label));
  });
});
