import assert from "node:assert/strict";
import { ARCH_NAMES, BACKEND_NAMES } from "../config/schema.ts";
import { MmmlError } from "../errors.ts";
import {
  type CommandSpec,
  CONFIG_FILE_FLAGS,
  configFlagSpecs,
  formatHelp,
  JSON_FLAG,
  parseCommandArgs,
} from "./args.ts";

const SPEC = {
  name: "demo",
  summary: "A command for tests.",
  flags: {
    ...CONFIG_FILE_FLAGS,
    ...configFlagSpecs("epochs", "lr", "data"),
    json: JSON_FLAG,
    output: { type: "string", short: "o", valueName: "FILE", description: "where to write" },
    limit: { type: "number", valueName: "N" },
  },
  positionals: ["[FILE]"],
} as const satisfies CommandSpec;

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof MmmlError);
    assert.equal(err.code, "usage");
    return err.message;
  }
  assert.fail("expected a usage error");
}

Deno.test("parseCommandArgs reads flags in both forms, repeats and positionals", () => {
  const { values, positionals, help } = parseCommandArgs(
    [
      "--config",
      "a.yaml",
      "--config=b.yaml",
      "--set",
      "x.y=1",
      "--epochs",
      "5",
      "--lr=0.1",
      "-o",
      "out.csv",
      "in.csv",
      "--json",
    ],
    SPEC,
  );
  assert.equal(help, false);
  assert.deepEqual(values.config, ["a.yaml", "b.yaml"]);
  assert.deepEqual(values.set, ["x.y=1"]);
  assert.equal(values.epochs, "5");
  assert.equal(values.lr, "0.1");
  assert.equal(values.output, "out.csv");
  assert.equal(values.json, true);
  assert.equal(values.limit, undefined);
  assert.deepEqual(positionals, ["in.csv"]);
});

Deno.test("parseCommandArgs defaults, negates booleans and parses numbers", () => {
  assert.equal(parseCommandArgs([], SPEC).values.json, false);
  assert.equal(parseCommandArgs(["--no-json"], SPEC).values.json, false);
  assert.equal(parseCommandArgs(["--json=false"], SPEC).values.json, false);
  assert.equal(parseCommandArgs(["--limit", "-3"], SPEC).values.limit, -3);
  assert.deepEqual(parseCommandArgs(["--", "--json"], SPEC).positionals, ["--json"]);
});

Deno.test("parseCommandArgs names an unknown flag and suggests the closest one", () => {
  assert.equal(
    usageError(() => parseCommandArgs(["--epoch", "5"], SPEC)),
    'Unknown flag --epoch for "mmml demo" (did you mean --epochs?)',
  );
  assert.equal(
    usageError(() => parseCommandArgs(["--jsn"], SPEC)),
    'Unknown flag --jsn for "mmml demo" (did you mean --json?)',
  );
  assert.equal(
    usageError(() => parseCommandArgs(["--verbose"], SPEC)),
    'Unknown flag --verbose for "mmml demo"; run "mmml demo --help" for its flags',
  );
  assert.match(usageError(() => parseCommandArgs(["-x"], SPEC)), /^Unknown flag -x for "mmml demo"/);
});

Deno.test("parseCommandArgs rejects missing values, bad numbers, repeats and extra arguments", () => {
  assert.equal(
    usageError(() => parseCommandArgs(["--data"], SPEC)),
    "--data needs a value (PATH), received nothing",
  );
  assert.equal(
    usageError(() => parseCommandArgs(["--data", "--json"], SPEC)),
    "--data needs a value (PATH), received the flag --json",
  );
  assert.equal(
    usageError(() => parseCommandArgs(["--limit", "ten"], SPEC)),
    '--limit expects a number, received "ten"',
  );
  assert.match(
    usageError(() => parseCommandArgs(["--epochs", "1", "--epochs", "2"], SPEC)),
    /^--epochs was given more than once/,
  );
  assert.equal(
    usageError(() => parseCommandArgs(["a.csv", "b.csv"], SPEC)),
    'Unexpected argument "b.csv" for "mmml demo"; it takes [FILE]',
  );
  assert.equal(
    usageError(() =>
      parseCommandArgs([], { name: "data info", summary: "", flags: {}, positionals: ["FILE"] })
    ),
    '"mmml data info" needs FILE',
  );
  assert.equal(
    usageError(() => parseCommandArgs(["--json=yes"], SPEC)),
    '--json takes no value or true|false, received "yes"',
  );
});

Deno.test("parseCommandArgs reports --help even next to bad flags", () => {
  assert.equal(parseCommandArgs(["--bogus", "-h"], SPEC).help, true);
  const help = formatHelp(SPEC);
  assert.match(help, /^Usage: mmml demo \[flags\] \[FILE\]\n/);
  assert.match(help, /--config FILE\.\.\.\s+config file/);
  assert.match(help, /--epochs N\s+sets training\.epochs/);
  assert.match(help, /-o, --output FILE\s+where to write/);
});

Deno.test("help lists the choices of a config flag whose setting is a choice", () => {
  const help = formatHelp({
    name: "train",
    summary: "s",
    flags: configFlagSpecs("model", "backend", "epochs"),
  });
  assert.match(help, new RegExp(`--model VALUE +sets model\\.arch: ${ARCH_NAMES.join("\\|")}\\n`));
  assert.match(help, new RegExp(`--backend VALUE +sets training\\.backend: ${BACKEND_NAMES.join("\\|")}\\n`));
  assert.match(help, /--epochs N +sets training\.epochs\n/);
});
