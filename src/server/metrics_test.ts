import assert from "node:assert/strict";
import { createMetricsRegistry, escapeLabelValue, formatValue } from "./metrics.ts";

Deno.test("MetricsRegistry renders counters with HELP, TYPE and one line per label set", () => {
  const r = createMetricsRegistry();
  const c = r.counter({ name: "http_requests_total", help: "Requests.", labels: ["route", "status"] });
  c.inc({ route: "/a", status: 200 });
  c.inc({ route: "/a", status: 200 }, 2);
  c.inc({ route: "/b", status: 404 });
  assert.equal(c.get({ route: "/a", status: 200 }), 3);
  assert.equal(
    r.render(),
    [
      "# HELP http_requests_total Requests.",
      "# TYPE http_requests_total counter",
      'http_requests_total{route="/a",status="200"} 3',
      'http_requests_total{route="/b",status="404"} 1',
      "",
    ].join("\n"),
  );
  assert.throws(() => c.inc({ route: "/a" }, -1), /only go up/);
});

Deno.test("MetricsRegistry histograms are cumulative with +Inf, sum and count", () => {
  const r = createMetricsRegistry();
  const h = r.histogram({ name: "batch", help: "Sizes.", labels: ["model"], buckets: [1, 4, 16] });
  for (const v of [1, 2, 3, 20, 16]) h.observe({ model: "iris" }, v);
  const text = r.render();
  assert.match(text, /# TYPE batch histogram/);
  assert.match(text, /batch_bucket\{model="iris",le="1"\} 1\n/);
  assert.match(text, /batch_bucket\{model="iris",le="4"\} 3\n/);
  assert.match(text, /batch_bucket\{model="iris",le="16"\} 4\n/);
  assert.match(text, /batch_bucket\{model="iris",le="\+Inf"\} 5\n/);
  assert.match(text, /batch_sum\{model="iris"\} 42\n/);
  assert.match(text, /batch_count\{model="iris"\} 5\n/);
  assert.deepEqual(h.get({ model: "iris" }), { count: 5, sum: 42, buckets: [1, 2, 1] });
});

Deno.test("MetricsRegistry gauges go up and down, and collect gauges are read at scrape time", () => {
  const r = createMetricsRegistry();
  const g = r.gauge({ name: "in_flight", help: "Now." });
  g.inc();
  g.inc();
  g.dec();
  let loaded = 1;
  r.gauge({ name: "models", help: "Loaded.", labels: ["name"], collect: () => [[{ name: "m" }, loaded]] });
  assert.match(r.render(), /^in_flight 1$/m);
  assert.match(r.render(), /^models\{name="m"\} 1$/m);
  loaded = 7;
  assert.match(r.render(), /^models\{name="m"\} 7$/m);
});

Deno.test("MetricsRegistry escapes label values and refuses bad or repeated names", () => {
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  assert.equal(formatValue(Infinity), "+Inf");
  assert.equal(formatValue(NaN), "NaN");
  const r = createMetricsRegistry();
  const c = r.counter({ name: "x_total", help: "X.", labels: ["v"] });
  c.inc({ v: 'say "hi"\n' });
  assert.match(r.render(), /x_total\{v="say \\"hi\\"\\n"\} 1/);
  assert.throws(() => r.counter({ name: "x_total", help: "again" }), /declared twice/);
  assert.throws(() => r.counter({ name: "bad-name", help: "" }), /Invalid metric name/);
  assert.throws(() => r.counter({ name: "ok", help: "", labels: ["le"] }), /Invalid label name/);
});
