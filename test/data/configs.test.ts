import * as path from 'path';
import { resolveConfig } from '../../src/config/resolve';

const CONFIGS = path.resolve(__dirname, '../../configs');

describe('ready-made data configs', () => {
  it.each([
    ['refuge-glaucoma.yaml', { source: 'refuge', officialSplit: true }],
    ['kaggle-dr-3class.yaml', { source: 'kaggle-dr', remap: 'dr-5to3' }],
    ['huawei-multilabel-4class.yaml', { source: 'csv', labelColumns: ['cataract', 'glaucoma', 'diabetic_retinopathy', 'normal_fundus'] }],
    ['shared/eyepacs-dr130.yaml', { source: 'kaggle-dr', remap: 'dr-5to3', root: path.resolve(CONFIGS, '../../shared/data/eyepacs-dr-130') }],
    ['shared/eye-diseases-4class.yaml', { source: 'image-folder', root: path.resolve(CONFIGS, '../../shared/data/eye-diseases-4class') }],
    ['shared/smdg-glaucoma.yaml', { source: 'csv', classColumn: 'types' }],
  ])('%s validates and resolves its paths', (file, expected) => {
    const { config } = resolveConfig(path.join(CONFIGS, file));
    expect(config.data).toMatchObject(expected);
    expect(config.data.preprocess.fovCrop).toEqual({ tolerance: 7 });
  });
});
