import { drawScene, sceneLabels } from '../../../src/data/synthetic/scene';
import { renderFundus } from '../../../src/data/synthetic/render-fundus';
import { RgbImage } from '../../../src/data/types';

/** sqrt(pale cup pixels / disc-coloured pixels): a pixel-level estimate of the cup-to-disc ratio. */
function measuredCupToDisc(img: RgbImage): number {
  let pale = 0;
  let disc = 0;
  for (let p = 0; p < img.width * img.height; p++) {
    const r = img.data[p * 3];
    const g = img.data[p * 3 + 1];
    const b = img.data[p * 3 + 2];
    if (r < 60) continue;
    if (b / r > 0.62 && g / r > 0.8) pale++;
    if (g / r > 0.55) disc++;
  }
  return Math.sqrt(pale / Math.max(1, disc));
}

/** Mean absolute green difference of horizontally adjacent 2x2 block means inside the field of view: sharpness above the sensor noise. */
function edgeEnergy(img: RgbImage): number {
  const H = Math.floor(img.width / 2);
  const block = (x: number, y: number, ch: number): number => {
    let s = 0;
    for (const [dx, dy] of [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ])
      s += img.data[((2 * y + dy) * img.width + 2 * x + dx) * 3 + ch];
    return s / 4;
  };
  let sum = 0;
  let n = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 1; x < H; x++) {
      if (block(x, y, 0) < 60 || block(x - 1, y, 0) < 60) continue;
      sum += Math.abs(block(x, y, 1) - block(x - 1, y, 1));
      n++;
    }
  }
  return sum / n;
}

/** Mean (r - b) / r inside the field of view: the milky haze of a cataract washes the colour out. */
function saturation(img: RgbImage): number {
  let sum = 0;
  let n = 0;
  for (let p = 0; p < img.width * img.height; p++) {
    const r = img.data[p * 3];
    if (r < 60) continue;
    sum += (r - img.data[p * 3 + 2]) / r;
    n++;
  }
  return sum / n;
}

/** Pixels that are clearly yellow (exudates) or much darker than their surroundings' red (blots, dots). */
function lesionPixels(img: RgbImage): number {
  let count = 0;
  for (let p = 0; p < img.width * img.height; p++) {
    const r = img.data[p * 3];
    const g = img.data[p * 3 + 1];
    const b = img.data[p * 3 + 2];
    if (r > 150 && g > 150 && b < 0.75 * g && g / r > 0.78 && b / r < 0.6) count++; // yellow, not the white cup
  }
  return count;
}

function auc(pos: number[], neg: number[]): number {
  let s = 0;
  for (const a of pos) for (const b of neg) s += a > b ? 1 : a === b ? 0.5 : 0;
  return s / (pos.length * neg.length);
}

describe('synthetic fundus renderer', () => {
  it('is deterministic in (seed, index) and differs across seeds and indices', () => {
    const a = renderFundus(drawScene(3, 'multilabel', 5), 96);
    const b = renderFundus(drawScene(3, 'multilabel', 5), 96);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    const otherSeed = renderFundus(drawScene(4, 'multilabel', 5), 96);
    const otherIndex = renderFundus(drawScene(3, 'multilabel', 6), 96);
    expect(Buffer.from(a.data).equals(Buffer.from(otherSeed.data))).toBe(false);
    expect(Buffer.from(a.data).equals(Buffer.from(otherIndex.data))).toBe(false);
    expect(a).toMatchObject({ width: 96, height: 96 });
    expect(a.data.length).toBe(96 * 96 * 3);
  });

  it('draws a dark surround, an orange-red fundus and a bright disc', () => {
    const img = renderFundus(drawScene(1, 'glaucoma', 0), 128);
    const px = (x: number, y: number) => Array.from(img.data.subarray((y * 128 + x) * 3, (y * 128 + x) * 3 + 3));
    expect(Math.max(...px(1, 1))).toBeLessThan(20); // corner: outside the field of view
    let red = 0;
    let bright = 0;
    for (let p = 0; p < 128 * 128; p++) {
      const [r, g, b] = [img.data[p * 3], img.data[p * 3 + 1], img.data[p * 3 + 2]];
      if (r > 80 && r > 1.5 * g && g > b) red++;
      if (r > 120 && g / r > 0.55) bright++;
    }
    expect(red / (128 * 128)).toBeGreaterThan(0.4); // most of the circle (pi * 0.45^2 = 0.64 of the square) is retina
    expect(bright).toBeGreaterThan(20); // the disc
  });

  it('carries the glaucoma label in the cup-to-disc ratio the pixels show', () => {
    const glaucoma: number[] = [];
    const normal: number[] = [];
    for (let i = 0; i < 80; i++) {
      const scene = drawScene(11, 'glaucoma', i);
      (sceneLabels('glaucoma', scene).label === 1 ? glaucoma : normal).push(measuredCupToDisc(renderFundus(scene, 128)));
    }
    expect(glaucoma.length).toBeGreaterThan(20);
    expect(normal.length).toBeGreaterThan(20);
    expect(auc(glaucoma, normal)).toBeGreaterThan(0.98);
    expect(Math.min(...glaucoma)).toBeGreaterThan(Math.max(...normal) - 0.05);
  });

  it('carries DR grades in lesions and cataract in blur', () => {
    const yellowByGrade: number[][] = [[], [], []];
    for (let i = 0; i < 45; i++) {
      const scene = drawScene(5, 'dr', i);
      yellowByGrade[sceneLabels('dr', scene).label!].push(lesionPixels(renderFundus(scene, 128)));
      if (scene.truth.drGrade === 0) expect(scene.lesions).toHaveLength(0);
      if (scene.truth.drGrade === 1) expect(scene.lesions.some((l) => l.kind === 'haemorrhage')).toBe(true);
    }
    // Proliferative images show exudates; the others have none.
    expect(auc(yellowByGrade[2], [...yellowByGrade[0], ...yellowByGrade[1]])).toBeGreaterThan(0.95);

    const cataract: { sharp: number[]; colour: number[] } = { sharp: [], colour: [] };
    const clear: { sharp: number[]; colour: number[] } = { sharp: [], colour: [] };
    for (let i = 0; i < 60; i++) {
      const scene = drawScene(5, 'multilabel', i);
      const img = renderFundus(scene, 128);
      const into = scene.truth.cataract ? cataract : clear;
      into.sharp.push(edgeEnergy(img));
      into.colour.push(saturation(img));
    }
    expect(cataract.sharp.length).toBeGreaterThan(8);
    expect(auc(clear.sharp, cataract.sharp)).toBeGreaterThan(0.9);
    expect(auc(clear.colour, cataract.colour)).toBeGreaterThan(0.95);
  });

  it('labels multi-label images with normal_fundus exactly when no other flag is set', () => {
    for (let i = 0; i < 60; i++) {
      const labels = sceneLabels('multilabel', drawScene(2, 'multilabel', i)).labels!;
      expect(labels[3]).toBe(labels[0] + labels[1] + labels[2] === 0 ? 1 : 0);
    }
  });

  it('mirrors left eyes: the disc lies on the other side', () => {
    const discSide = (img: RgbImage): number => {
      let sx = 0;
      let n = 0;
      for (let p = 0; p < img.width * img.height; p++) {
        if (img.data[p * 3] > 120 && img.data[p * 3 + 1] / img.data[p * 3] > 0.55) {
          sx += p % img.width;
          n++;
        }
      }
      return sx / n / img.width;
    };
    expect(drawScene(1, 'glaucoma', 0).eye).toBe('OD');
    expect(drawScene(1, 'glaucoma', 1).eye).toBe('OS');
    expect(discSide(renderFundus(drawScene(1, 'glaucoma', 0), 128))).toBeGreaterThan(0.55);
    expect(discSide(renderFundus(drawScene(1, 'glaucoma', 1), 128))).toBeLessThan(0.45);
  });
});
