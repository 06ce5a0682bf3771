import assert from "node:assert/strict";
import { chartLegend, lineChart, pathData } from "./line_chart.ts";

const base = { id: "c", title: "Loss", xLabel: "epoch", yLabel: "loss" };

Deno.test("lineChart draws one path per series with a point per finite value", () => {
  const svg = lineChart([
    { name: "train", points: [[1, 1], [2, 0.5], [3, 0.25]], color: "#0072B2" },
    { name: "val", points: [[1, 1.2], [2, 0.8], [3, 0.7]], color: "#D55E00", dashed: true },
  ], base);
  const paths = [...svg.matchAll(/<path class="series" data-series="([^"]+)" d="([^"]+)"([^>]*)>/g)];
  assert.deepEqual(paths.map((p) => p[1]), ["train", "val"]);
  for (const p of paths) assert.equal(p[2].split(/[ML]/).filter((s) => s.trim()).length, 3, p[2]);
  assert.match(paths[1][3], /stroke-dasharray/);
  assert.doesNotMatch(paths[0][3], /stroke-dasharray/);
  assert.equal((svg.match(/<circle /g) ?? []).length, 6);
  assert.match(svg, /role="img" aria-labelledby="c-title c-desc"/);
});

Deno.test("lineChart puts larger values higher and keeps every point inside the plot", () => {
  const svg = lineChart([{ name: "s", points: [[0, 0], [10, 100]], color: "#000" }], {
    ...base,
    width: 400,
    height: 300,
  });
  const d = /class="series"[^>]* d="M([\d.]+) ([\d.]+) L([\d.]+) ([\d.]+)"/.exec(svg)!;
  const [x0, y0, x1, y1] = d.slice(1).map(Number);
  assert.ok(x1 > x0 && y1 < y0, `points ${d[0]}`);
  for (const v of [x0, x1]) assert.ok(v >= 0 && v <= 400);
  for (const v of [y0, y1]) assert.ok(v >= 0 && v <= 300);
});

Deno.test("pathData breaks the line at a value that is not finite", () => {
  const id = (v: number) => v;
  assert.equal(pathData([[1, 1], [2, NaN], [3, 3], [4, 4]], id, id), "M1 1 M3 3 L4 4");
  assert.equal(pathData([[1, Infinity]], id, id), "");
});

Deno.test("lineChart leaves out a series without finite values and draws the marker and diagonal", () => {
  const svg = lineChart([
    { name: "ok", points: [[1, 0.2], [2, 0.4]], color: "#000" },
    { name: "diverged", points: [[1, NaN], [2, NaN]], color: "#111" },
  ], { ...base, marker: { x: 2, label: "best epoch 2" }, diagonal: true, xIntegers: true });
  assert.doesNotMatch(svg, /data-series="diverged"/);
  assert.match(svg, /<g class="marker">[\s\S]*best epoch 2/);
  assert.match(svg, /class="diagonal"/);
  const xTicks = [...svg.matchAll(/<text x="[\d.]+" y="[\d.]+" text-anchor="middle">([^<]+)<\/text>/g)]
    .map((m) => Number(m[1]));
  assert.ok(xTicks.every(Number.isInteger), `x ticks ${xTicks} must be whole epochs`);
});

Deno.test("lineChart and chartLegend escape names taken from data", () => {
  const series = [{
    name: `<img src=x onerror="alert(1)">`,
    points: [[0, 0], [1, 1]] as [number, number][],
    color: "#000",
  }];
  const svg = lineChart(series, { ...base, title: "a & b" });
  const legend = chartLegend(series);
  for (const html of [svg, legend]) {
    assert.doesNotMatch(html, /<img/);
    assert.match(html, /&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt;/);
  }
  assert.match(svg, /<title id="c-title">a &amp; b<\/title>/);
});
