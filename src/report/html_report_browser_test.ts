/**
 * The report in a real browser: headless Chromium (Debian's `chromium`; .ci/setup_chromium.sh installs
 * it) loads the file offline and the test checks that the charts are drawn, from the geometry the
 * browser computed and from the pixels of a screenshot, not only from the markup.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { dumpDom, probeChromium, screenshot } from "../../testing/headless_chromium.ts";
import { renderReport } from "./html_report.ts";
import { decodePng } from "../../testing/png_pixels.ts";
import { sampleReportInput } from "../../testing/report_input.ts";

const browser = await probeChromium(Deno.env.get("MMML_TEST_CHROMIUM"));
const skip = browser.available
  ? ""
  : ` (skipped: no headless browser: ${browser.reason}; run .ci/setup_chromium.sh or apt-get install chromium)`;

const CLASSES = ["Adelie", "Chinstrap", "Gentoo", "Macaroni"];
const EPOCHS = 10;

/**
 * Appended to a copy of the report (the report itself has no script): measures what the browser laid
 * out and writes it into the DOM, which --dump-dom then returns.
 */
const PROBE = `<pre id="probe"></pre><script>
const out = {};
for (const svg of document.querySelectorAll("svg.chart")) {
  const box = svg.getBoundingClientRect();
  out[svg.dataset.chart] = {
    width: box.width, height: box.height,
    paths: [...svg.querySelectorAll("path.series")].map((p) => ({
      series: p.dataset.series, length: p.getTotalLength(), bw: p.getBBox().width, bh: p.getBBox().height,
      fill: getComputedStyle(p).fill, stroke: getComputedStyle(p).stroke,
    })),
    cells: [...svg.querySelectorAll("rect.cell")].map((c) => {
      const b = c.getBoundingClientRect();
      return { w: b.width, h: b.height, fill: getComputedStyle(c).fill };
    }),
  };
}
document.getElementById("probe").textContent = JSON.stringify(out);
</script>`;

interface Measured {
  width: number;
  height: number;
  paths: { series: string; length: number; bw: number; bh: number; fill: string; stroke: string }[];
  cells: { w: number; h: number; fill: string }[];
}

Deno.test({
  name: `the report's charts are laid out by headless Chromium with real lengths and areas${skip}`,
  ignore: !browser.available,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mmml_report_browser_" });
    try {
      const html = renderReport(sampleReportInput({ classes: CLASSES, epochs: EPOCHS, rows: 120 }));
      const file = join(dir, "probed.html");
      await Deno.writeTextFile(file, html.replace("</body>", `${PROBE}\n</body>`));
      const dom = await dumpDom((browser as { path: string }).path, file);
      const json = /<pre id="probe">([^<]*)<\/pre>/.exec(dom)?.[1];
      assert.ok(json, `no probe output in the dumped DOM:\n${dom.slice(0, 500)}`);
      const charts: Record<string, Measured> = JSON.parse(
        json.replaceAll("&quot;", '"').replaceAll("&amp;", "&"),
      );
      assert.deepEqual(Object.keys(charts).sort(), [
        "chart-accuracy",
        "chart-confusion",
        "chart-loss",
        "chart-roc",
      ]);
      for (const [id, chart] of Object.entries(charts)) {
        assert.ok(
          chart.width > 200 && chart.height > 150,
          `${id} laid out at ${chart.width}x${chart.height}`,
        );
      }
      for (const id of ["chart-loss", "chart-accuracy"]) {
        const paths = charts[id].paths;
        assert.ok(paths.length >= 2, `${id}: ${paths.length} series`);
        for (const p of paths) {
          // Ten epochs across a ~480 px plot: a line that spans most of the width.
          assert.ok(p.length > 300 && p.bw > 300, `${id} ${p.series}: length ${p.length}, width ${p.bw}`);
          assert.equal(p.fill, "none", `${id} ${p.series} is a stroke, not a filled shape`);
        }
      }
      const loss = charts["chart-loss"].paths.find((p) => p.series === "training loss")!;
      assert.ok(loss.bh > 100, `the falling training loss spans ${loss.bh} px of height`);
      const cells = charts["chart-confusion"].cells;
      assert.equal(cells.length, CLASSES.length ** 2);
      for (const c of cells) assert.ok(c.w >= 20 && c.h >= 20, `cell ${c.w}x${c.h}`);
      assert.ok(new Set(cells.map((c) => c.fill)).size >= 3, "cells shaded differently");
      const roc = charts["chart-roc"].paths;
      assert.equal(roc.length, CLASSES.length);
      for (const p of roc) assert.ok(p.length > 300, `ROC ${p.series}: length ${p.length}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Pixels within `tolerance` (per channel) of `hex`. */
function countNear(rgba: Uint8Array, hex: string, tolerance: number): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    if (
      Math.abs(rgba[i] - r) <= tolerance && Math.abs(rgba[i + 1] - g) <= tolerance &&
      Math.abs(rgba[i + 2] - b) <= tolerance
    ) n++;
  }
  return n;
}

Deno.test({
  name: `a screenshot of the report shows the coloured curves and the heat map${skip}`,
  ignore: !browser.available,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "mmml_report_shot_" });
    try {
      const file = join(dir, "report.html");
      await Deno.writeTextFile(
        file,
        renderReport(sampleReportInput({ classes: CLASSES, epochs: EPOCHS, rows: 120 })),
      );
      const png = await screenshot((browser as { path: string }).path, file, 1200, 2400);
      const { width, height, rgba } = decodePng(png);
      assert.deepEqual([width, height], [1200, 2400]);
      const colours = new Set<number>();
      let inked = 0;
      for (let i = 0; i < rgba.length; i += 4) {
        colours.add((rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2]);
        if (rgba[i] < 235 || rgba[i + 1] < 235 || rgba[i + 2] < 235) inked++;
      }
      assert.ok(colours.size > 200, `only ${colours.size} distinct colours: a blank or flat page`);
      const share = inked / (width * height);
      assert.ok(share > 0.02 && share < 0.6, `${(100 * share).toFixed(1)}% of the page is inked`);
      // The training series' blue and the validation series' orange (learning curves and ROC lines).
      // Tight tolerance: the page's link colour is a blue too. Measured: about 2,000 and 1,700 pixels
      // with the charts drawn, 265 and 0 with every SVG hidden.
      const [blue, orange] = [countNear(rgba, "#0072B2", 20), countNear(rgba, "#D55E00", 20)];
      assert.ok(blue > 1000, `blue pixels: ${blue}`);
      assert.ok(orange > 800, `orange pixels: ${orange}`);
      // The heat map's darkest cells (mostly-correct classes on the diagonal).
      assert.ok(
        countNear(rgba, "#08306B", 30) > 1500,
        `dark heat-map pixels: ${countNear(rgba, "#08306B", 30)}`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
