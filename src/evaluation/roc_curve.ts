/**
 * Binary ROC: the curve's points and the area under it, with scikit-learn's tie handling. The
 * multiclass one-vs-rest glue lives in metrics.ts.
 */

/** Points of a ROC curve, as sklearn's `roc_curve` with `drop_intermediate=True`. */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** Decreasing; the first is Infinity (as sklearn >= 1.3) so the curve starts at (0, 0). */
  thresholds: number[];
}

/**
 * Area under the ROC curve of `scores` for `positives` by the rank-sum (Mann-Whitney) formula with
 * average ranks for ties, which equals sklearn's trapezoid area. null when either side is empty.
 */
export function binaryAuc(scores: ArrayLike<number>, positives: ArrayLike<boolean | number>): number | null {
  const n = scores.length;
  if (positives.length !== n) {
    throw new RangeError(`positives must have one entry a score (${n}), received ${positives.length}`);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  let rankSum = 0;
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    // Ranks start..end-1 (0-based) are tied; each gets their mean, 1-based.
    const rank = (start + end + 1) / 2;
    for (let j = start; j < end; j++) {
      if (positives[order[j]]) {
        nPos++;
        rankSum += rank;
      }
    }
    start = end;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * ROC curve points, as sklearn's `roc_curve` (tied scores form one point; collinear points dropped
 * unless `dropIntermediate` is false). Throws when `positives` has no positive or no negative entry.
 */
export function rocCurve(
  scores: ArrayLike<number>,
  positives: ArrayLike<boolean | number>,
  { dropIntermediate = true }: { dropIntermediate?: boolean } = {},
): RocCurve {
  const n = scores.length;
  if (positives.length !== n) {
    throw new RangeError(`positives must have one entry a score (${n}), received ${positives.length}`);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let fps: number[] = [];
  let tps: number[] = [];
  let thresholds: number[] = [];
  let tp = 0;
  for (let j = 0; j < n; j++) {
    if (positives[order[j]]) tp++;
    // One point per distinct score, taken after its last tied row.
    if (j === n - 1 || scores[order[j + 1]] !== scores[order[j]]) {
      tps.push(tp);
      fps.push(j + 1 - tp);
      thresholds.push(scores[order[j]]);
    }
  }
  const totalPos = tps[tps.length - 1] ?? 0;
  const totalNeg = fps[fps.length - 1] ?? 0;
  if (totalPos === 0 || totalNeg === 0) {
    throw new RangeError(`a ROC curve needs positives and negatives, received ${totalPos} and ${totalNeg}`);
  }
  if (dropIntermediate && fps.length > 2) {
    // Keep corners: points where the second difference of fps or tps is non-zero, plus both ends.
    const keep = fps.map((_, i) =>
      i === 0 || i === fps.length - 1 ||
      fps[i + 1] - 2 * fps[i] + fps[i - 1] !== 0 || tps[i + 1] - 2 * tps[i] + tps[i - 1] !== 0
    );
    fps = fps.filter((_, i) => keep[i]);
    tps = tps.filter((_, i) => keep[i]);
    thresholds = thresholds.filter((_, i) => keep[i]);
  }
  return {
    fpr: [0, ...fps.map((f) => f / totalNeg)],
    tpr: [0, ...tps.map((t) => t / totalPos)],
    thresholds: [Infinity, ...thresholds],
  };
}
