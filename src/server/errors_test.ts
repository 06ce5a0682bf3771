import assert from "node:assert/strict";
import { ERROR_CODES, type ErrorCode, MmmlError } from "../errors.ts";
import { RouteError, toErrorResponse } from "./errors.ts";

Deno.test("toErrorResponse maps every MmmlError code to its HTTP status in both body shapes", () => {
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
    const err = new MmmlError(code, `something about ${code}`);
    const plain = toErrorResponse(err, "mmml");
    assert.equal(plain.status, ERROR_CODES[code].http);
    assert.deepEqual(plain.body, { error: { code, message: `something about ${code}` } });
    assert.deepEqual(toErrorResponse(err, "v2").body, { error: `something about ${code}` });
  }
});

Deno.test("toErrorResponse hides unexpected errors behind a 500 marked for logging", () => {
  const r = toErrorResponse(new TypeError("x is undefined at secret/path.ts"), "mmml");
  assert.equal(r.status, 500);
  assert.equal(r.internal, true);
  assert.deepEqual(r.body, {
    error: { code: "internal", message: "Internal server error; the failure was logged" },
  });
  assert.equal(toErrorResponse(new MmmlError("timeout", "slow"), "mmml").internal, false);
  assert.equal(toErrorResponse(new MmmlError("artifact_corrupt", "bad file"), "mmml").internal, true);
});

Deno.test("toErrorResponse gives route misses 404 and 405", () => {
  assert.deepEqual(toErrorResponse(new RouteError(404, "No route"), "v2"), {
    status: 404,
    body: { error: "No route" },
    code: "not_found",
    internal: false,
    headers: {},
  });
  assert.equal(toErrorResponse(new RouteError(405, "POST not allowed"), "mmml").status, 405);
});
