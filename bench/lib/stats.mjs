/** Small statistics helpers shared by the workloads: medians, ranges, latency histograms. */

export function median(values) {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** { median, min, max, n } of the finite values. */
export function summarize(values) {
  const xs = values.filter((v) => Number.isFinite(v));
  if (xs.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/**
 * A log-scale latency histogram in microseconds: 20 buckets per power of two (about 3.5 %
 * wide), so merging the histograms of several worker processes is a sum of arrays.
 */
export const HIST_BUCKETS = 20 * 34;

export function newHistogram() {
  return new Array(HIST_BUCKETS).fill(0);
}

export function bucketOf(us) {
  const b = Math.floor(Math.log2(Math.max(us, 0) + 1) * 20);
  return b < HIST_BUCKETS ? b : HIST_BUCKETS - 1;
}

/** Upper edge of a bucket, in microseconds. */
function bucketValue(b) {
  return 2 ** ((b + 1) / 20) - 1;
}

export function mergeHistograms(target, source) {
  for (let i = 0; i < HIST_BUCKETS; i++) target[i] += source[i] ?? 0;
  return target;
}

/** The p-th percentile (0-100) of a histogram, in milliseconds; NaN when empty. */
export function percentileMs(hist, p) {
  const total = hist.reduce((a, b) => a + b, 0);
  if (total === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (let b = 0; b < hist.length; b++) {
    seen += hist[b];
    if (seen >= rank) return bucketValue(b) / 1000;
  }
  return bucketValue(hist.length - 1) / 1000;
}
