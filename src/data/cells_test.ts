import assert from "node:assert/strict";
import { fastNumber, parseNumberCell, parseNumberText } from "./cells.ts";

const SPELLINGS = [
  "0",
  "-0",
  "12",
  "007",
  "+3",
  "-4.5",
  ".5",
  "5.",
  "1e5",
  "1E-3",
  "-2.5e+10",
  "1.e5",
  "5e-324",
  "1 ",
  "3\t",
  " 1",
  "",
  "NaN",
  "nan",
  "NA",
  "N/A",
  "null",
  "None",
  "inf",
  "-Infinity",
  "1e400",
  "0x1F",
  "0b1",
  "0o7",
  "0X10",
  "1_000",
  "1,5",
  "12abc",
  "-",
  "+",
  ".",
  "e5",
  "1e",
  "--1",
  "٣",
  "1 2",
];

Deno.test("fastNumber gives the full rules' number where it gives one, and NaN for everything else", () => {
  for (const s of SPELLINGS) {
    const fast = fastNumber(s);
    const full = parseNumberText(s);
    // parseNumberCell, which tries fastNumber first, answers as the full rules do.
    assert.deepEqual(parseNumberCell(s), full, JSON.stringify(s));
    if (Number.isNaN(fast)) {
      // Left to the full parser: missing, text, non-finite, or a spelling only it reads (a leading space).
      continue;
    }
    assert.ok(
      full.ok && full.value !== null,
      `${JSON.stringify(s)}: fastNumber ${fast}, parseNumberText ${JSON.stringify(full)}`,
    );
    assert.ok(Object.is(fast, full.value), `${JSON.stringify(s)}: ${fast} vs ${full.value}`);
  }
  // The fast path does cover the common spellings.
  for (const s of ["0", "12", "-4.5", ".5", "1e5", "+3"]) assert.ok(!Number.isNaN(fastNumber(s)), s);
  for (const s of ["NaN", "0x1F", "1e400", "12abc", "", " 1"]) assert.ok(Number.isNaN(fastNumber(s)), s);
});
