import assert from "node:assert/strict";
import { closestMatch, editDistance } from "./closest_match.ts";

Deno.test("editDistance counts insertions, deletions, substitutions and swaps", () => {
  assert.equal(editDistance("epochs", "epochs"), 0);
  assert.equal(editDistance("epoch", "epochs"), 1);
  assert.equal(editDistance("lr", "rl"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("", "abc"), 3);
});

Deno.test("closestMatch suggests a near name and nothing for an unrelated one", () => {
  const flags = ["epochs", "batch-size", "lr", "seed", "label", "config"];
  assert.equal(closestMatch("epoch", flags), "epochs");
  assert.equal(closestMatch("batch_size", flags), "batch-size");
  assert.equal(closestMatch("lable", flags), "label");
  assert.equal(closestMatch("conf", flags), "config");
  assert.equal(closestMatch("verbose", flags), undefined);
  assert.equal(closestMatch("x", flags), undefined);
});
