/** Percentiles over raw samples (nearest rank), medians across repetitions. */
export interface Latency {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarise(samples: number[]): Latency {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const s of sorted) sum += s;
  return {
    n: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.length ? sorted[sorted.length - 1]! : NaN),
    mean: round(sorted.length ? sum / sorted.length : NaN),
  };
}

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * The element-wise median of several repetitions of the same measurement: every numeric leaf is the
 * median of its values across the repetitions (so p99 is the median p99, not the p99 of a union).
 */
export function medianOf<T>(reps: T[]): T {
  const first = reps[0];
  if (typeof first === 'number') return round(median(reps as number[]), 4) as T;
  if (first && typeof first === 'object' && !Array.isArray(first)) {
    const keys = new Set<string>();
    for (const r of reps) for (const k of Object.keys(r as object)) keys.add(k);
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const values = reps.map((r) => (r as Record<string, unknown>)[k]).filter((v) => v !== undefined);
      out[k] = values.length ? medianOf(values) : undefined;
    }
    return out as T;
  }
  return first as T;
}
