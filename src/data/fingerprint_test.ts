import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { fingerprintBytes, fingerprintFile } from "./fingerprint.ts";

Deno.test("fingerprintFile is the SHA-256 of the file's bytes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/abc.csv`, "abc");
    // The FIPS 180-2 test vector for "abc".
    assert.equal(
      await fingerprintFile(`${dir}/abc.csv`),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    await Deno.writeTextFile(`${dir}/empty.csv`, "");
    assert.equal(
      await fingerprintFile(`${dir}/empty.csv`),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fingerprintBytes changes when one byte changes", async () => {
  const a = await fingerprintBytes(new TextEncoder().encode("x,y\n1,2\n"));
  const b = await fingerprintBytes(new TextEncoder().encode("x,y\n1,3\n"));
  assert.notEqual(a, b);
  assert.match(a, /^[0-9a-f]{64}$/);
});

Deno.test("fingerprintFile names a missing file", async () => {
  await assert.rejects(
    () => fingerprintFile("/nonexistent/data.csv"),
    (err) =>
      err instanceof MmmlError && err.code === "file_not_found" &&
      err.message.includes('"/nonexistent/data.csv"'),
  );
});
