/**
 * The out-of-scope decision. The engine answers only when the top intent's raw SVM margin is
 * high enough; this module picks "high enough" from held-out data and turns margins into
 * 0..1 confidences.
 *
 * The operating point rule is the same for every bot and needs no out-of-scope data: keep
 * `retention` (default 98 %) of the held-out utterances the model classifies correctly, and
 * reject everything that scores below the weakest of those. On CLINC150 the margin of a
 * one-vs-rest SVM separates in-scope from out-of-scope far better than softmax probabilities
 * or nearest-neighbour similarity do (see README.md), so giving up 2 % of correct answers
 * buys most of the out-of-scope recall. Held-out data is the bot's own `val` split when there
 * is one (eval), otherwise cross-validation folds of its training examples.
 *
 * Confidences are Platt-scaled margins: `1 / (1 + exp(a·margin + b))` fitted on the same
 * held-out data, so a confidence reads as "probability this intent is right".
 */

/** One held-out prediction: the top raw margin and whether the top intent was the right one. */
export interface HeldOutScore {
  margin: number;
  correct: boolean;
  /** False for out-of-scope utterances (they can never be correct). */
  inScope: boolean;
}

export interface Calibration {
  /** Platt parameters: confidence = 1 / (1 + exp(a·margin + b)). */
  a: number;
  b: number;
  /** The confidence below which the engine says "out of scope". */
  threshold: number;
  /** The same operating point as a raw margin. */
  marginThreshold: number;
  /** How many held-out utterances it was chosen on, for reports. */
  heldOut: number;
}

export const DEFAULT_RETENTION = 0.98;

export function sigmoidConfidence(margin: number, a: number, b: number): number {
  const z = a * margin + b;
  return z >= 0 ? Math.exp(-z) / (1 + Math.exp(-z)) : 1 / (1 + Math.exp(z));
}

/**
 * Platt's sigmoid fit with the target smoothing and Newton steps of Lin, Lin & Weng (2007).
 * Returns `a < 0` (higher margin, higher confidence) unless the data is degenerate.
 */
export function fitPlatt(margins: readonly number[], labels: readonly boolean[]): { a: number; b: number } {
  const n = margins.length;
  let pos = 0;
  for (const l of labels) if (l) pos++;
  const neg = n - pos;
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (neg + 2);
  const t = labels.map((l) => (l ? hi : lo));
  let a = 0;
  let b = Math.log((neg + 1) / (pos + 1));
  const objective = (a1: number, b1: number): number => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const z = a1 * (margins[i] as number) + b1;
      const ti = t[i] as number;
      f += z >= 0 ? ti * z + Math.log1p(Math.exp(-z)) : (ti - 1) * z + Math.log1p(Math.exp(z));
    }
    return f;
  };
  let f = objective(a, b);
  for (let iter = 0; iter < 100; iter++) {
    let h11 = 1e-12;
    let h22 = 1e-12;
    let h21 = 0;
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < n; i++) {
      const m = margins[i] as number;
      const z = a * m + b;
      const p = z >= 0 ? Math.exp(-z) / (1 + Math.exp(-z)) : 1 / (1 + Math.exp(z));
      const q = 1 - p;
      const d2 = p * q;
      h11 += m * m * d2;
      h22 += d2;
      h21 += m * d2;
      const d1 = (t[i] as number) - p;
      g1 += m * d1;
      g2 += d1;
    }
    if (Math.abs(g1) < 1e-6 && Math.abs(g2) < 1e-6) break;
    const det = h11 * h22 - h21 * h21;
    const da = -(h22 * g1 - h21 * g2) / det;
    const db = -(-h21 * g1 + h11 * g2) / det;
    const gd = g1 * da + g2 * db;
    let step = 1;
    let moved = false;
    while (step >= 1e-10) {
      const na = a + step * da;
      const nb = b + step * db;
      const nf = objective(na, nb);
      if (nf < f + 1e-4 * step * gd) {
        a = na;
        b = nb;
        f = nf;
        moved = true;
        break;
      }
      step /= 2;
    }
    if (!moved) break;
  }
  return { a, b };
}

/** Value below which a `fraction` of `sorted` (ascending) lies, linearly interpolated. */
function quantile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NEGATIVE_INFINITY;
  const pos = fraction * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  // −∞ marks a right answer rejected by another rule (the negative class): no interpolation.
  if (!Number.isFinite(sorted[lo] as number))
    return pos === lo ? (sorted[lo] as number) : (sorted[hi] as number);
  return (sorted[lo] as number) + (pos - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

/** Chooses the operating point and the confidence mapping from held-out predictions. */
export function calibrate(scores: readonly HeldOutScore[], retention = DEFAULT_RETENTION): Calibration {
  const correct = scores
    .filter((s) => s.correct)
    .map((s) => s.margin)
    .sort((x, y) => x - y);
  // No correct held-out answer (e.g. one example per intent): fall back to the SVM's own
  // decision boundary, margin 0, which is where "this class" and "the rest" meet.
  let marginThreshold = correct.length > 0 ? quantile(correct, 1 - retention) : 0;
  if (!Number.isFinite(marginThreshold)) {
    // More right answers than `1 − retention` are rejected by the negative class already: the
    // threshold then keeps every right answer the negative class lets through.
    const finiteCorrect = correct.filter((m) => Number.isFinite(m));
    marginThreshold = finiteCorrect.length > 0 ? (finiteCorrect[0] as number) : 0;
  }
  const finite = scores.filter((s) => Number.isFinite(s.margin));
  let { a, b } = fitPlatt(
    finite.map((s) => s.margin),
    finite.map((s) => s.correct),
  );
  if (!(a < 0) || !Number.isFinite(a) || !Number.isFinite(b)) {
    // Degenerate data (all right or all wrong): a fixed slope centred on the operating point.
    a = -8;
    b = 8 * marginThreshold;
  }
  return {
    a,
    b,
    threshold: sigmoidConfidence(marginThreshold, a, b),
    marginThreshold,
    heldOut: scores.length,
  };
}
