import assert from "node:assert/strict";
import { HttpFramer } from "./http_framer.ts";

const enc = new TextEncoder();
const STREAM = enc.encode(
  'POST /predict/tabular HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n{"a": \r\n\r\n}' +
    "\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n" +
    "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\n\r\n\r\n\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n" +
    "GET /ready HTTP/1.1\r\n\r\n",
);

function run(chunks: Uint8Array[]) {
  const events: string[] = [];
  const framer = new HttpFramer({
    onHeadStart: () => events.push("start"),
    onHeadEnd: () => events.push("end"),
    onHeadTooLarge: () => events.push("too large"),
  });
  for (const c of chunks) framer.push(c);
  return { events, idle: framer.idle };
}

Deno.test("the framer finds every request's header block, whatever the chunking: bodies by length and chunked", () => {
  const expected = Array(4).fill(["start", "end"]).flat();
  for (const size of [1, 2, 3, 7, 64, STREAM.length]) {
    const chunks = [];
    for (let i = 0; i < STREAM.length; i += size) chunks.push(STREAM.subarray(i, i + size));
    const { events, idle } = run(chunks);
    assert.deepEqual(events, expected, `chunks of ${size}`);
    assert.ok(idle, `chunks of ${size}`);
  }
});

Deno.test("a header block that never ends is seen as started and not ended; an oversize one is reported", () => {
  assert.deepEqual(run([enc.encode("GET / HTTP/1.1\r\nX-A: 1\r\n")]).events, ["start"]);
  const big = enc.encode("GET / HTTP/1.1\r\nX: " + "a".repeat(70_000));
  assert.deepEqual(run([big]).events, ["start", "too large"]);
});
