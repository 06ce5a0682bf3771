import assert from "node:assert/strict";
import { heatColor } from "./chart_palette.ts";
import { heatMap } from "./heat_map.ts";

const cells = (svg: string) =>
  [...svg.matchAll(
    /<rect class="cell[^"]*" data-row="(\d+)" data-col="(\d+)" data-count="(\d+)"[^>]* fill="([^"]+)"/g,
  )]
    .map((m) => ({ row: +m[1], col: +m[2], count: +m[3], fill: m[4] }));

Deno.test("heatMap draws k*k cells holding the matrix's counts", () => {
  const matrix = [[8, 0, 0], [0, 7, 1], [0, 2, 5]];
  const svg = heatMap(matrix, { id: "cm", title: "Confusion", labels: ["a", "b", "c"] });
  const found = cells(svg);
  assert.equal(found.length, 9);
  for (const c of found) assert.equal(c.count, matrix[c.row][c.col]);
  const counts = [...svg.matchAll(/<text class="count[^"]*"[^>]*>(\d+)<\/text>/g)].map((m) => +m[1]);
  assert.deepEqual(counts, matrix.flat());
  assert.match(svg, /data-k="3"/);
});

Deno.test("heatMap shades each cell by its share of the row, so a rare class's errors show", () => {
  // Row 0: 1000 rows, all right; row 1: 4 rows, half wrong.
  const svg = heatMap([[1000, 0], [2, 2]], { id: "cm", title: "t", labels: ["common", "rare"] });
  const byPos = new Map(cells(svg).map((c) => [`${c.row},${c.col}`, c.fill]));
  assert.equal(byPos.get("0,0"), heatColor(1));
  assert.equal(byPos.get("0,1"), heatColor(0));
  assert.equal(byPos.get("1,0"), heatColor(0.5));
  assert.equal(byPos.get("1,1"), heatColor(0.5));
  assert.notEqual(heatColor(0.5), heatColor(0));
});

Deno.test("heatMap leaves counts out of cells too small to read but keeps every cell", () => {
  const k = 40;
  const matrix = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 5 : 0)));
  const labels = Array.from({ length: k }, (_, i) => `c${i}`);
  const svg = heatMap(matrix, { id: "big", title: "t", labels });
  assert.equal(cells(svg).length, k * k);
  assert.doesNotMatch(svg, /class="count/);
});

Deno.test("heatMap refuses a matrix that is not square or has the wrong number of labels", () => {
  assert.throws(() => heatMap([[1, 2], [3]], { id: "x", title: "t", labels: ["a", "b"] }), RangeError);
  assert.throws(() => heatMap([[1]], { id: "x", title: "t", labels: ["a", "b"] }), /one label per row/);
});
