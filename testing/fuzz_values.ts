/**
 * Random JSON values, bytes and tree mutations for the server's fuzz test (see malformed_requests.ts).
 * Everything draws from a seeded Rng, so a failing request can be replayed from its seed and index.
 */
import type { Rng } from "../src/random.ts";

/** A random element. */
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.int(items.length)];

/** `n` random bytes. */
export function randomBytes(rng: Rng, n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

/** A random JSON value: scalars of every type, odd strings, small arrays and objects. */
export function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 6 : 8)) {
    case 0:
      return null;
    case 1:
      return rng.next() < 0.5;
    case 2:
      return (rng.next() - 0.5) * 10 ** rng.int(12);
    case 3:
      return pick(rng, ["", "x", "ten", "1e3", "NaN", "\u0000", "☃", "<script>", "a".repeat(rng.int(300))]);
    case 4:
      return rng.int(5);
    case 5:
      return -rng.int(1000);
    case 6:
      return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: rng.int(4) }, (_, i) => [`k${i}`, randomValue(rng, depth + 1)]),
      );
  }
}

/** Sets `value` at a random place of a JSON tree (or drops the key when `value` is undefined). */
export function mutate(rng: Rng, tree: unknown, value: unknown | (() => unknown)): unknown {
  const copy = structuredClone(tree);
  const make = () => typeof value === "function" ? (value as () => unknown)() : value;
  let node = copy as Record<string, unknown> | unknown[];
  for (let depth = 0; depth < 6; depth++) {
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    const key = pick(rng, keys) as never;
    const child = (node as Record<string, unknown>)[key];
    if (child !== null && typeof child === "object" && rng.next() < 0.6) {
      node = child as Record<string, unknown>;
      continue;
    }
    if (value === undefined && !Array.isArray(node)) delete (node as Record<string, unknown>)[key];
    else (node as Record<string, unknown>)[key] = make();
    break;
  }
  return copy;
}
