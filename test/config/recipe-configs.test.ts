import * as path from 'path';
import { resolveConfig } from '../../src/config/resolve';

const CONFIGS = path.resolve(__dirname, '../../configs');

describe('recipe configs', () => {
  test('retfound-finetune.yaml: baseLr x 16 / 256, per-step cosine, layer decay, RandAugment, erasing, composite selection', () => {
    const { config } = resolveConfig(path.join(CONFIGS, 'recipes', 'retfound-finetune.yaml'));
    expect(config.train.optimizer.lr).toBeCloseTo((5e-4 * 16) / 256, 15);
    expect(config.train.scheduler).toMatchObject({ name: 'cosine', warmupEpochs: 10, minLr: 1e-6, update: 'step' });
    expect(config.train.layerDecay).toBe(0.65);
    expect(config.data.augment.randAugment).toEqual({ policy: 'rand-m9-mstd0.5-inc1', interpolation: 'bicubic' });
    expect(config.data.augment.randomErasing).toMatchObject({ prob: 0.25, mode: 'pixel' });
    expect(config.train.checkpointMonitor).toBe('composite');
  });

  test('timm-efficientnet.yaml: EMA, mixup and per-epoch cosine', () => {
    const { config } = resolveConfig(path.join(CONFIGS, 'recipes', 'timm-efficientnet.yaml'));
    expect(config.train.ema).toMatchObject({ decay: 0.9998, selectBest: 'ema' });
    expect(config.data.mixup).toMatchObject({ alpha: 0.2, labelSmoothing: 0.1 });
    expect(config.train.scheduler).toMatchObject({ name: 'cosine', update: 'epoch' });
  });

  test("huawei-multilabel-4class.yaml: the seed's Adam + plateau on macro AUC, B4 at 380, BCE", () => {
    const { config } = resolveConfig(path.join(CONFIGS, 'huawei-multilabel-4class.yaml'));
    expect(config.model).toMatchObject({ name: 'tf_efficientnet_b4', imageSize: 380 });
    expect(config.train.optimizer.name).toBe('adam');
    expect(config.train.loss).toBe('bce');
    expect(config.train.scheduler).toMatchObject({ name: 'plateau', monitor: 'val_macro_auc', mode: 'max' });
    expect(config.data.augment).toMatchObject({ hflip: 0.5, rotate: 15, brightness: 0, contrast: 0 });
  });
});
