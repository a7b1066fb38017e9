/**
 * Sweep plan expansion: variant labels and spec hashes, de-duplication of identical specs (the baseline is always
 * first), and device × backend targets from the connected devices and what their runners support.
 */
import { variantLabel } from '../../../common/variant-label.js';
import { createHash } from 'node:crypto';
import { PqvError } from '../../../common/errors.js';
import type { Backend } from '../../../common/types/bench.js';
import type {
  PlannedRun,
  PlannedTarget,
  PlannedVariant,
  PruneSpec,
  QuantSpec,
  SweepPlan,
  SweepSpec,
  VariantSpec,
} from '../../../common/types/sweep.js';

/** A device as the sweep sees it: state plus the phone backends its runner supports. */
export interface SweepDevice {
  serial: string;
  /** `device` = ready, `host` = this computer; anything else is not usable now. */
  state: string;
  /** Backends the device's runner supports (phones); ignored for `host`. */
  backends: Backend[];
  /** Human name (e.g. `Pixel 7`), for progress lines. */
  name?: string;
}

/** Phone backends in display order; `auto` picks cpu and xnnpack plus any of the others the runner supports. */
export const PHONE_BACKENDS: Backend[] = ['cpu', 'xnnpack', 'nnapi', 'gpu', 'npu'];
const DEFAULT_PHONE_BACKENDS: Backend[] = ['cpu', 'xnnpack'];

export { variantLabel };

function normPrune(p: PruneSpec | undefined): PruneSpec | undefined {
  if (!p) return undefined;
  const base = { method: p.method, target: p.target, ratio: p.ratio };
  return p.recover ? { ...base, recover: p.recover } : base;
}

function normQuant(q: QuantSpec | undefined): QuantSpec | undefined {
  if (!q) return undefined;
  return q.mode === 'fp16' ? { mode: 'fp16' } : { mode: q.mode, profile: q.profile ?? 'cpu' };
}

/** Does building this variant read calibration images? */
export function usesCalibration(v: { prune?: PruneSpec; quant?: QuantSpec }): boolean {
  return (
    v.quant?.mode === 'int8-static' ||
    v.prune?.method === 'taylor' ||
    v.prune?.method === 'hessian' ||
    v.prune?.recover !== undefined
  );
}

/** What a variant's bytes depend on besides its spec. */
export interface VariantContext {
  /** SHA-256 of the base model. */
  modelSha256: string;
  /** Calibration folder and limit (only hashed for variants that use calibration). */
  calibDir?: string;
  calibLimit?: number;
}

/** Spec hash: identity of a variant for de-duplication and the variants cache (16 hex chars). */
export function variantKey(v: VariantSpec, ctx: VariantContext): string {
  const prune = normPrune(v.prune);
  const quant = normQuant(v.quant);
  const canonical = {
    model: ctx.modelSha256,
    prune: prune ?? null,
    quant: quant ?? null,
    calib: usesCalibration({ prune, quant }) ? { dir: ctx.calibDir ?? null, limit: ctx.calibLimit ?? null } : null,
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}

/** Baseline first, then the spec's variants; identical specs collapse into the first one. */
export function planVariants(spec: SweepSpec, ctx: VariantContext): PlannedVariant[] {
  const out: PlannedVariant[] = [];
  const byKey = new Set<string>();
  const labels = new Set<string>();
  const all: VariantSpec[] = [{ label: 'baseline' }, ...spec.variants.filter((v) => v.prune || v.quant)];
  for (const v of all) {
    const key = variantKey(v, ctx);
    if (byKey.has(key)) continue;
    let label = variantLabel(v);
    for (let i = 2; labels.has(label); i++) label = `${variantLabel(v)}-${i}`;
    byKey.add(key);
    labels.add(label);
    const pv: PlannedVariant = { key, label, isBaseline: !v.prune && !v.quant };
    const prune = normPrune(v.prune);
    const quant = normQuant(v.quant);
    if (prune) pv.prune = prune;
    if (quant) pv.quant = quant;
    out.push(pv);
  }
  return out;
}

function phoneBackends(dev: SweepDevice, requested: 'auto' | Backend[]): Backend[] {
  const supported = dev.backends.length ? dev.backends : DEFAULT_PHONE_BACKENDS;
  if (requested === 'auto') {
    return PHONE_BACKENDS.filter(
      (b) => supported.includes(b) && (DEFAULT_PHONE_BACKENDS.includes(b) || dev.backends.includes(b)),
    );
  }
  return PHONE_BACKENDS.filter((b) => requested.includes(b) && supported.includes(b));
}

/**
 * Device × backend targets. `host` always benchmarks with the `host` backend; each phone gets the requested
 * backends its runner supports. Explicit serials that are not connected and ready are a `DEVICE_NOT_FOUND` error.
 */
export function planTargets(spec: SweepSpec, devices: SweepDevice[]): PlannedTarget[] {
  const requested = spec.targets.backends ?? 'auto';
  const ready = devices.filter((d) => d.state === 'device');
  let serials: string[];
  const sel = spec.targets.devices;
  if (sel === 'host') serials = ['host'];
  else if (sel === 'all') serials = ['host', ...ready.map((d) => d.serial).sort()];
  else {
    serials = [...new Set(sel)];
    for (const s of serials) {
      if (s === 'host') continue;
      const d = devices.find((x) => x.serial === s);
      if (!d)
        throw new PqvError(
          'DEVICE_NOT_FOUND',
          `Device ${s} is not connected. Plug it in (check \`adb devices\`) or remove it from the sweep.`,
          { serial: s },
        );
      if (d.state !== 'device') {
        throw new PqvError(
          'DEVICE_OFFLINE',
          `Device ${s} is ${d.state}. Unlock it and accept the USB-debugging prompt, then run the sweep again.`,
          { serial: s },
        );
      }
    }
  }
  const targets: PlannedTarget[] = [];
  for (const s of serials) {
    if (s === 'host') {
      targets.push({ device: 'host', backend: 'host' });
      continue;
    }
    const d = ready.find((x) => x.serial === s);
    if (!d) continue;
    for (const b of phoneBackends(d, requested)) targets.push({ device: s, backend: b });
  }
  return targets;
}

/** Every variant × every target. */
export function expandPlan(spec: SweepSpec, ctx: VariantContext, devices: SweepDevice[]): SweepPlan {
  const variants = planVariants(spec, ctx);
  const targets = planTargets(spec, devices);
  return { spec, variants, targets, runs: crossRuns(variants, targets) };
}

export function crossRuns(variants: PlannedVariant[], targets: PlannedTarget[]): PlannedRun[] {
  const runs: PlannedRun[] = [];
  for (const v of variants)
    for (const t of targets) runs.push({ variantKey: v.key, device: t.device, backend: t.backend });
  return runs;
}

/** Key of one run inside a sweep. */
export function runKey(r: { variantKey: string; device: string; backend: string }): string {
  return `${r.variantKey}|${r.device}|${r.backend}`;
}
