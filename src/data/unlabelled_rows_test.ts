import assert from "node:assert/strict";
import { parseCsvText } from "./csv_adapter.ts";
import { withoutUnlabelled } from "./unlabelled_rows.ts";

Deno.test("rows without a label are left out with a note naming their lines; none labelled is an error", () => {
  const table = parseCsvText("x,y\n1,10\n2,\n3,30\n4,\n", "t.csv");
  const { table: kept, note } = withoutUnlabelled(table, "y");
  assert.equal(kept.rowCount, 2);
  assert.deepEqual(kept.columns.get("x"), ["1", "3"]);
  assert.deepEqual(kept.lines, [2, 4]);
  assert.equal(note, 't.csv: 2 row(s) have no "y" (lines 3, 5); they are left out');
  assert.equal(withoutUnlabelled(kept, "y").note, undefined);
  assert.throws(
    () => withoutUnlabelled(parseCsvText("x,y\n1,\n", "none.csv"), "y"),
    /none\.csv: every row's "y" is missing/,
  );
});
