import { Rng } from '../../util/random';
import { SyntheticTask } from '../constants';
import { Task } from '../types';
import { growVesselTree, VesselSegment } from './vessels';

/**
 * What a synthetic fundus photograph shows, drawn from (seed, index) before any pixel is rendered:
 * the labels and every shape that carries them. Positions and sizes are fractions of the image side,
 * so one scene renders alike at any size. Geometry is that of a right eye (disc on the right);
 * left eyes are mirrored when rendered.
 */
export interface FundusScene {
  eye: 'OD' | 'OS';
  /** The circular field of view. */
  fundus: { x: number; y: number; r: number };
  /** Retina colour (before shading) and overall exposure. */
  colour: [number, number, number];
  gain: number;
  /** Illumination gradient: direction (radians) and strength. */
  lightAngle: number;
  lightStrength: number;
  /** Choroidal texture: waves of (frequency x, frequency y, phase, amplitude) in cycles per image. */
  texture: Array<[number, number, number, number]>;
  disc: { x: number; y: number; rx: number; ry: number };
  /** The optic cup inside the disc; vertical cup-to-disc ratio = cup.ry / disc.ry. */
  cup: { x: number; y: number; rx: number; ry: number };
  macula: { x: number; y: number; r: number; depth: number };
  vessels: VesselSegment[];
  lesions: Lesion[];
  /** Gaussian blur (fraction of the image side) and milky haze 0..1: a cataract shows as both. */
  blur: number;
  haze: number;
  /** Sensor noise standard deviation (0..1 scale) and the seed of its generator. */
  noise: number;
  noiseSeed: number;
  /** The truth the labels come from. */
  truth: { cupToDisc: number; drGrade: number; cataract: boolean; glaucoma: boolean; dr: boolean };
}

export interface Lesion {
  kind: 'microaneurysm' | 'haemorrhage' | 'exudate' | 'cotton-wool';
  x: number;
  y: number;
  r: number;
}

/** Class names and task of each synthetic task, in output order. */
export const SYNTHETIC_CLASSES: Record<SyntheticTask, { task: Task; classes: string[] }> = {
  glaucoma: { task: 'binary', classes: ['normal', 'glaucoma'] },
  dr: { task: 'multiclass', classes: ['no_dr', 'mild', 'proliferative'] },
  multilabel: { task: 'multilabel', classes: ['cataract', 'glaucoma', 'diabetic_retinopathy', 'normal_fundus'] },
};

/** Probability of each flag in the multi-label task (independent; normal_fundus = none of them). */
const MULTILABEL_RATE = 0.3;

/** Cup-to-disc ratio ranges: far apart, so the label is in the picture. */
const CDR_HEALTHY: [number, number] = [0.2, 0.45];
const CDR_GLAUCOMA: [number, number] = [0.6, 0.85];

/** Lesion load per DR level: [microaneurysms, haemorrhages, exudate clusters, cotton-wool spots, new-vessel tufts] as [min, max]. */
type Load = [[number, number], [number, number], [number, number], [number, number], [number, number]];
const NO_LESIONS: Load = [
  [0, 0],
  [0, 0],
  [0, 0],
  [0, 0],
  [0, 0],
];
const DR_LOAD: Record<'mild' | 'moderate' | 'proliferative', Load> = {
  mild: [
    [4, 9],
    [1, 2],
    [0, 0],
    [0, 0],
    [0, 0],
  ],
  moderate: [
    [6, 14],
    [3, 7],
    [1, 3],
    [0, 1],
    [0, 0],
  ],
  proliferative: [
    [6, 14],
    [5, 10],
    [2, 4],
    [1, 3],
    [1, 2],
  ],
};

/** Patient-level look shared by both eyes: pigmentation and disc size. */
function drawPatient(seed: number, patient: number): { pigment: number; discSize: number; gain: number } {
  const rng = Rng.create(seed, `synthetic:patient:${patient}`);
  return { pigment: rng.next(), discSize: rng.uniform(0.15, 0.18), gain: rng.uniform(0.85, 1.08) };
}

function int(rng: Rng, [lo, hi]: [number, number]): number {
  return lo + rng.int(hi - lo + 1);
}

/** The labels of image `index` as the dataset reports them. */
export function sceneLabels(task: SyntheticTask, scene: FundusScene): { label?: number; labels?: number[] } {
  const t = scene.truth;
  switch (task) {
    case 'glaucoma':
      return { label: t.glaucoma ? 1 : 0 };
    case 'dr':
      return { label: t.drGrade };
    case 'multilabel': {
      const normal = !t.cataract && !t.glaucoma && !t.dr;
      return { labels: [t.cataract ? 1 : 0, t.glaucoma ? 1 : 0, t.dr ? 1 : 0, normal ? 1 : 0] };
    }
  }
}

/** Draws the scene of image `index`; images 2p and 2p+1 are the right and left eye of patient p. */
export function drawScene(seed: number, task: SyntheticTask, index: number): FundusScene {
  const rng = Rng.create(seed, `synthetic:${index}`);
  const patient = drawPatient(seed, Math.floor(index / 2));

  // Labels first, from their own draws, so that the nuisance draws below never change them.
  let glaucoma = false;
  let cataract = false;
  let dr = false;
  let drGrade = 0;
  if (task === 'glaucoma') glaucoma = rng.next() < 0.5;
  else if (task === 'dr') drGrade = rng.int(3);
  else {
    cataract = rng.next() < MULTILABEL_RATE;
    glaucoma = rng.next() < MULTILABEL_RATE;
    dr = rng.next() < MULTILABEL_RATE;
  }
  const cupToDisc = rng.uniform(...(glaucoma ? CDR_GLAUCOMA : CDR_HEALTHY));
  const load: Load =
    task === 'dr' ? (drGrade === 0 ? NO_LESIONS : drGrade === 1 ? DR_LOAD.mild : DR_LOAD.proliferative) : dr ? DR_LOAD.moderate : NO_LESIONS;

  // Field of view: jittered position and size.
  const fundus = { x: 0.5 + rng.uniform(-0.04, 0.04), y: 0.5 + rng.uniform(-0.04, 0.04), r: rng.uniform(0.42, 0.47) };
  const R = fundus.r;

  // Retina colour from light orange to dark red-brown with pigmentation, slightly varied per image.
  const p = Math.min(1, Math.max(0, patient.pigment + rng.uniform(-0.08, 0.08)));
  const colour: [number, number, number] = [0.93 - 0.27 * p, 0.45 - 0.21 * p, 0.18 - 0.08 * p];
  const gain = patient.gain * rng.uniform(0.9, 1.1);

  // Disc-macula axis with a small tilt; the disc nasal (right in a right eye), the macula temporal.
  const tilt = rng.uniform(-8, 8) * (Math.PI / 180);
  const place = (dx: number, dy: number): { x: number; y: number } => ({
    x: fundus.x + R * (dx * Math.cos(tilt) - dy * Math.sin(tilt)),
    y: fundus.y + R * (dx * Math.sin(tilt) + dy * Math.cos(tilt)),
  });
  const discCentre = place(0.36 + rng.uniform(-0.04, 0.04), -0.02 + rng.uniform(-0.04, 0.04));
  const rd = patient.discSize * R * rng.uniform(0.97, 1.03);
  const disc = { ...discCentre, rx: rd * 0.95, ry: rd * 1.05 };
  const cupRy = cupToDisc * disc.ry;
  const cupRx = cupToDisc * disc.rx * rng.uniform(0.88, 1.0);
  const cup = { x: disc.x - (disc.rx - cupRx) * rng.uniform(0.1, 0.4), y: disc.y + rng.uniform(-0.1, 0.1) * (disc.ry - cupRy), rx: cupRx, ry: cupRy };
  const maculaCentre = place(-0.34 + rng.uniform(-0.04, 0.04), 0.06 + rng.uniform(-0.03, 0.03));
  const macula = { ...maculaCentre, r: R * rng.uniform(0.13, 0.17), depth: rng.uniform(0.25, 0.4) };

  const vessels = growVesselTree(
    {
      originX: disc.x + 0.3 * disc.rx,
      originY: disc.y,
      trunkLength: disc.ry * 0.8,
      temporalEdgeX: disc.x - disc.rx * 0.9,
      centreX: fundus.x,
      centreY: fundus.y,
      radius: R,
      rotation: tilt + rng.uniform(-12, 12) * (Math.PI / 180),
      widthScale: rng.uniform(0.03, 0.038),
    },
    rng,
  );

  const lesions: Lesion[] = [];
  // A lesion site: inside the field of view, off the disc.
  const site = (): { x: number; y: number } => {
    for (;;) {
      const a = rng.uniform(0, 2 * Math.PI);
      const d = R * 0.85 * Math.sqrt(rng.next());
      const x = fundus.x + d * Math.cos(a);
      const y = fundus.y + d * Math.sin(a);
      if (Math.hypot(x - disc.x, y - disc.y) > 2 * rd) return { x, y };
    }
  };
  const [nMa, nHaem, nExu, nCws, nNv] = load.map((range) => int(rng, range));
  for (let i = 0; i < nMa; i++) lesions.push({ kind: 'microaneurysm', ...site(), r: R * rng.uniform(0.022, 0.03) });
  for (let i = 0; i < nHaem; i++) {
    // A blot haemorrhage: a few overlapping round blots.
    const c = site();
    const size = R * rng.uniform(0.04, 0.075);
    const blobs = 1 + rng.int(3);
    for (let k = 0; k < blobs; k++) {
      lesions.push({
        kind: 'haemorrhage',
        x: c.x + rng.uniform(-0.6, 0.6) * size,
        y: c.y + rng.uniform(-0.6, 0.6) * size,
        r: size * rng.uniform(0.6, 1),
      });
    }
  }
  for (let i = 0; i < nExu; i++) {
    // Hard exudates come in clusters, often around the macula.
    const nearMacula = rng.next() < 0.6;
    const a = rng.uniform(0, 2 * Math.PI);
    const c = nearMacula
      ? { x: macula.x + Math.cos(a) * R * rng.uniform(0.12, 0.3), y: macula.y + Math.sin(a) * R * rng.uniform(0.12, 0.3) }
      : site();
    const n = 3 + rng.int(6);
    for (let k = 0; k < n; k++) {
      lesions.push({ kind: 'exudate', x: c.x + rng.normal() * 0.05 * R, y: c.y + rng.normal() * 0.05 * R, r: R * rng.uniform(0.014, 0.028) });
    }
  }
  for (let i = 0; i < nCws; i++) lesions.push({ kind: 'cotton-wool', ...site(), r: R * rng.uniform(0.045, 0.07) });
  for (let i = 0; i < nNv; i++) {
    // New vessels: a tangle of fine tortuous loops near the disc.
    const a = rng.uniform(0, 2 * Math.PI);
    let x = disc.x + Math.cos(a) * rd * rng.uniform(1.3, 2.2);
    let y = disc.y + Math.sin(a) * rd * rng.uniform(1.3, 2.2);
    let heading = rng.uniform(0, 2 * Math.PI);
    for (let k = 0; k < 40; k++) {
      heading += rng.normal() * 0.9;
      const nx = x + Math.cos(heading) * 0.025 * R;
      const ny = y + Math.sin(heading) * 0.025 * R;
      vessels.push({ x0: x, y0: y, x1: nx, y1: ny, width: 0.012 * R, kind: 'vein' });
      x = nx;
      y = ny;
    }
  }

  return {
    eye: index % 2 === 0 ? 'OD' : 'OS',
    fundus,
    colour,
    gain,
    lightAngle: rng.uniform(0, 2 * Math.PI),
    lightStrength: rng.uniform(0, 0.12),
    texture: Array.from({ length: 4 }, () => [rng.uniform(-7, 7), rng.uniform(-7, 7), rng.uniform(0, 2 * Math.PI), rng.uniform(0.01, 0.025)]),
    disc,
    cup,
    macula,
    vessels,
    lesions,
    blur: cataract ? R * rng.uniform(0.02, 0.032) : R * rng.uniform(0, 0.01),
    haze: cataract ? rng.uniform(0.25, 0.4) : rng.uniform(0, 0.06),
    noise: rng.uniform(0.008, 0.02),
    noiseSeed: rng.int32(),
    truth: { cupToDisc, drGrade, cataract, glaucoma, dr: task === 'dr' ? drGrade > 0 : dr },
  };
}
