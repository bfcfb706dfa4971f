import { SyntheticSourceConfig, syntheticSourceSchema, resolveSyntheticPaths } from './synthetic-schema';
import { defineSource } from './source';
import { drawScene, sceneLabels, SYNTHETIC_CLASSES } from '../synthetic/scene';
import { renderFundus } from '../synthetic/render-fundus';
import { Dataset, Sample } from '../types';

/**
 * Generated fundus photographs whose labels the pictures really carry (cup-to-disc ratio,
 * DR lesions, cataract haze). Image i depends only on (seed, task, i), so any subset renders
 * identically in any order; images 2p and 2p+1 are the right and left eye of patient p.
 */
export async function loadSyntheticDataset(cfg: SyntheticSourceConfig, opts: { seed: number }): Promise<Dataset> {
  const { task, classes } = SYNTHETIC_CLASSES[cfg.task];
  const digits = String(cfg.count - 1).length;
  const samples: Sample[] = [];
  for (let i = 0; i < cfg.count; i++) {
    const scene = drawScene(opts.seed, cfg.task, i);
    const name = String(i).padStart(digits, '0');
    samples.push({
      id: `synthetic-${cfg.task}-${name}-${scene.eye === 'OD' ? 'right' : 'left'}`,
      group: `patient-${String(Math.floor(i / 2)).padStart(digits, '0')}`,
      ...sceneLabels(cfg.task, scene),
    });
  }
  const indexOf = new Map(samples.map((s, i) => [s.id, i]));
  const render = async (sample: Sample) => {
    const index = indexOf.get(sample.id);
    if (index === undefined) throw new Error(`not a sample of this synthetic dataset: ${sample.id}`);
    return renderFundus(drawScene(opts.seed, cfg.task, index), cfg.renderSize);
  };
  return {
    source: 'synthetic',
    task,
    classes: [...classes],
    samples,
    loadImage: render,
    warnings: [],
  };
}

export const syntheticSource = defineSource({
  name: 'synthetic',
  schema: syntheticSourceSchema,
  resolvePaths: resolveSyntheticPaths,
  load: (cfg, opts) => loadSyntheticDataset(cfg, opts),
});
