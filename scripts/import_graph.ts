/**
 * The house rule on imports, checked: no import circles, and imports run one way, from the entry points
 * down to the foundations. Reads every .ts file's relative imports (static, `export ... from`, dynamic
 * `import("...")` and `new URL("./x.ts", import.meta.url)`, which is how workers and lazily loaded
 * modules are named) and checks them against LAYERS.
 *
 *   deno run --allow-read scripts/import_graph.ts      prints the violations, exit 1 if any
 *
 * import_graph_test.ts runs the same check in the suite (and so in CI).
 */
import { dirname, join, normalize } from "node:path";

/**
 * The layers, lowest first: a file may import from its own layer or any layer listed before it. A
 * path belongs to the longest prefix that matches. Test files (`*_test.ts`) are leaves that nothing
 * imports: they may reach up (an end-to-end test beside data/ may train a model, and every test may use
 * the shared builders in testing/), while src/ never imports testing/.
 */
export const LAYERS: readonly (readonly string[])[] = [
  [
    "src/errors.ts",
    "src/log.ts",
    "src/random.ts",
    "src/version.ts",
    "src/closest_match.ts",
    "src/redact.ts",
    "src/disk_space.ts",
    "src/bounded_read.ts",
    "src/files.ts",
  ],
  ["src/config/"],
  ["src/hub/"],
  ["src/backend/"],
  ["src/data/"],
  ["src/preprocess/"],
  ["src/models/"],
  ["src/evaluation/"],
  ["src/training/"],
  ["src/registry/"],
  ["src/artifacts/"],
  ["src/export/"],
  ["src/inference/"],
  ["src/tasks/"],
  ["src/report/"],
  ["src/runs/"],
  ["src/sweeps/"],
  ["src/host/"],
  ["src/server/"],
  ["src/cli/"],
  ["cli.ts", "server.ts"],
  ["testing/"],
  ["scripts/", "bench/", "cli_test.ts", "server_test.ts", "quiet_host_test.ts"],
];

/** One import edge: `from` imports `to`, both repository-relative paths. */
export interface ImportEdge {
  from: string;
  to: string;
}

const IMPORT_PATTERNS = [
  /(?:^|[;\s])(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/gs,
  /(?:^|[;\s])import\s*["']([^"']+)["']/g,
  /import\(\s*["']([^"']+)["']\s*\)/g,
  /new URL\(\s*["']([^"']+\.ts)["']\s*,\s*import\.meta\.url\s*\)/g,
];

/** The relative .ts imports of one source text, resolved against `file`'s folder. */
export function importsOf(file: string, text: string): string[] {
  // Comments may quote import lines (as this file's do); they are not imports.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  const found = new Set<string>();
  for (const pattern of IMPORT_PATTERNS) {
    for (const m of code.matchAll(pattern)) {
      const spec = m[1];
      if (!spec.startsWith(".")) continue;
      found.add(normalize(join(dirname(file), spec)));
    }
  }
  return [...found];
}

/** Every .ts file under `root` (repository-relative), skipping dependencies, models and dot-folders. */
export async function sourceFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string) {
    for await (const entry of Deno.readDir(join(root, dir))) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.name.startsWith(".") || ["node_modules", "models", "fixtures"].includes(path)) continue;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && entry.name.endsWith(".ts")) out.push(path);
    }
  }
  await walk("");
  return out.sort();
}

/** The layer index of `path`, or -1 when no layer names it. */
export function layerOf(path: string): number {
  const own = layerOfPath(path);
  // A test belongs to the layer of the file it tests.
  return own >= 0 ? own : layerOfPath(path.replace(/_test\.ts$/, ".ts"));
}

function layerOfPath(path: string): number {
  let best = -1, bestLength = -1;
  LAYERS.forEach((prefixes, i) => {
    for (const p of prefixes) {
      const match = p.endsWith("/") ? path.startsWith(p) : path === p;
      if (match && p.length > bestLength) [best, bestLength] = [i, p.length];
    }
  });
  return best;
}

/** What is wrong with the graph: circles, upward imports and files outside every layer. */
export interface GraphReport {
  edges: ImportEdge[];
  cycles: string[][];
  upward: ImportEdge[];
  /** Imports of a test file: tests are leaves, their shared parts belong in testing/. */
  testImports: ImportEdge[];
  unlayered: string[];
}

/** Reads the repository at `root` and checks its imports. */
export async function checkImports(root: string): Promise<GraphReport> {
  const files = await sourceFiles(root);
  const edges: ImportEdge[] = [];
  for (const file of files) {
    for (const to of importsOf(file, await Deno.readTextFile(join(root, file)))) {
      if (to.endsWith(".ts")) edges.push({ from: file, to });
    }
  }
  const isTest = (f: string) => f.endsWith("_test.ts");
  const importedTests = edges.filter((e) => isTest(e.to));
  const upward = edges.filter(({ from, to }) => {
    const [a, b] = [layerOf(from), layerOf(to)];
    return a >= 0 && b > a && !isTest(from);
  });
  return {
    edges,
    cycles: findCycles(files, edges),
    upward,
    testImports: importedTests,
    unlayered: files.filter((f) => layerOf(f) < 0),
  };
}

/** The strongly connected components with more than one file (or a file importing itself). */
export function findCycles(files: readonly string[], edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  let counter = 0;
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>(), out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!next.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (let w = ""; w !== v;) {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      }
      if (component.length > 1 || (next.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return out;
}

/** The report as lines for a person; empty when the graph is clean. */
export function formatReport(report: GraphReport): string[] {
  return [
    ...report.cycles.map((c) => `circle: ${c.join(" <-> ")}`),
    ...report.upward.map((e) => `upward: ${e.from} -> ${e.to}`),
    ...report.testImports.map((e) => `imports a test: ${e.from} -> ${e.to}`),
    ...report.unlayered.map((f) => `no layer: ${f} (add its folder to LAYERS in scripts/import_graph.ts)`),
  ];
}

if (import.meta.main) {
  const lines = formatReport(await checkImports(new URL("..", import.meta.url).pathname));
  for (const line of lines) console.log(line);
  console.log(`${lines.length} problem(s)`);
  Deno.exit(lines.length ? 1 : 0);
}
