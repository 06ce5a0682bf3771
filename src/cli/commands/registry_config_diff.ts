/**
 * The config half of `mmml registry compare`: two versions' config.json flattened to dotted paths
 * (`training.optimizer.lr`) and the paths whose values differ, appeared or disappeared. Arrays are
 * values, not branches: `model.hidden` [32, 16] -> [64, 32] reads as one change, not two.
 */

/** One dotted path whose value differs between config a and config b. */
export interface ConfigChange {
  /** Dotted path; a key that is not a plain identifier is quoted: `data.column_types["bill.length"]`. */
  path: string;
  /** "added": only b has the path; "removed": only a has it; "changed": both, with different values. */
  change: "changed" | "added" | "removed";
  /** The value in a; null where a lacks the path (see `change`, since null can also be a value). */
  a: unknown;
  /** The value in b; null where b lacks the path. */
  b: unknown;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function isBranch(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    Object.keys(value).length > 0;
}

function childPath(parent: string, key: string): string {
  const segment = IDENTIFIER.test(key) ? key : `[${JSON.stringify(key)}]`;
  return parent === "" || segment.startsWith("[") ? parent + segment : `${parent}.${segment}`;
}

/** Every leaf of `value` by path; an empty object or an array is a leaf, as is a config that is no object. */
function flatten(value: unknown, path = "", out = new Map<string, unknown>()): Map<string, unknown> {
  if (!isBranch(value)) {
    out.set(path, value);
    return out;
  }
  for (const [key, child] of Object.entries(value)) flatten(child, childPath(path, key), out);
  return out;
}

/** JSON with object keys sorted, so two values equal up to key order compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(
    value,
    (_, v) =>
      typeof v === "object" && v !== null && !Array.isArray(v)
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
        : v,
  );
}

function isUnder(path: string, parent: string): boolean {
  return parent === "" ? path !== "" : path.startsWith(parent + ".") || path.startsWith(parent + "[");
}

/**
 * Drops the empty sections of `leaves` that `other` fills in: `model: {}` against `model: {dropout: 0.1}`
 * should read as one removed `model.dropout`, not that plus a changed `model`.
 */
function withoutFilledEmpties(
  leaves: Map<string, unknown>,
  other: Map<string, unknown>,
): Map<string, unknown> {
  const isEmpty = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  const otherPaths = [...other.keys()];
  return new Map(
    [...leaves].filter(([path, v]) => !isEmpty(v) || !otherPaths.some((p) => isUnder(p, path))),
  );
}

/**
 * The paths where `b` differs from `a`, sorted by path. A section that is empty on one side and filled on
 * the other shows as its filled paths added or removed. Neither input is modified.
 */
export function diffConfigs(a: unknown, b: unknown): ConfigChange[] {
  const [fa, fb] = [flatten(a), flatten(b)];
  const left = withoutFilledEmpties(fa, fb);
  const right = withoutFilledEmpties(fb, fa);
  const paths = [...new Set([...left.keys(), ...right.keys()])].sort();
  const changes: ConfigChange[] = [];
  for (const path of paths) {
    const [inA, inB] = [left.has(path), right.has(path)];
    const [va, vb] = [left.get(path), right.get(path)];
    if (inA && inB && canonical(va) === canonical(vb)) continue;
    const change = !inA ? "added" : !inB ? "removed" : "changed";
    changes.push({ path, change, a: inA ? va ?? null : null, b: inB ? vb ?? null : null });
  }
  return changes;
}
