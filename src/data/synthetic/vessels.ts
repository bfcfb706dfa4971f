import { Rng } from '../../util/random';

/** One straight piece of a vessel, in scene units (fractions of the image side). */
export interface VesselSegment {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  width: number;
  kind: 'artery' | 'vein';
}

interface Branch {
  x: number;
  y: number;
  heading: number; // radians, image coordinates (y down)
  curvature: number; // radians per unit length
  width: number;
  length: number;
  depth: number;
  kind: 'artery' | 'vein';
}

export interface VesselTreeOptions {
  /** Where the vessels leave the optic disc. */
  originX: number;
  originY: number;
  /** The fundus circle: vessels stop at its edge. */
  centreX: number;
  centreY: number;
  radius: number;
  /** Rotation of the whole tree (radians). */
  rotation: number;
  /** Length of the superior and inferior trunks that the arcades branch from (scene units). */
  trunkLength: number;
  /** Where the small macular branches start: the disc's temporal edge, so that they do not cross the cup. */
  temporalEdgeX: number;
  /** Main vein width as a fraction of the fundus radius. */
  widthScale: number;
}

const DEG = Math.PI / 180;

/**
 * The four arcades of a right eye (disc on the right, macula to its left): the temporal ones
 * arch above and below the macula, the nasal ones run outwards. [heading deg, curvature per radius, length in radii].
 */
const ARCADES: ReadonlyArray<readonly [number, number, number]> = [
  [-95, -2.0, 1.1], // superior temporal: up, bending left over the macula
  [95, 2.0, 1.1], // inferior temporal
  [-55, 0.5, 0.75], // superior nasal
  [55, -0.5, 0.75], // inferior nasal
  [180, 0.0, 0.3], // small macular branches
];

/**
 * Grows a branching vessel tree as random walks with steady curvature: an artery and a vein
 * per arcade, side branches that thin out, all deterministic for the given Rng.
 */
export function growVesselTree(opts: VesselTreeOptions, rng: Rng): VesselSegment[] {
  const R = opts.radius;
  const step = 0.03 * R;
  const minWidth = 0.006 * R;
  const segments: VesselSegment[] = [];
  const stack: Branch[] = [];
  // The central vessels leave the disc as a superior and an inferior trunk; the arcades start there.
  const trunkLength = opts.trunkLength;
  const trunkEnd = (sign: number): { x: number; y: number } => ({
    x: opts.originX - Math.sin(opts.rotation) * sign * trunkLength,
    y: opts.originY + Math.cos(opts.rotation) * sign * trunkLength,
  });
  for (const [headingDeg, curv, len] of ARCADES) {
    const macular = headingDeg === 180;
    const start = macular ? { x: opts.temporalEdgeX, y: opts.originY + rng.uniform(-0.5, 0.5) * trunkLength } : trunkEnd(headingDeg < 0 ? -1 : 1);
    for (const kind of ['vein', 'artery'] as const) {
      const offset = (kind === 'vein' ? 1 : -1) * rng.uniform(4, 10) * DEG;
      const width = opts.widthScale * R * (kind === 'vein' ? 1 : 0.75) * (macular ? 0.45 : 1);
      if (!macular) segments.push({ x0: opts.originX, y0: opts.originY, x1: start.x, y1: start.y, width: width * 1.1, kind });
      stack.push({
        ...start,
        heading: headingDeg * DEG + offset + opts.rotation + rng.uniform(-6, 6) * DEG,
        curvature: (curv * rng.uniform(0.8, 1.2)) / R,
        width,
        length: len * R * rng.uniform(0.85, 1.15),
        depth: macular ? 2 : 0,
        kind,
      });
    }
  }
  while (stack.length > 0) {
    const b = stack.pop()!;
    let { x, y, heading, width } = b;
    const steps = Math.max(1, Math.round(b.length / step));
    for (let s = 0; s < steps; s++) {
      heading += b.curvature * step + rng.normal() * 0.06;
      const nx = x + Math.cos(heading) * step;
      const ny = y + Math.sin(heading) * step;
      const dc = Math.hypot(nx - opts.centreX, ny - opts.centreY);
      if (dc > R * 0.99) break;
      segments.push({ x0: x, y0: y, x1: nx, y1: ny, width, kind: b.kind });
      x = nx;
      y = ny;
      width *= 0.988;
      if (width < minWidth) break;
      // Side branches leave at 25-60 degrees, thinner, shorter, and bend less.
      if (b.depth < 3 && s > 2 && rng.next() < 0.1) {
        const side = rng.next() < 0.5 ? -1 : 1;
        stack.push({
          x,
          y,
          heading: heading + side * rng.uniform(25, 60) * DEG,
          curvature: (rng.normal() * 0.8) / R,
          width: width * rng.uniform(0.55, 0.75),
          length: (steps - s) * step * rng.uniform(0.35, 0.7),
          depth: b.depth + 1,
          kind: b.kind,
        });
        width *= 0.9;
      }
    }
  }
  return segments;
}
