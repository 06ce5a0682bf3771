import assert from "node:assert/strict";
import { describeLoadFailure } from "./dnnl_lib.ts";

const ABSENT =
  "Could not open library: libdnnl.so.2: cannot open shared object file: No such file or directory";

Deno.test("a missing libdnnl.so.2 is named, and a oneDNN 3.x library found instead is named as the reason", () => {
  assert.equal(describeLoadFailure(ABSENT, () => false), "libdnnl.so.2 (oneDNN 2.x) was not found");
  assert.equal(
    describeLoadFailure(ABSENT, (name) => name === "libdnnl.so.3"),
    "only libdnnl.so.3 (oneDNN 3.x, whose C API this build does not bind) was found",
  );
});

Deno.test("a libdnnl.so.2 that is there but does not load says so with the loader's first line", () => {
  const msg = "Could not open library: /lib/libdnnl.so.2: file too short\nmore";
  assert.equal(
    describeLoadFailure(msg, () => true),
    "libdnnl.so.2 was found but does not load: Could not open library: /lib/libdnnl.so.2: file too short",
  );
});
