import assert from "node:assert/strict";
import { join } from "node:path";
import { syntheticTabularCsv } from "../../../testing/synthetic_tabular.ts";
import { cli, cliProcess, listTree, logMessages } from "../../../testing/cli.ts";

const QUIET = ["--set", "training.progress=false"];

/** Numeric columns a, b and a two-class label, 40 rows, then `extra` lines. */
function smallCsv(extra: string[] = []): string {
  const rows = Array.from({ length: 40 }, (_, i) => `${i + 1},${i % 3},c${i % 2}`);
  return ["a,b,label", ...rows, ...extra].join("\n") + "\n";
}

/** Asserts a usage/input failure: exit 2, nothing on stdout, one `mmml: ...` line matching `pattern`. */
function assertBadInput(r: { code: number; stdout: string; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, `expected exit 2, got ${r.code}: ${r.stderr}`);
  assert.equal(r.stdout, "");
  const errors = r.stderr.split("\n").filter((l) => l.startsWith("mmml: "));
  assert.equal(errors.length, 1, r.stderr);
  assert.doesNotMatch(errors[0], /internal error/);
  assert.match(errors[0], pattern);
}

Deno.test("bad training data fails with exit 2 naming file, line and column, and leaves the registry alone", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_bad_input_" });
  const registry = join(dir, "models");
  const write = (name: string, text: string) => Deno.writeTextFile(join(dir, name), text);
  const train = (file: string, { label = "label", more = [] as string[] } = {}) =>
    cli([
      "train",
      "--data",
      join(dir, file),
      "--label",
      label,
      "--registry",
      registry,
      "--epochs",
      "2",
      ...QUIET,
      ...more,
    ]);
  try {
    // One good version first, so "unchanged" means more than "still empty".
    await write("good.csv", smallCsv());
    assert.equal((await train("good.csv", { more: ["--name", "good"] })).code, 0);
    const before = await listTree(registry);
    assert.ok(before.includes("good/v1/meta.json"));

    const cases: { name: string; file: string; text?: string; label?: string; error: RegExp }[] = [
      { name: "missing file", file: "nope.csv", error: /nope\.csv: no such file or folder/ },
      {
        name: "empty file",
        file: "empty.csv",
        text: "",
        error: /empty\.csv is empty; expected a header row/,
      },
      {
        name: "header only",
        file: "header.csv",
        text: "a,b,label\n",
        error: /header\.csv has a header \(line 1\) but no data rows/,
      },
      {
        name: "ragged rows",
        file: "ragged.csv",
        text: "a,b,label\n1,2,c0\n3,4\n5,6,c1\n",
        error: /ragged\.csv line 3: expected 3 fields .*received 2/,
      },
      {
        name: "label column absent",
        file: "good.csv",
        label: "species",
        error: /good\.csv: label column "species" not found; available columns: a, b, label/,
      },
      {
        name: "text in a numeric column",
        file: "text.csv",
        text: smallCsv(["oops,1,c1"]),
        error: /text\.csv line 42, column "a": expected a number, received "oops"/,
      },
      {
        name: "a single class",
        file: "single.csv",
        text: "a,b,label\n1,2,x\n3,4,x\n5,6,x\n",
        error: /single\.csv: label column "label" has a single class "x"; a classifier needs at least 2/,
      },
      {
        name: "Infinity",
        file: "inf.csv",
        text: smallCsv(["1,Infinity,c1"]),
        error: /inf\.csv line 42, column "b": expected a finite number, received "Infinity"/,
      },
      {
        name: "-inf",
        file: "neginf.csv",
        text: smallCsv(["-inf,1,c0"]),
        error: /neginf\.csv line 42, column "a": expected a finite number, received "-inf"/,
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        if (c.text !== undefined) await write(c.file, c.text);
        assertBadInput(await train(c.file, { label: c.label }), c.error);
        assert.deepEqual(await listTree(registry), before, "the registry changed");
      });
    }

    await t.step(
      "a --name the registry would refuse fails before any data is read or folder made",
      async () => {
        await write("named.csv", smallCsv());
        assertBadInput(
          await train("named.csv", { more: ["--name", "n".repeat(129)] }),
          /the name must be 1-128 letters, digits/,
        );
        assertBadInput(await train("named.csv", { more: ["--name", "bad name"] }), /received "bad name"/);
        const weights = await cli([
          "train",
          "--model",
          "resnet18",
          "--data",
          join(dir, "no_such_images"),
          "--pretrained",
          "/dev/zero",
          "--registry",
          registry,
        ]);
        assertBadInput(
          weights,
          /pretrained weights "\/dev\/zero": expected a regular file, received a device/,
        );
        assert.deepEqual(await listTree(registry), before, "the registry changed (a .work folder?)");
      },
    );

    await t.step("NaN cells are missing values: training imputes them and succeeds", async () => {
      await write("nan.csv", smallCsv(["NaN,1,c1", ",2,c0", "3,nan,c1"]));
      const r = await train("nan.csv", { more: ["--json"] });
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.name, "nan");
      const pre = JSON.parse(await Deno.readTextFile(join(out.artifact, "preprocessor.json")));
      assert.ok(pre.numeric.every((f: { fill: number }) => Number.isFinite(f.fill)));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predict handles unseen categories with a warning and names a missing column", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_bad_predict_" });
  const registry = join(dir, "models");
  try {
    const csv = syntheticTabularCsv({ rows: 240, numeric: 3, categorical: 2, levels: 3, seed: 5 });
    await Deno.writeTextFile(join(dir, "synth.csv"), csv);
    const trained = await cli(
      [
        "train",
        "--data",
        join(dir, "synth.csv"),
        "--label",
        "label",
        "--registry",
        registry,
        "--epochs",
        "3",
        ...QUIET,
      ],
    );
    assert.equal(trained.code, 0, trained.stderr);
    const before = await listTree(registry);
    const lines = csv.trim().split("\n");
    const header = lines[0].split(",");
    const rows = lines.slice(1, 11).map((l) => l.split(","));
    const writeRows = (name: string, cols: string[], body: string[][]) =>
      Deno.writeTextFile(
        join(dir, name),
        [cols.join(","), ...body.map((r) => r.join(","))].join("\n") + "\n",
      );
    const predict = (file: string) =>
      cli(["predict", "--model", "synth", "--input", join(dir, file), "--registry", registry]);
    const cat0 = header.indexOf("cat_0");

    await t.step("unseen categories: every row predicted, one warning with the count", async () => {
      await writeRows("unseen.csv", header, rows.map((r, i) => i < 3 ? r.with(cat0, `new${i % 2}`) : r));
      const r = await predict("unseen.csv");
      assert.equal(r.code, 0, r.stderr);
      const out = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
      assert.equal(out.length, 10);
      const warnings = logMessages(r.stderr, "warn");
      assert.equal(warnings.length, 1, r.stderr);
      assert.match(
        warnings[0],
        /3 cell\(s\) of column "cat_0" hold categories unseen in training \("new0", "new1"\)/,
      );
    });

    await t.step("a predict file missing a feature column: exit 2 naming it", async () => {
      const drop = header.indexOf("num_1");
      await writeRows(
        "missing_col.csv",
        header.filter((_, i) => i !== drop),
        rows.map((r) => r.filter((_, i) => i !== drop)),
      );
      assertBadInput(
        await predict("missing_col.csv"),
        /missing_col\.csv: required column "num_1" is missing/,
      );
    });

    await t.step(
      "text and Infinity in a numeric column at predict time name the line and column",
      async () => {
        const num2 = header.indexOf("num_2");
        await writeRows("text.csv", header, rows.map((r, i) => i === 4 ? r.with(num2, "abc") : r));
        assertBadInput(
          await predict("text.csv"),
          /text\.csv line 6, column "num_2": expected a number, received "abc"/,
        );
        await writeRows("inf.csv", header, rows.map((r, i) => i === 0 ? r.with(num2, "Infinity") : r));
        assertBadInput(
          await predict("inf.csv"),
          /inf\.csv line 2, column "num_2": expected a finite number, received "Infinity"/,
        );
      },
    );

    await t.step("missing, empty and header-only predict files", async () => {
      assertBadInput(await predict("absent.csv"), /absent\.csv": file not found/);
      await Deno.writeTextFile(join(dir, "empty.csv"), "");
      assertBadInput(await predict("empty.csv"), /empty\.csv is empty/);
      await Deno.writeTextFile(join(dir, "head.csv"), lines[0] + "\n");
      assertBadInput(await predict("head.csv"), /head\.csv has a header \(line 1\) but no data rows/);
    });

    await t.step("an unknown model or version is exit 2 naming what exists", async () => {
      const r = await cli([
        "predict",
        "--model",
        "synth@9",
        "--input",
        join(dir, "synth.csv"),
        "--registry",
        registry,
      ]);
      assertBadInput(r, /Model "synth@9" not found in .*: versions of synth are 1/);
      const other = await cli([
        "evaluate",
        "--model",
        "nope",
        "--data",
        join(dir, "synth.csv"),
        "--registry",
        registry,
      ]);
      assertBadInput(other, /Model "nope" not found in .*: available models are synth/);
    });

    await t.step("missing required flags are usage errors", async () => {
      assertBadInput(await cli(["predict", "--model", "synth"]), /mmml predict needs --input/);
      assertBadInput(await cli(["evaluate"]), /mmml evaluate needs --model and --data/);
    });

    assert.deepEqual(await listTree(registry), before, "prediction changed the registry");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli.ts exits 2 in a real process for bad data, with the message on stderr", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mmml_bad_proc_" });
  try {
    await Deno.writeTextFile(join(dir, "ragged.csv"), "a,b,label\n1,2,x\n3\n");
    const r = await cliProcess(["train", "--data", "ragged.csv", "--label", "label", "--registry", "reg"], {
      cwd: dir,
    });
    assertBadInput(r, /^mmml: ragged\.csv line 3: expected 3 fields/);
    assert.deepEqual(await listTree(dir), ["ragged.csv"], "nothing written");
    const usage = await cliProcess(["predict", "--modle", "x"], { cwd: dir });
    assertBadInput(usage, /Unknown flag --modle for "mmml predict" \(did you mean --model\?\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
