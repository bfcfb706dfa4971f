import { RgbImage } from '../types';
import { applyMask, blur, Canvas, Paint, stampCircle, strokeSegment, toRgbImage } from './canvas';
import { FundusScene, Lesion } from './scene';

// Math functions bound once per module: a hot loop then does no global lookup per call, which is slow
// inside vm contexts (jest runs tests in one) and costs nothing elsewhere.
const { cos, exp, imul, max, min, sin, sqrt } = Math;

/** Colours as (r, g, b) in [0, 1]; tints multiply what lies beneath. */
const BACKGROUND: [number, number, number] = [0.015, 0.012, 0.01];
const DISC_RIM: [number, number, number] = [0.96, 0.6, 0.36];
const DISC_INNER: [number, number, number] = [1.0, 0.72, 0.45];
const CUP: [number, number, number] = [1.0, 0.96, 0.88];
const VEIN: Paint = { mode: 'multiply', rgb: [0.55, 0.17, 0.17], alpha: 0.9 };
const ARTERY: Paint = { mode: 'multiply', rgb: [0.76, 0.32, 0.3], alpha: 0.85 };
const HAZE: [number, number, number] = [0.8, 0.68, 0.55];

const LESION_PAINT: Record<Lesion['kind'], { paint: Paint; feather: number }> = {
  microaneurysm: { paint: { mode: 'multiply', rgb: [0.45, 0.16, 0.2], alpha: 0.95 }, feather: 1 },
  haemorrhage: { paint: { mode: 'multiply', rgb: [0.42, 0.12, 0.16], alpha: 0.92 }, feather: 1.6 },
  exudate: { paint: { mode: 'mix', rgb: [1.0, 0.9, 0.42], alpha: 0.9 }, feather: 1 },
  'cotton-wool': { paint: { mode: 'mix', rgb: [0.97, 0.9, 0.78], alpha: 0.65 }, feather: 3 },
};

function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = min(1, max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}

/** mulberry32: a tiny fast generator for per-pixel sensor noise, seeded from the scene's own stream. */
function noiseGenerator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Retina, shading, texture, macula, disc and cup: everything that varies smoothly per pixel. */
function paintBase(c: Canvas, s: FundusScene): void {
  const n = c.size;
  const fx = s.fundus.x * n;
  const fy = s.fundus.y * n;
  const R = s.fundus.r * n;
  const lx = cos(s.lightAngle) * s.lightStrength;
  const ly = sin(s.lightAngle) * s.lightStrength;
  const mx = s.macula.x * n;
  const my = s.macula.y * n;
  const ms2 = 2 * (s.macula.r * n) ** 2;
  const d = { x: s.disc.x * n, y: s.disc.y * n, rx: s.disc.rx * n, ry: s.disc.ry * n };
  const cup = { x: s.cup.x * n, y: s.cup.y * n, rx: s.cup.rx * n, ry: s.cup.ry * n };
  // Texture waves are separable: cos(a x + b y + p) = cos(a x) cos(b y + p) - sin(a x) sin(b y + p).
  const cosX = s.texture.map(([a]) => Float32Array.from({ length: n }, (_, x) => cos((2 * Math.PI * a * (x + 0.5)) / n)));
  const sinX = s.texture.map(([a]) => Float32Array.from({ length: n }, (_, x) => sin((2 * Math.PI * a * (x + 0.5)) / n)));
  const cosY = s.texture.map(([, b, ph]) => Float32Array.from({ length: n }, (_, y) => cos((2 * Math.PI * b * (y + 0.5)) / n + ph)));
  const sinY = s.texture.map(([, b, ph]) => Float32Array.from({ length: n }, (_, y) => sin((2 * Math.PI * b * (y + 0.5)) / n + ph)));
  const amp = s.texture.map((w) => w[3]);
  const data = c.data;
  for (let y = 0; y < n; y++) {
    const py = y + 0.5;
    for (let x = 0; x < n; x++) {
      const px = x + 0.5;
      const i = (y * n + x) * 3;
      const dx = px - fx;
      const dy = py - fy;
      const r = sqrt(dx * dx + dy * dy);
      const inside = min(1, max(0, R - r + 0.5)); // anti-aliased rim of the field of view
      if (inside <= 0) {
        data[i] = BACKGROUND[0];
        data[i + 1] = BACKGROUND[1];
        data[i + 2] = BACKGROUND[2];
        continue;
      }
      const rr = r / R;
      let shade = (1 - 0.42 * rr ** 2.4) * (1 + (lx * dx + ly * dy) / R);
      let tex = 1;
      for (let k = 0; k < amp.length; k++) tex += amp[k] * (cosX[k][x] * cosY[k][y] - sinX[k][x] * sinY[k][y]);
      shade *= tex;
      const dm2 = (px - mx) ** 2 + (py - my) ** 2;
      if (dm2 < 4.5 * ms2) shade *= 1 - s.macula.depth * exp(-dm2 / ms2);
      let cr = s.colour[0] * shade;
      let cg = s.colour[1] * shade;
      let cb = s.colour[2] * shade;
      // Optic disc: orange-pink rim brightening inwards, with a soft edge; the pale cup inside it.
      const ed = sqrt(((px - d.x) / d.rx) ** 2 + ((py - d.y) / d.ry) ** 2);
      if (ed < 1.3) {
        const cov = 1 - smoothstep(0.88, 1.12, ed);
        // A faint pale halo just outside the rim (peripapillary atrophy) keeps the edge from looking pasted on.
        const halo = 0.12 * (1 - smoothstep(1.0, 1.3, ed));
        const t = smoothstep(1.0, 0.3, ed);
        const tr = DISC_RIM[0] + t * (DISC_INNER[0] - DISC_RIM[0]);
        const tg = DISC_RIM[1] + t * (DISC_INNER[1] - DISC_RIM[1]);
        const tb = DISC_RIM[2] + t * (DISC_INNER[2] - DISC_RIM[2]);
        const a = min(1, cov + halo);
        cr += a * (tr - cr);
        cg += a * (tg - cg);
        cb += a * (tb - cb);
        const ec = sqrt(((px - cup.x) / cup.rx) ** 2 + ((py - cup.y) / cup.ry) ** 2);
        const cc = 1 - smoothstep(0.75, 1.1, ec);
        cr += cc * (CUP[0] - cr);
        cg += cc * (CUP[1] - cg);
        cb += cc * (CUP[2] - cb);
      }
      data[i] = BACKGROUND[0] + inside * (cr - BACKGROUND[0]);
      data[i + 1] = BACKGROUND[1] + inside * (cg - BACKGROUND[1]);
      data[i + 2] = BACKGROUND[2] + inside * (cb - BACKGROUND[2]);
    }
  }
}

function paintVessels(c: Canvas, s: FundusScene): void {
  const n = c.size;
  const veins = new Float32Array(n * n);
  const arteries = new Float32Array(n * n);
  for (const v of s.vessels) {
    strokeSegment(v.kind === 'vein' ? veins : arteries, n, v.x0 * n, v.y0 * n, v.x1 * n, v.y1 * n, v.width * n);
  }
  applyMask(c, veins, VEIN);
  applyMask(c, arteries, ARTERY);
}

function paintLesions(c: Canvas, s: FundusScene): void {
  const n = c.size;
  for (const l of s.lesions) {
    const { paint, feather } = LESION_PAINT[l.kind];
    stampCircle(c, l.x * n, l.y * n, l.r * n, paint, max(1, (feather * n) / 128));
  }
}

/** Cataract: the whole picture through a milky lens, blurred and washed out, then exposure and sensor noise. */
function finish(c: Canvas, s: FundusScene): void {
  const n = c.size;
  blur(c, s.blur * n);
  const data = c.data;
  const fx = s.fundus.x * n;
  const fy = s.fundus.y * n;
  const R = s.fundus.r * n;
  const rand = noiseGenerator(s.noiseSeed);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const i = (y * n + x) * 3;
      const dx = x + 0.5 - fx;
      const dy = y + 0.5 - fy;
      const r = sqrt(dx * dx + dy * dy);
      const inside = min(1, max(0, R - r + 0.5));
      const h = s.haze * inside;
      for (let ch = 0; ch < 3; ch++) {
        let v = data[i + ch];
        v += h * (HAZE[ch] * (0.55 + 0.45 * v) - v);
        // Uniform noise with standard deviation s.noise: Gaussian would cost logs per pixel for no visible difference.
        v = v * s.gain + s.noise * (rand() - 0.5) * 3.464;
        data[i + ch] = v;
      }
    }
  }
}

/** Renders a scene to a size x size RGB image; pure JS, deterministic, about 2 ms at 128 px. */
export function renderFundus(scene: FundusScene, size: number): RgbImage {
  const c = new Canvas(size);
  paintBase(c, scene);
  paintVessels(c, scene);
  paintLesions(c, scene);
  finish(c, scene);
  return toRgbImage(c, scene.eye === 'OS');
}
