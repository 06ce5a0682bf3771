/**
 * Axis arithmetic for the report's SVG charts: "nice" tick values (1, 2, 2.5, 5 times a power of ten,
 * as d3's ticks) and linear maps from data to pixels. Pure functions, so charts are testable as text.
 */

/** A linear map from a data interval onto a pixel interval; a zero-width domain maps to the middle. */
export function linearScale(
  [d0, d1]: readonly [number, number],
  [r0, r1]: readonly [number, number],
): (value: number) => number {
  const span = d1 - d0;
  if (span === 0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / span) * (r1 - r0);
}

const STEPS = [1, 2, 2.5, 5, 10] as const;

/** The tick step for about `count` ticks over `span`: 1, 2, 2.5 or 5 times a power of ten. */
export function tickStep(span: number, count: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = STEPS.find((s) => s * power >= raw) ?? 10;
  return step * power;
}

/**
 * About `count` evenly spaced round values covering [min, max], the first at or below min and the last
 * at or above max, so an axis built on them encloses every point.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    throw new RangeError(`ticks need a finite interval, received [${min}, ${max}]`);
  }
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) / 2;
    [min, max] = [min - pad, max + pad];
  }
  const step = tickStep(max - min, count);
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const out: number[] = [];
  // Multiplying the index, not summing steps, keeps 0.1 * 3 from drifting to 0.30000000000000004.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  for (let i = first; i <= last; i++) out.push(Number((i * step).toFixed(decimals)));
  return out;
}

/** A tick label with as few decimals as the (already rounded) tick value needs: 0.25, 1, 1.5, 1e-7. */
export function formatTick(value: number): string {
  for (let d = 0; d <= 6; d++) {
    const text = value.toFixed(d);
    if (Math.abs(Number(text) - value) <= 1e-9 * Math.max(1, Math.abs(value))) {
      return text === "-0" ? "0" : text;
    }
  }
  return value.toPrecision(3);
}
