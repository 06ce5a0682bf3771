import assert from "node:assert/strict";
import { checkImports, findCycles, formatReport, importsOf, layerOf } from "./import_graph.ts";

Deno.test("the house has no import circles, no upward imports and no file outside a layer", async () => {
  const report = await checkImports(new URL("..", import.meta.url).pathname);
  assert.ok(report.edges.length > 500, `only ${report.edges.length} imports read`);
  assert.deepEqual(formatReport(report), []);
});

Deno.test("importsOf reads static, type, re-export, dynamic and URL imports, and skips comments", () => {
  const text = [
    `import { a } from "./a.ts";`,
    `import type {\n  B,\n} from "../b/b.ts";`,
    `export { c } from "./c.ts";`,
    `const d = await import("./d.ts");`,
    `new Worker(new URL("./e_worker.ts", import.meta.url));`,
    `import "npm:zod";`,
    `// import { x } from "./commented.ts";`,
    `/** import { y } from "./doc.ts"; */`,
  ].join("\n");
  assert.deepEqual(importsOf("src/x/f.ts", text).sort(), [
    "src/b/b.ts",
    "src/x/a.ts",
    "src/x/c.ts",
    "src/x/d.ts",
    "src/x/e_worker.ts",
  ]);
});

Deno.test("findCycles finds a circle of three and a self import, and nothing in a tree", () => {
  const edges = [
    { from: "a", to: "b" },
    { from: "b", to: "c" },
    { from: "c", to: "a" },
    { from: "d", to: "d" },
    { from: "e", to: "a" },
  ];
  assert.deepEqual(findCycles(["a", "b", "c", "d", "e"], edges), [["a", "b", "c"], ["d"]]);
  assert.deepEqual(findCycles(["a", "b"], [{ from: "a", to: "b" }]), []);
});

Deno.test("layerOf orders the foundations below config and the entry points above the CLI", () => {
  assert.ok(layerOf("src/errors.ts") < layerOf("src/config/schema.ts"));
  assert.ok(layerOf("src/config/schema.ts") < layerOf("src/backend/choose.ts"));
  assert.ok(layerOf("src/runs/train.ts") < layerOf("src/server/app.ts"));
  assert.ok(layerOf("src/cli/run_cli.ts") < layerOf("cli.ts"));
  assert.equal(layerOf("src/random_test.ts"), layerOf("src/random.ts"));
  assert.equal(layerOf("src/nowhere.ts"), -1);
});
