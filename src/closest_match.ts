/**
 * "Did you mean ...?" suggestions for unknown flags, commands and config keys. Edit distance is enough:
 * the candidate lists are short (a command's flags, one config section's keys).
 */

/** Edit distance counting an adjacent swap as one edit ("lable" -> "label"), the commonest typo. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `input`, or undefined when none is plausibly a typo of it. A candidate that
 * starts with the input (`--epoch` for `--epochs`) always counts; otherwise the distance may be at most
 * a third of the input's length (at least 1), so `--foo` suggests nothing rather than something random.
 */
export function closestMatch(
  input: string,
  candidates: Iterable<string>,
  { maxDistance }: { maxDistance?: number } = {},
): string | undefined {
  const needle = input.toLowerCase();
  const limit = maxDistance ?? Math.max(1, Math.floor(needle.length / 3));
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const hay = candidate.toLowerCase();
    if (hay === needle) return candidate;
    const d = editDistance(needle, hay);
    const prefix = needle.length >= 3 && (hay.startsWith(needle) || needle.startsWith(hay));
    if ((d <= limit || prefix) && d < bestScore) {
      best = candidate;
      bestScore = d;
    }
  }
  return best;
}
