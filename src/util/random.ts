import seedrandom from 'seedrandom';

/** What a random stream is used for; each purpose has its own stream so that changing one never shifts another. */
export type RandomPurpose = 'init' | 'split' | 'shuffle' | 'augment' | 'dropout' | 'synthetic' | 'bootstrap' | string;

/** The serialisable state of an Rng (seedrandom's ARC4 state). */
export type RngState = seedrandom.State.Arc4;

/**
 * A seeded random stream. `state()` and `Rng.restore()` make resume exact.
 */
export class Rng {
  private readonly prng: seedrandom.StatefulPRNG<seedrandom.State.Arc4>;

  private constructor(prng: seedrandom.StatefulPRNG<seedrandom.State.Arc4>) {
    this.prng = prng;
  }

  /** The stream for `purpose` under the experiment seed. */
  static create(seed: number, purpose: RandomPurpose): Rng {
    return new Rng(seedrandom(`fundus-train:${seed}:${purpose}`, { state: true }));
  }

  static restore(state: RngState): Rng {
    return new Rng(seedrandom('', { state }));
  }

  state(): RngState {
    return this.prng.state();
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.prng.double();
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer uniform in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A 32-bit integer, for seeding other generators. */
  int32(): number {
    return this.prng.int32();
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** 0..n-1 in random order. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }
}
