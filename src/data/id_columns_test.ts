import assert from "node:assert/strict";
import { parseCsvText } from "./csv_adapter.ts";
import { idLikeColumns } from "./id_columns.ts";

Deno.test("idLikeColumns finds unique text and row-counting numbers, not measurements or kept columns", () => {
  const lines = Array.from(
    { length: 12 },
    (_, i) => [`order-${i}`, 1000 + i, (i * 1.37).toFixed(2), i * 97, i % 3].join(","),
  );
  const table = parseCsvText(`order,row,weight,spread,group\n${lines.join("\n")}\n`, "t.csv");
  // weight is unique but fractional; spread is unique whole numbers far apart (not counting rows).
  assert.deepEqual(idLikeColumns(table, new Set()), ["order", "row"]);
  assert.deepEqual(idLikeColumns(table, new Set(["order"])), ["row"]);
  const small = parseCsvText("id,x\na,1\nb,2\n", "s.csv");
  assert.deepEqual(idLikeColumns(small, new Set()), [], "too few rows to tell");
});
