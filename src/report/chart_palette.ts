/**
 * Colours of the report's charts: Okabe and Ito's palette, which stays distinguishable with the common
 * colour-vision deficiencies, then Tableau's for classes past seven. The yellows and light greys of both
 * are left out because they vanish on a white page. Train and validation series keep fixed colours so
 * every learning curve reads the same way.
 */

/** Series colours in order; a class index picks `PALETTE[i % PALETTE.length]`. */
export const PALETTE = Object.freeze(
  [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#4E79A7",
    "#F28E2B",
    "#E15759",
    "#76B7B2",
    "#59A14F",
    "#B07AA1",
    "#FF9DA7",
    "#9C755F",
  ] as const satisfies readonly string[],
);

/** Fixed colours of the learning curves' training and validation series. */
export const SPLIT_COLORS = Object.freeze(
  { train: "#0072B2", val: "#D55E00", extra: "#009E73" } as const satisfies Record<string, string>,
);

/** The colour of series `i`. */
export function seriesColor(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/**
 * The fill of a heat-map cell holding `share` (0..1) of its row: white to the dark end of ColorBrewer's
 * "Blues", interpolated in sRGB, which is even enough for a handful of shades.
 */
export function heatColor(share: number): string {
  const t = Math.min(1, Math.max(0, Number.isFinite(share) ? share : 0));
  const from = [247, 251, 255];
  const to = [8, 48, 107];
  const rgb = from.map((f, i) => Math.round(f + (to[i] - f) * t));
  return `#${rgb.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

/** Whether text on a heat-map cell of `share` should be white (dark cell) rather than black. */
export function heatTextIsLight(share: number): boolean {
  return share > 0.45;
}
