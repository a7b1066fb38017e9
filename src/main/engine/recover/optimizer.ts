/**
 * Adam / AdamW over named Float32Array parameters (updated in place), and the learning-rate schedule
 * (linear warm-up, then cosine decay) used by distillation.
 */

type FloatArray = Float32Array | Float64Array;

/** Options of `Adam`. */
export interface AdamOptions {
  /** β₁ (first-moment decay). Default 0.9. */
  beta1?: number;
  /** β₂ (second-moment decay). Default 0.999. */
  beta2?: number;
  /** Added to √v. Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay (AdamW), applied to parameters `decay` selects. Default 0. */
  weightDecay?: number;
  /** Which parameters get weight decay. Default: all. */
  decay?: (name: string) => boolean;
}

export class Adam {
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  private t = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  private readonly decay: (name: string) => boolean;

  constructor(
    readonly params: ReadonlyMap<string, Float32Array>,
    o: AdamOptions = {},
  ) {
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 0;
    this.decay = o.decay ?? (() => true);
    for (const [name, p] of params) {
      this.m.set(name, new Float32Array(p.length));
      this.v.set(name, new Float32Array(p.length));
    }
  }

  /** Number of steps taken. */
  get steps(): number {
    return this.t;
  }

  /** One update with learning rate `lr`; parameters without a gradient are left alone. */
  step(grads: ReadonlyMap<string, FloatArray>, lr: number): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    const stepSize = lr / c1;
    const sqrtC2 = Math.sqrt(c2);
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) continue;
      if (g.length !== p.length)
        throw new Error(`Adam: gradient of ${name} has ${g.length} values, parameter ${p.length}`);
      const m = this.m.get(name) as Float32Array;
      const v = this.v.get(name) as Float32Array;
      const wd = this.weightDecay > 0 && this.decay(name) ? 1 - lr * this.weightDecay : 1;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] as number;
        const mi = b1 * (m[i] as number) + (1 - b1) * gi;
        const vi = b2 * (v[i] as number) + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = (p[i] as number) * wd - (stepSize * mi) / (Math.sqrt(vi) / sqrtC2 + eps);
      }
    }
  }
}

/**
 * Learning rate at `step` (0-based) of `total`: linear warm-up over `warmup` steps to `base`, then
 * cosine decay to `base · minRatio` at the last step.
 */
export function cosineLr(step: number, total: number, base: number, warmup = 0, minRatio = 0): number {
  if (warmup > 0 && step < warmup) return (base * (step + 1)) / warmup;
  const span = Math.max(1, total - warmup - 1);
  const p = Math.min(1, Math.max(0, (step - warmup) / span));
  return base * (minRatio + (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * p)));
}

/** √(Σ g²) over all gradients. */
export function globalNorm(grads: ReadonlyMap<string, FloatArray>): number {
  let s = 0;
  for (const g of grads.values()) for (let i = 0; i < g.length; i++) s += (g[i] as number) ** 2;
  return Math.sqrt(s);
}
