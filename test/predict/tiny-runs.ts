import * as fs from 'fs';
import * as path from 'path';
import { experimentConfigSchema } from '../../src/config/schema';
import { train } from '../../src/train/trainer';
import { drawScene } from '../../src/data/synthetic/scene';
import { renderFundus } from '../../src/data/synthetic/render-fundus';
import { encodePng } from '../../src/data/image';
import sharp from 'sharp';

/** Real photographs shared with the project (absent on some machines: tests using them skip). */
export const SHARED_DATA = path.resolve(__dirname, '..', '..', '..', 'shared', 'data');
export const EYEPACS = path.join(SHARED_DATA, 'eyepacs-dr-130', 'train');

/** A small ViT graded over the synthetic DR classes (no_dr < mild < proliferative, referable from mild). */
export const TINY_VIT = { name: 'test_vit', imageSize: 32, args: { depth: 2, embedDim: 32, numHeads: 2, patchSize: 8 } };
/** A one-stage EfficientNet: its last stage is an 8x8 feature map at 32 px. */
export const TINY_CNN = {
  name: 'test_efficientnet',
  imageSize: 32,
  args: { headChannels: 32, stages: [{ block: 'ir', repeats: 1, kernel: 3, stride: 2, expand: 2, channels: 16, seRatio: 0.25 }] },
};

/** Trains a tiny run (about a second on the wasm backend) and returns its directory. */
export async function trainTinyRun(
  outDir: string,
  task: 'dr' | 'glaucoma' | 'multilabel',
  model: Record<string, unknown>,
  extra: { eval?: Record<string, unknown>; data?: Record<string, unknown> } = {},
): Promise<string> {
  const config = experimentConfigSchema.parse({
    name: `tiny-${task}`,
    seed: 11,
    backend: 'wasm',
    data: { source: 'synthetic', task, count: 24, renderSize: 32, split: { val: 0.25, test: 0.25 }, ...extra.data },
    model,
    train: { epochs: 1, batchSize: 6, optimizer: { lr: 0.01 } },
    eval: { bootstrap: 0, ...extra.eval },
  });
  await train({ config, outDir });
  return outDir;
}

/** A synthetic fundus photograph written as PNG (or JPEG) at width x height (non-square: the photograph is letterboxed). */
export async function writeFundus(file: string, index: number, width: number, height: number): Promise<string> {
  const side = Math.min(width, height);
  const img = renderFundus(drawScene(7, 'dr', index), side);
  const png = await encodePng(img);
  const left = Math.floor((width - side) / 2);
  const top = Math.floor((height - side) / 2);
  let s = sharp(png).extend({ left, right: width - side - left, top, bottom: height - side - top, background: { r: 0, g: 0, b: 0 } });
  s = file.endsWith('.jpg') || file.endsWith('.jpeg') ? s.jpeg({ quality: 90 }) : s.png();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await s.toFile(file);
  return file;
}
