import assert from "node:assert/strict";
import { MmmlError } from "../errors.ts";
import { parseCsvText } from "./csv_adapter.ts";
import { countLabels, encodeLabels } from "./label_encoding.ts";

function assertThrowsMmml(fn: () => unknown, code: string, fragments: string[]): MmmlError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof MmmlError, `expected an MmmlError, got ${caught}`);
  assert.equal(caught.code, code);
  for (const f of fragments) assert.ok(caught.message.includes(f), `"${caught.message}" lacks "${f}"`);
  return caught;
}

const table = parseCsvText("x,species\n1,Gentoo\n2,Adelie\n3,Chinstrap\n4,Adelie\n", "penguins.csv");

Deno.test("encodeLabels numbers classes in sorted order", () => {
  const { y, classes } = encodeLabels(table, "species");
  assert.deepEqual(classes, ["Adelie", "Chinstrap", "Gentoo"]);
  assert.deepEqual([...y], [2, 0, 1, 0]);
  assert.ok(y instanceof Int32Array);
});

Deno.test("encodeLabels keeps the given classes and their order", () => {
  const { y, classes } = encodeLabels(table, "species", ["Gentoo", "Chinstrap", "Adelie", "Emperor"]);
  assert.deepEqual(classes, ["Gentoo", "Chinstrap", "Adelie", "Emperor"]);
  assert.deepEqual([...y], [0, 2, 1, 2]);
});

Deno.test("encodeLabels names the label and the available columns when the label is absent", () => {
  assertThrowsMmml(() => encodeLabels(table, "kind"), "invalid_input", [
    "penguins.csv",
    'label column "kind" not found',
    "available columns: x, species",
  ]);
});

Deno.test("encodeLabels names the line of a missing label", () => {
  const t = parseCsvText("x,y\n1,a\n2,\n3,b\n", "gaps.csv");
  const err = assertThrowsMmml(() => encodeLabels(t, "y"), "invalid_input", [
    'gaps.csv line 3, column "y"',
    "every row needs a label",
  ]);
  assert.equal(err.details?.line, 3);
});

Deno.test("encodeLabels rejects a label column with a single class", () => {
  const t = parseCsvText("x,y\n1,a\n2,a\n", "one.csv");
  assertThrowsMmml(() => encodeLabels(t, "y"), "invalid_input", [
    'label column "y" has a single class "a"; a classifier needs at least 2',
  ]);
});

Deno.test("encodeLabels names the line and value of a label the model has no class for", () => {
  const test = parseCsvText("x,species\n1,Adelie\n2,Emperor\n", "test.csv");
  assertThrowsMmml(() => encodeLabels(test, "species", ["Adelie", "Gentoo"]), "invalid_input", [
    'test.csv line 3, column "species"',
    "expected one of the model's classes (Adelie, Gentoo)",
    'received "Emperor"',
  ]);
});

Deno.test("encodeLabels accepts a test file holding one class when the classes are given", () => {
  const test = parseCsvText("x,species\n1,Gentoo\n", "test.csv");
  assert.deepEqual([...encodeLabels(test, "species", ["Adelie", "Gentoo"]).y], [1]);
});

Deno.test("countLabels counts rows per class in class order", () => {
  assert.deepEqual([...countLabels(table, "species")], [["Adelie", 2], ["Chinstrap", 1], ["Gentoo", 1]]);
});

Deno.test("a label column spelled in another case or with a typo is named with did-you-mean", () => {
  const table = parseCsvText("Cultivar,alcohol\na,1\nb,2\n", "wine.csv");
  assert.throws(
    () => encodeLabels(table, "cultivar"),
    (e) =>
      e instanceof MmmlError && e.code === "invalid_input" &&
      e.message === 'wine.csv: label column "cultivar" not found (did you mean --label Cultivar?); ' +
          "available columns: Cultivar, alcohol",
  );
});
